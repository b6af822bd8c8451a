//! Elastic Common Schema (8.x): the event's fields where ECS has them (`@timestamp`, `event.*`,
//! `user.*`, `source.ip`, `user_agent.original`, `organization.id`, `message`), the rest under
//! `trail.*`. `event.id` is Trail's `id` and `event.sequence` its `seq`.

use serde_json::{Value, json};

use crate::event::{Event, Outcome};

/// ECS `event.category` and `event.type` for an area and action.
fn category(area: &str, action: &str) -> (&'static str, &'static str) {
    let verb = super::verb(action);
    let kind = match verb {
        "created" | "added" | "invited" => "creation",
        "deleted" | "removed" | "revoked" => "deletion",
        "updated" | "changed" | "modified" | "rotated" => "change",
        "viewed" | "read" | "searched" | "listed" | "exported" | "downloaded" => "access",
        _ => "info",
    };
    if verb.contains("login") || verb.contains("logout") || verb.contains("sign") {
        return (
            "authentication",
            if verb.contains("out") { "end" } else { "start" },
        );
    }
    match area {
        "users" | "user" | "members" | "member" | "accounts" | "account" => ("iam", kind),
        "roles" | "api_keys" | "keys" | "tokens" | "groups" | "teams" => ("iam", kind),
        "settings" | "streams" => ("configuration", kind),
        _ => ("web", kind),
    }
}

pub fn to_ecs(event: &Event) -> Value {
    let data = &event.data;
    let (category, kind) = category(&data.area, &data.action);
    let mut out = json!({
        "@timestamp": data.occurred_at.to_rfc3339(),
        "ecs": {"version": "8.11.0"},
        "message": data.description.clone().unwrap_or_else(|| data.action.clone()),
        "event": {
            "id": data.id,
            "sequence": event.seq,
            "action": data.action,
            "category": [category],
            "type": [kind],
            "kind": "event",
            "outcome": match data.outcome { Outcome::Success => "success", Outcome::Failure => "failure" },
            "created": event.received_at.to_rfc3339(),
            "dataset": "trail.audit",
            "provider": "trail",
            "hash": event.hash,
        },
        "user": {
            "id": data.actor.id,
            "name": data.actor.name,
            "email": data.actor.email,
            "roles": data.actor.role.iter().collect::<Vec<_>>(),
        },
        "organization": {"id": event.organization_id},
        "trail": {
            "area": data.area,
            "actor_type": data.actor.kind,
            "source": data.source,
            "resource": data.resource,
            "targets": data.targets,
            "changes": data.changes,
            "metadata": data.metadata,
            "prev": event.prev,
        },
    });
    let obj = out.as_object_mut().expect("an object");
    if let Some(reason) = &data.reason {
        obj["event"]["reason"] = json!(reason);
    }
    if let Some(context) = &data.context {
        if let Some(ip) = &context.ip {
            obj.insert("source".into(), json!({"ip": ip}));
        }
        if let Some(agent) = &context.user_agent {
            obj.insert("user_agent".into(), json!({"original": agent}));
        }
        if let Some(country) = context.location.as_ref().and_then(|l| l.country.as_ref()) {
            obj.insert(
                "client".into(),
                json!({"geo": {"country_iso_code": country}}),
            );
        }
    }
    out
}
