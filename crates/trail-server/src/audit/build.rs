//! Turning an [`Entry`] into a valid event: the caller as actor, the request's address, and
//! details [`sanitize`](super::sanitize)d so that nothing the caller sent can make the event
//! invalid.

use serde_json::{Map, Value, json};
use trail_core::Millis;
use trail_core::event::{EventInput, NewEvent};
use trail_core::validate::{self, Limits};

use super::{AREA, Entry, RequestMeta, sanitize};
use crate::auth::Principal;

/// Who did it, through what, from where: everything an audit event says besides the entry.
#[derive(Debug, Clone)]
pub struct Actor {
    actor: Value,
    source: &'static str,
    context: Map<String, Value>,
}

impl Actor {
    /// The caller of a request, with its address and user agent.
    pub fn of(principal: &Principal, meta: &RequestMeta) -> Actor {
        let mut context = Map::new();
        if let Some(ip) = meta.ip {
            context.insert("ip".into(), ip.to_string().into());
        }
        if let Some(agent) = &meta.user_agent {
            context.insert("user_agent".into(), agent.clone().into());
        }
        Actor {
            actor: actor(principal),
            source: principal.source(),
            context,
        }
    }

    /// A person who is not (yet) a caller: `actor` as the event names them (sign-in), through the
    /// web, from the request's address.
    pub fn person(actor: Value, meta: &RequestMeta) -> Actor {
        let mut with_context = Actor::of(&Principal::Operator, meta);
        with_context.actor = actor;
        with_context.source = "web_ui";
        with_context
    }

    /// Trail itself (its background jobs).
    pub fn system() -> Actor {
        Actor {
            actor: json!({"id": "trail", "type": "system", "name": "Trail"}),
            source: "system",
            context: Map::new(),
        }
    }
}

/// The audit event for `entry` done by `actor`. What the caller asked is truncated or
/// summarised where it would not fit (`sanitize`), so the event is never refused for it; an
/// `Err` means Trail built an invalid event itself.
pub fn build_event(
    actor: &Actor,
    entry: Entry,
    limits: &Limits,
    now: Millis,
) -> Result<NewEvent, String> {
    let mut event = json!({
        "action": entry.action,
        "area": AREA,
        "actor": actor.actor,
        "source": actor.source,
        "outcome": entry.outcome.unwrap_or("success"),
        "description": sanitize::text(&entry.description, limits.max_string_len),
    });
    if !actor.context.is_empty() {
        event["context"] = Value::Object(actor.context.clone());
    }
    if let Some(mut resource) = entry.resource {
        sanitize::value(&mut resource, limits.max_string_len);
        event["resource"] = resource;
    }
    let mut changes = Value::Array(entry.changes);
    sanitize::value(&mut changes, limits.max_string_len);
    if changes.as_array().is_some_and(|c| !c.is_empty()) {
        event["changes"] = changes;
    }
    let mut metadata = Value::Object(entry.metadata);
    sanitize::value(&mut metadata, limits.max_string_len);
    if metadata.as_object().is_some_and(|m| !m.is_empty()) {
        event["metadata"] = metadata;
    }
    match validated(event.clone(), limits, now) {
        Ok(new) => Ok(new),
        Err(first) => {
            // Still too large (many fields, many changes): keep who did what, summarise the rest.
            let omitted = sanitize::omitted(&event);
            if let Some(object) = event.as_object_mut() {
                object.remove("changes");
                object.insert("metadata".into(), omitted);
            }
            validated(event, limits, now).map_err(|second| format!("{first}; then {second}"))
        }
    }
}

fn validated(event: Value, limits: &Limits, now: Millis) -> Result<NewEvent, String> {
    let input: EventInput = serde_json::from_value(event).map_err(|e| e.to_string())?;
    validate::validate_event(input, limits, now)
        .map_err(|errors| format!("invalid audit event: {errors:?}"))
}

/// The audit event's actor for a caller.
fn actor(principal: &Principal) -> Value {
    match principal {
        Principal::Operator => json!({"id": "operator", "type": "system", "name": "Operator"}),
        Principal::Key(key) => json!({"id": key.id, "type": "api_key", "name": key.name}),
        Principal::Member(member) => json!({
            "id": member.user.id,
            "type": "user",
            "name": member.user.name,
            "email": member.user.email,
            "role": member.role_name,
        }),
        Principal::Viewer(claims) => match &claims.viewer {
            Some(viewer) => {
                json!({"id": viewer.id, "type": "user", "name": viewer.name, "email": viewer.email, "role": "Viewer"})
            }
            None => {
                json!({"id": "viewer_token", "type": "user", "name": "Embedded viewer", "role": "Viewer"})
            }
        },
    }
}
