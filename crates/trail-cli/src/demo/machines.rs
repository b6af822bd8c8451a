//! Episodes run by machines: a scheduled scan (the scheduler starts it, the scan engine reports
//! findings and the end) and background chores of services and system jobs.

use rand::Rng;
use serde_json::json;

use super::actions::{self, Origin, blank, pick};
use super::catalog;
use super::generator::{DAY_MS, Draft, World};
use super::people::weighted;

const MINUTE: i64 = 60_000;

/// A machine actor's origin: its internal address, no location.
pub fn internal(w: &World, actor: usize, source: &'static str) -> Origin {
    Origin {
        ip: w.roster[actor].ips[0].clone(),
        place: None,
        source,
    }
}

/// A scheduled scan: started by the scheduler, findings from the scan engine, then completed,
/// failed or cancelled, with its duration.
pub fn scan(w: &mut World, start: i64, end: i64) -> Vec<Draft> {
    let scheduler = w.machine("sys_scheduler");
    let engine = w.machine("svc_scan_engine");
    let day = start.div_euclid(DAY_MS) * DAY_MS;
    let mut t = if w.rng.random_bool(0.5) {
        day + w.rng.random_range(0..6 * 60 * MINUTE)
    } else {
        w.rng.random_range(start..end)
    };
    t = t.clamp(start, end - 1);
    w.serial += 1;
    let scan_id = format!("scn_{}", w.serial);
    let target = pick(w, "target");
    let profile = catalog::SCAN_PROFILES[w.rng.random_range(0..catalog::SCAN_PROFILES.len())];
    let origin = internal(w, scheduler, "background_task");
    let mut started = blank(t, "scan.started", "scans", scheduler, &origin);
    started.description = format!("Scheduled scan of {} started ({profile})", target.name);
    started.metadata.insert("scan_id".into(), json!(scan_id));
    started
        .metadata
        .insert("scan_profile".into(), json!(profile));
    started.metadata.insert("trigger".into(), json!("schedule"));
    started.resource = Some(target.clone());
    let mut out = vec![started];
    let duration = w.rng.random_range(5 * MINUTE..180 * MINUTE);
    let findings = w.rng.random_range(0..=6);
    let engine_origin = internal(w, engine, "background_task");
    for _ in 0..findings {
        let at = t + w.rng.random_range(0..duration);
        let vuln = pick(w, "vulnerability");
        let severity = weighted(&mut w.rng, &catalog::SEVERITIES);
        let mut d = blank(
            at,
            "vulnerability.found",
            "vulnerabilities",
            engine,
            &engine_origin,
        );
        d.description = format!(
            "Scan Engine found {severity} {} on {}",
            vuln.name, target.name
        );
        d.metadata.insert("scan_id".into(), json!(scan_id));
        d.metadata.insert("severity".into(), json!(severity));
        d.metadata.insert(
            "url".into(),
            json!(format!(
                "https://{}/{}",
                target.name,
                [
                    "login",
                    "search",
                    "api/v2/orders",
                    "account/settings",
                    "cart"
                ][w.rng.random_range(0..5)]
            )),
        );
        d.resource = Some(vuln);
        d.targets.push(target.clone());
        out.push(d);
    }
    let (action, failure) = match w.rng.random_range(0..100) {
        0..6 => ("scan.failed", Some("target_unreachable")),
        6..9 => ("scan.cancelled", Some("maintenance_window")),
        _ => ("scan.completed", None),
    };
    let mut done = blank(t + duration, action, "scans", engine, &engine_origin);
    done.failure = failure;
    done.description = match failure {
        None => format!(
            "Scan of {} completed in {} min with {findings} findings",
            target.name,
            duration / MINUTE
        ),
        Some(reason) => format!(
            "Scan of {} stopped: {}",
            target.name,
            reason.replace('_', " ")
        ),
    };
    done.metadata.insert("scan_id".into(), json!(scan_id));
    done.metadata.insert("duration_ms".into(), json!(duration));
    done.metadata
        .insert("requests".into(), json!(w.rng.random_range(2_000..400_000)));
    done.metadata
        .insert("vulnerabilities".into(), json!(findings));
    done.resource = Some(target);
    out.push(done);
    out
}

/// Background housekeeping by services and system jobs.
pub fn chore(w: &mut World, start: i64, end: i64) -> Vec<Draft> {
    let t = w.rng.random_range(start..end);
    let (actor_id, action, area, kind) = [
        (
            "sys_retention",
            "conversation.chat_deleted",
            "conversations",
            "conversation",
        ),
        ("sys_retention", "api_key.expired", "api_keys", "api_key"),
        (
            "svc_assistant_runtime",
            "integration.synced",
            "integrations",
            "integration",
        ),
        (
            "svc_notifier",
            "escalation_policy.triggered",
            "escalation_policies",
            "escalation_policy",
        ),
        ("sys_scheduler", "report.generated", "reports", "report"),
    ][w.rng.random_range(0..5)];
    let actor = w.machine(actor_id);
    let source = if actor_id.starts_with("sys_") {
        "background_task"
    } else {
        "integration"
    };
    let origin = internal(w, actor, source);
    let mut d = blank(t, action, area, actor, &origin);
    let res = pick(w, kind);
    let name = w.roster[actor].name.clone();
    d.description = format!(
        "{name}: {} {} ({})",
        actions::label(kind),
        res.name,
        action.replace(['.', '_'], " ")
    );
    if action == "integration.synced" && w.rng.random_bool(0.1) {
        d.action = "integration.sync_failed";
        d.failure = Some("token_expired");
    }
    if action == "conversation.chat_deleted" {
        d.metadata.insert("policy".into(), json!("retain_90_days"));
    }
    d.resource = Some(res);
    vec![d]
}
