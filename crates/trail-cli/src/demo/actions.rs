//! One person's action in a session: picks the resource, and writes the description, `changes`
//! and `metadata` the way each product would ("Alice Kim changed Bob Ray's role from Developer to Admin").

use rand::Rng;
use serde_json::{Value, json};

use super::catalog::{self, Spec};
use super::generator::{Draft, Res, World};
use super::people::{Role, weighted};

/// Where a session happens: the address and country it comes from, and its `source`.
#[derive(Clone)]
pub struct Origin {
    pub ip: String,
    pub place: Option<usize>,
    pub source: &'static str,
}

/// A draft with no resource, description or metadata yet.
pub fn blank(
    at: i64,
    action: &'static str,
    area: &'static str,
    actor: usize,
    origin: &Origin,
) -> Draft {
    Draft {
        at,
        action,
        area,
        actor,
        source: origin.source,
        resource: None,
        targets: Vec::new(),
        failure: None,
        description: String::new(),
        changes: Vec::new(),
        metadata: serde_json::Map::new(),
        ip: origin.ip.clone(),
        place: origin.place,
        user_agent: None,
    }
}

/// A resource of `kind` from the catalogue's pool (people for `member`).
pub fn pick(w: &mut World, kind: &'static str) -> Res {
    if kind == "member" {
        let i = w.rng.random_range(0..w.person_weights.len());
        let person = &w.roster[i];
        return Res {
            kind,
            id: person.id.clone(),
            name: person.name.clone(),
        };
    }
    let (prefix, names) = catalog::resources(kind);
    let i = w.rng.random_range(0..names.len());
    let id = if kind == "vulnerability" {
        format!("{prefix}_{}", w.rng.random_range(10_000..99_999))
    } else {
        format!("{prefix}_{:04}", i + 1)
    };
    Res {
        kind,
        id,
        name: names[i].to_owned(),
    }
}

/// How a resource type reads in a sentence.
pub fn label(kind: &str) -> String {
    match kind {
        "assistant_action" => "action".to_owned(),
        "custom_role" => "role".to_owned(),
        "api_refresh_token" => "API refresh token".to_owned(),
        "api_key" => "API key".to_owned(),
        other => other.replace('_', " "),
    }
}

/// The event for `spec` done by `actor` at `at`.
pub fn perform(w: &mut World, spec: &Spec, actor: usize, at: i64, origin: &Origin) -> Draft {
    let mut d = blank(at, spec.action, spec.area, actor, origin);
    let who = w.roster[actor].name.clone();
    let res = pick(w, spec.kind);
    d.description = format!("{who} {} {} {}", spec.verb, label(res.kind), res.name);
    match spec.action {
        "member.role_changed" | "role.changed" => {
            let subject = w.rng.random_range(0..w.person_weights.len());
            let old = w.roster[subject].role().unwrap_or(Role::Member);
            let new = loop {
                let r = Role::ALL[w.rng.random_range(1..Role::ALL.len())];
                if r != old {
                    break r;
                }
            };
            let name = &w.roster[subject].name;
            d.description = format!(
                "{who} changed {name}'s role from {} to {}",
                old.label(),
                new.label()
            );
            d.changes
                .push(("role", json!(old.label()), json!(new.label())));
        }
        "member.invited" => {
            w.serial += 1;
            let role = Role::ALL[w.rng.random_range(2..Role::ALL.len())].label();
            let email = format!("new.hire{}@demo-inc.com", w.serial);
            d.description = format!("{who} invited {email} as {role}");
            d.metadata.insert("role".into(), json!(role));
            d.resource = Some(Res {
                kind: "invitation",
                id: format!("inv_{}", w.serial),
                name: email,
            });
            return d;
        }
        "team.member_added" | "team.member_removed" | "vulnerability.assigned" => {
            let member = pick(w, "member");
            d.description = match spec.action {
                "team.member_added" => format!("{who} added {} to team {}", member.name, res.name),
                "team.member_removed" => {
                    format!("{who} removed {} from team {}", member.name, res.name)
                }
                _ => format!("{who} assigned {} to {}", res.name, member.name),
            };
            d.targets.push(member);
        }
        "vulnerability.status_changed" => {
            let target = pick(w, "target");
            let old = catalog::VULN_STATES[w.rng.random_range(0..2)];
            let new = catalog::VULN_STATES[w.rng.random_range(1..catalog::VULN_STATES.len())];
            d.description = format!(
                "{who} changed {} on {} from {old} to {new}",
                res.name, target.name
            );
            d.changes.push(("state", json!(old), json!(new)));
            d.targets.push(target);
        }
        "scan.started" | "scan.scheduled" | "scan.cancelled" => {
            w.serial += 1;
            let profile =
                catalog::SCAN_PROFILES[w.rng.random_range(0..catalog::SCAN_PROFILES.len())];
            d.metadata
                .insert("scan_id".into(), json!(format!("scn_{}", w.serial)));
            d.metadata.insert("scan_profile".into(), json!(profile));
            if spec.action == "scan.scheduled" {
                let every = ["once", "daily", "weekly", "monthly"][w.rng.random_range(0..4)];
                d.metadata.insert("recurrence".into(), json!(every));
            }
        }
        "report.generated" => {
            d.targets = (0..w.rng.random_range(1..=3))
                .map(|_| pick(w, "target"))
                .collect();
            d.metadata.insert(
                "format".into(),
                json!(["pdf", "html", "csv"][w.rng.random_range(0..3)]),
            );
        }
        "organization.updated" => {
            let old = catalog::PLANS[w.rng.random_range(0..2)];
            let new = catalog::PLANS[w.rng.random_range(1..3)];
            d.changes.push(("plan", json!(old), json!(new)));
            d.metadata.insert("plan".into(), json!(new));
        }
        "assistant.updated" if w.rng.random_bool(0.5) => {
            let (field, old, new) = match w.rng.random_range(0..3) {
                0 => ("model", json!("gpt-4o"), json!("claude-sonnet-4-5")),
                1 => ("visibility", json!("private"), json!("workspace")),
                _ => ("temperature", json!(0.7), json!(0.3)),
            };
            d.changes.push((field, old, new));
        }
        "assistant.duplicated" => {
            d.targets.push(Res {
                kind: "assistant",
                id: format!("ast_{}", w.rng.random_range(1000..9999)),
                name: format!("{} (copy)", res.name),
            });
        }
        "api_key.created" | "api_refresh_token.created" => {
            let scopes = [
                json!(["events:read"]),
                json!(["scans:write", "targets:read"]),
                json!(["admin"]),
            ];
            d.metadata
                .insert("scopes".into(), scopes[w.rng.random_range(0..3)].clone());
            d.metadata.insert(
                "expires_in_days".into(),
                json!([30, 90, 365][w.rng.random_range(0..3)]),
            );
        }
        "runbook.executed" => {
            d.targets.push(pick(w, "service"));
            d.metadata.insert(
                "duration_ms".into(),
                json!(w.rng.random_range(800..240_000)),
            );
        }
        "audit_log.exported" => {
            d.metadata.insert(
                "format".into(),
                json!(["csv", "json"][w.rng.random_range(0..2)]),
            );
            d.metadata.insert(
                "time_frame".into(),
                json!(["last_30_days", "last_90_days", "custom"][w.rng.random_range(0..3)]),
            );
            d.metadata
                .insert("record_count".into(), json!(w.rng.random_range(40..20_000)));
        }
        "integration.created"
        | "integration.updated"
        | "extension.installed"
        | "extension.configured" => {
            d.metadata.insert(
                "provider".into(),
                json!(res.name.to_ascii_lowercase().replace(' ', "_")),
            );
        }
        "service.updated" if w.rng.random_bool(0.5) => {
            let teams = ["Platform", "Payments", "Mobile", "Data"];
            let old = teams[w.rng.random_range(0..4)];
            let new = teams[w.rng.random_range(0..4)];
            d.changes
                .push(("owner_team", Value::from(old), Value::from(new)));
        }
        _ => {}
    }
    d.resource = Some(res);
    d
}

/// A login attempt by `actor`: success, or failure with a reason.
pub fn login(
    w: &mut World,
    actor: usize,
    at: i64,
    origin: &Origin,
    failure: Option<&'static str>,
) -> Draft {
    let action = if failure.is_some() {
        "user.login_failed"
    } else {
        "user.login"
    };
    let mut d = blank(at, action, "authentication", actor, origin);
    let person = &w.roster[actor];
    let email = person.email.clone().unwrap_or_default();
    d.description = match failure {
        None => format!("{} logged in", person.name),
        Some(reason) => format!("Failed login for {email}: {}", reason.replace('_', " ")),
    };
    d.failure = failure;
    d.metadata.insert(
        "method".into(),
        json!(weighted(&mut w.rng, &catalog::LOGIN_METHODS)),
    );
    d.resource = Some(Res {
        kind: "user",
        id: person.id.clone(),
        name: email,
    });
    d
}
