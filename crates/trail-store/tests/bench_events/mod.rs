//! The events the store benchmarks append: the shape of docs/api.md's ingest example with values drawn from a
//! xorshift generator, so every run (and every benchmark) measures the same data.

#![allow(dead_code)]

use trail_core::Millis;
use trail_core::event::{Actor, Context, EventData, Location, NewEvent, Outcome, Resource};
use trail_core::ids;

pub const DAY_MS: i64 = 86_400_000;
const ACTIONS: [&str; 12] = [
    "user.login",
    "user.logout",
    "member.invited",
    "member.role_changed",
    "member.removed",
    "scan.started",
    "scan.finished",
    "api_key.created",
    "api_key.revoked",
    "project.created",
    "project.deleted",
    "settings.updated",
];
const SOURCES: [&str; 4] = ["web_ui", "api", "background_task", "cli"];
const COUNTRIES: [&str; 8] = ["DE", "US", "FR", "GB", "NL", "JP", "BR", "IN"];

/// A typical event: the shape of docs/api.md's ingest example, with values drawn from `r`, occurring around
/// `occurred_at` (a minute of jitter, as real ingest has).
pub fn typical(r: u64, occurred_at: Millis) -> NewEvent {
    let pick = |n: u64, salt: u64| ((r >> (salt * 5)) ^ (r >> 40)) % n;
    let action = ACTIONS[pick(ACTIONS.len() as u64, 1) as usize];
    let user = pick(500, 2);
    let target = pick(5000, 3);
    let occurred_at = occurred_at.plus_ms(-((r % 60_000) as i64));
    NewEvent {
        data: EventData {
            trail: None,
            id: ids::new_event_id(),
            action: action.into(),
            area: action.split('.').next().unwrap().into(),
            occurred_at,
            actor: Actor {
                id: format!("usr_{user}"),
                kind: "user".into(),
                name: Some(format!("User Number{user}")),
                email: Some(format!("user{user}@example.com")),
                role: Some(["Admin", "Member", "Owner"][pick(3, 4) as usize].into()),
            },
            resource: Some(Resource {
                kind: "member".into(),
                id: Some(format!("usr_{target}")),
                name: Some(format!("Member {target}")),
            }),
            targets: Vec::new(),
            source: Some(SOURCES[pick(4, 5) as usize].into()),
            outcome: if pick(20, 6) == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            reason: None,
            description: Some(format!("User Number{user} did {action} on Member {target}")),
            context: Some(Context {
                ip: Some(format!(
                    "10.{}.{}.{}",
                    pick(4, 7),
                    pick(256, 8),
                    pick(256, 9)
                )),
                user_agent: None,
                request_id: None,
                location: Some(Location {
                    country: Some(COUNTRIES[pick(8, 10) as usize].into()),
                    region: None,
                    city: None,
                }),
            }),
            changes: Vec::new(),
            metadata: serde_json::json!({"plan": "enterprise"})
                .as_object()
                .cloned(),
        },
        received_at: occurred_at.plus_ms(60_000),
        client_id: false,
        occurred_at_defaulted: false,
    }
}

pub fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
