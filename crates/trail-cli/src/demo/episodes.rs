//! Episodes: the short stories a day is made of — a person's working session, failed logins, an API
//! job, incident response, a password-guessing attack (scans and chores are in `machines`). Each returns its events (times may run past the day; the generator clamps and sorts).

use rand::Rng;
use serde_json::json;

use super::actions::{self, Origin, blank, login, perform, pick};
use super::catalog::{self, Product, SPECS};
use super::generator::{DayKind, Draft, World};
use super::machines::{chore, internal, scan};
use super::people::{self, COUNTRIES, Kind, Role, pick_weighted_index, weighted};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;

/// One episode starting somewhere in `[start, end)`, its mix depending on the kind of day.
pub fn episode(w: &mut World, kind: DayKind, start: i64, end: i64) -> Vec<Draft> {
    let roll = w.rng.random_range(0..100);
    match kind {
        DayKind::Normal => match roll {
            0..60 => session(w, start, end),
            60..66 => failed_logins(w, start, end),
            66..78 => api_job(w, start, end, false),
            78..93 => scan(w, start, end),
            _ => chore(w, start, end),
        },
        DayKind::ScanCampaign => match roll {
            0..35 => session(w, start, end),
            35..38 => failed_logins(w, start, end),
            38..55 => api_job(w, start, end, true),
            55..95 => scan(w, start, end),
            _ => chore(w, start, end),
        },
        DayKind::Incident => match roll {
            0..40 => session(w, start, end),
            40..45 => failed_logins(w, start, end),
            45..47 => password_guessing(w, start, end),
            47..75 => incident(w, start, end),
            75..85 => api_job(w, start, end, false),
            85..95 => scan(w, start, end),
            _ => chore(w, start, end),
        },
    }
}

/// Someone who works here, busier people more often.
fn person(w: &mut World) -> usize {
    pick_weighted_index(&mut w.rng, &w.person_weights)
}

/// Where a person works from this time: usually home or office, sometimes abroad.
fn whereabouts(w: &mut World, actor: usize, source: &'static str) -> Origin {
    let a = &w.roster[actor];
    if !a.trips.is_empty() && w.rng.random_bool(0.15) {
        let country = a.trips[w.rng.random_range(0..a.trips.len())];
        let ip = people::home_ipv4(&mut w.rng, country);
        return Origin {
            ip,
            place: Some(country),
            source,
        };
    }
    let ip = a.ips[w.rng.random_range(0..a.ips.len())].clone();
    Origin {
        ip,
        place: Some(a.home),
        source,
    }
}

fn gap(w: &mut World, low: i64, high: i64) -> i64 {
    w.rng.random_range(low..high)
}

/// A working session: maybe a login, one to seven actions in one product, maybe a logout.
fn session(w: &mut World, start: i64, end: i64) -> Vec<Draft> {
    let actor = person(w);
    let role = w.roster[actor].role().unwrap_or(Role::Member);
    let product_weights = match role {
        Role::Owner | Role::Admin => [3, 4, 3],
        Role::SecurityManager => [7, 1, 2],
        Role::SecurityAnalyst => [8, 1, 1],
        Role::Developer => [2, 5, 3],
        Role::Member => [0, 8, 2],
    };
    let product = [Product::Scanner, Product::Assistants, Product::Incidents]
        [pick_weighted_index(&mut w.rng, &product_weights)];
    let source = match product {
        Product::Assistants => "app",
        _ if w.rng.random_bool(0.15) => "api",
        _ => "web_ui",
    };
    let origin = whereabouts(w, actor, source);
    let mut t = w.work_time(actor, start, end);
    let mut out = Vec::new();
    if source != "api" && (product != Product::Assistants || w.rng.random_bool(0.2)) {
        out.push(login(w, actor, t, &origin, None));
    }
    let specs: Vec<&catalog::Spec> = SPECS
        .iter()
        .filter(|s| s.product == product && catalog::allowed(s, role))
        .collect();
    let weights: Vec<u32> = specs.iter().map(|s| s.weight).collect();
    for _ in 0..w.rng.random_range(1..=7) {
        t += gap(w, 15 * SECOND, 10 * MINUTE);
        let spec = specs[pick_weighted_index(&mut w.rng, &weights)];
        out.push(perform(w, spec, actor, t, &origin));
    }
    if source != "api" && w.rng.random_bool(0.4) {
        t += gap(w, 30 * SECOND, 20 * MINUTE);
        let mut d = blank(t, "user.logout", "authentication", actor, &origin);
        d.description = format!("{} logged out", w.roster[actor].name);
        out.push(d);
    }
    out
}

/// One to three failed logins (a typo, an expired MFA code), usually followed by a good one.
fn failed_logins(w: &mut World, start: i64, end: i64) -> Vec<Draft> {
    let actor = person(w);
    let origin = whereabouts(w, actor, "web_ui");
    let mut t = w.work_time(actor, start, end);
    let mut out = Vec::new();
    for _ in 0..w.rng.random_range(1..=3) {
        let reason = weighted(&mut w.rng, &catalog::LOGIN_FAILURES);
        out.push(login(w, actor, t, &origin, Some(reason)));
        t += gap(w, 4 * SECOND, 90 * SECOND);
    }
    if w.rng.random_bool(0.65) {
        out.push(login(w, actor, t, &origin, None));
    }
    out
}

/// A script guessing one person's password from abroad until the account locks.
fn password_guessing(w: &mut World, start: i64, end: i64) -> Vec<Draft> {
    let victim = person(w);
    let country = loop {
        let c = w.rng.random_range(0..COUNTRIES.len());
        if c != w.roster[victim].home {
            break c;
        }
    };
    let ip = people::home_ipv4(&mut w.rng, country);
    let origin = Origin {
        ip,
        place: Some(country),
        source: "web_ui",
    };
    let mut t = w.rng.random_range(start..end);
    let attempts = w.rng.random_range(12..40);
    (0..attempts)
        .map(|i| {
            t += gap(w, SECOND, 8 * SECOND);
            let reason = if i + 1 == attempts {
                "account_locked"
            } else {
                "invalid_password"
            };
            let mut d = login(w, victim, t, &origin, Some(reason));
            d.user_agent = Some("python-requests/2.31.0");
            d
        })
        .collect()
}

/// An API key at work: the CI pipeline starting scans, Terraform updating services, an exporter.
fn api_job(w: &mut World, start: i64, end: i64, campaign: bool) -> Vec<Draft> {
    let keys: Vec<usize> = (0..w.roster.len())
        .filter(|i| w.roster[*i].kind == Kind::ApiKey)
        .collect();
    let weights: Vec<u32> = keys.iter().map(|i| w.roster[*i].activity).collect();
    let key = if campaign {
        w.machine("key_ci_pipeline")
    } else {
        keys[pick_weighted_index(&mut w.rng, &weights)]
    };
    let origin = Origin {
        ip: w.roster[key].ips[0].clone(),
        place: Some(0),
        source: "api",
    };
    let mut t = w.work_time(key, start, end);
    let n = if campaign {
        w.rng.random_range(5..20)
    } else {
        w.rng.random_range(1..=8)
    };
    let table: Vec<(usize, u32)> = catalog::API_ACTIONS
        .iter()
        .enumerate()
        .map(|(i, a)| (i, a.3))
        .collect();
    let name = w.roster[key].name.clone();
    (0..n)
        .map(|_| {
            t += gap(w, SECOND, 2 * MINUTE);
            let (action, area, kind, _) = catalog::API_ACTIONS[if campaign {
                0
            } else {
                weighted(&mut w.rng, &table)
            }];
            let mut d = blank(t, action, area, key, &origin);
            let res = pick(w, kind);
            d.description = format!(
                "{name} (API key) called {action} on {} {}",
                actions::label(kind),
                res.name
            );
            if action == "scan.started" {
                w.serial += 1;
                d.metadata
                    .insert("scan_id".into(), json!(format!("scn_{}", w.serial)));
                d.metadata.insert("trigger".into(), json!("pipeline"));
            }
            d.resource = Some(res);
            d
        })
        .collect()
}

/// Someone on call responding to an outage: the notifier pages, runbooks run, services change.
fn incident(w: &mut World, start: i64, end: i64) -> Vec<Draft> {
    let notifier = w.machine("svc_notifier");
    let responder = person(w);
    let mut t = w.rng.random_range(start..end);
    w.serial += 1;
    let incident = format!("INC-{}", w.serial);
    let service = pick(w, "service");
    let mut page = blank(
        t,
        "escalation_policy.triggered",
        "escalation_policies",
        notifier,
        &internal(w, notifier, "integration"),
    );
    page.description = format!(
        "{incident}: paged {} for {}",
        w.roster[responder].name, service.name
    );
    page.resource = Some(pick(w, "escalation_policy"));
    page.targets.push(service.clone());
    page.metadata.insert("incident_id".into(), json!(incident));
    let origin = whereabouts(w, responder, "web_ui");
    t += gap(w, MINUTE, 6 * MINUTE);
    let mut out = vec![page, login(w, responder, t, &origin, None)];
    for action in [
        "runbook.executed",
        "runbook.executed",
        "service.updated",
        "service.maintenance_started",
        "escalation_policy.updated",
    ] {
        if w.rng.random_bool(0.6) {
            t += gap(w, 30 * SECOND, 8 * MINUTE);
            let spec = SPECS
                .iter()
                .find(|s| s.action == action)
                .expect("incident actions are in the catalogue");
            let mut d = perform(w, spec, responder, t, &origin);
            d.metadata.insert("incident_id".into(), json!(incident));
            if action.starts_with("service.") {
                d.resource = Some(service.clone());
                d.description = format!(
                    "{} {} service {}",
                    w.roster[responder].name, spec.verb, service.name
                );
            }
            out.push(d);
        }
    }
    out
}
