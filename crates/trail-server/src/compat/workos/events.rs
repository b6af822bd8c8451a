//! `POST /audit_logs/events`: a WorkOS event becomes an ordinary Trail event and goes through
//! `services::ingest::append_events`. The mapping (docs/migrating.md "WorkOS"):
//!
//! - `actor` → `actor` (`type` kept when it is one of Trail's actor types, else `user` with the
//!   original under `metadata.workos.actor_type`);
//! - `targets[0]` → `resource`, `targets[1..]` → `targets`;
//! - `context.location` → `context.ip`, `context.user_agent` → `context.user_agent`;
//! - `metadata` → `metadata`, with what Trail's model has no place for under `metadata.workos`
//!   (`version`, actor and target metadata) and the target types under
//!   `metadata.workos_target_types`, which export filters on target types search;
//! - `source` is `workos`.
//!
//! With an `Idempotency-Key` the event's id is derived from the key and the API key, so even two
//! retries racing each other store one event.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use trail_core::event::{ActorInput, Context, EventInput, Resource};
use trail_core::validate::ACTOR_TYPES;
use trail_core::{FieldError, Millis};

use crate::compat::KeyCaller;
use crate::compat::idempotency::{self, Answer};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::services::ingest;
use crate::state::AppState;

/// Metadata keys Trail adds to WorkOS events; a client's own metadata may not use them.
pub const EXTRAS_KEY: &str = "workos";
pub const TARGET_TYPES_KEY: &str = "workos_target_types";
/// The `source` of every event sent through this route.
pub const SOURCE: &str = "workos";

#[derive(Debug, Deserialize)]
pub struct CreateEvent {
    pub organization_id: Option<String>,
    pub event: Option<WorkosEvent>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WorkosEvent {
    pub action: Option<String>,
    pub occurred_at: Option<String>,
    pub version: Option<u32>,
    pub actor: Option<Party>,
    pub targets: Option<Vec<Party>>,
    pub context: Option<WorkosContext>,
    pub metadata: Option<Map<String, Value>>,
}

/// An actor or a target.
#[derive(Debug, Default, Deserialize)]
pub struct Party {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WorkosContext {
    pub location: Option<String>,
    pub user_agent: Option<String>,
}

/// The Trail event id of a WorkOS event sent with `idempotency_key` by API key `key_id`.
pub fn event_id(key_id: &str, idempotency_key: &str) -> String {
    let digest = Sha256::digest(format!("{key_id}\n{idempotency_key}"));
    format!("wos_{}", &hex::encode(digest)[..40])
}

fn required<'a>(errors: &mut Vec<FieldError>, field: &str, value: Option<&'a str>) -> &'a str {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => v,
        _ => {
            errors.push(FieldError::new(
                field,
                "required",
                format!("`{field}` is required."),
            ));
            ""
        }
    }
}

/// WorkOS metadata holds strings, numbers and booleans only.
fn check_flat(errors: &mut Vec<FieldError>, field: &str, metadata: Option<&Map<String, Value>>) {
    for (key, value) in metadata.into_iter().flatten() {
        if !(value.is_string() || value.is_number() || value.is_boolean()) {
            errors.push(FieldError::new(
                format!("{field}.{key}"),
                "type",
                format!("`{field}.{key}` must be a string, a number or a boolean."),
            ));
        }
    }
}

/// The Trail event for `event`; errors name WorkOS's fields (`event.actor.id`).
pub fn to_input(event: WorkosEvent, id: Option<String>) -> Result<EventInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let action = required(&mut errors, "event.action", event.action.as_deref()).to_owned();
    let occurred_at = match required(
        &mut errors,
        "event.occurred_at",
        event.occurred_at.as_deref(),
    ) {
        "" => None,
        text => match Millis::parse_rfc3339(text) {
            Some(at) => Some(at),
            None => {
                errors.push(FieldError::new(
                    "event.occurred_at",
                    "format",
                    "`event.occurred_at` must be an ISO 8601 date-time.",
                ));
                None
            }
        },
    };
    if event.actor.is_none() {
        errors.push(FieldError::new(
            "event.actor",
            "required",
            "`event.actor` is required.",
        ));
    }
    let actor = event.actor.unwrap_or_default();
    let actor_id = required(&mut errors, "event.actor.id", actor.id.as_deref()).to_owned();
    let actor_type = required(&mut errors, "event.actor.type", actor.kind.as_deref()).to_owned();
    check_flat(&mut errors, "event.actor.metadata", actor.metadata.as_ref());
    let Some(targets) = event.targets else {
        errors.push(FieldError::new(
            "event.targets",
            "required",
            "`event.targets` is required.",
        ));
        return Err(errors);
    };
    let mut resources = Vec::with_capacity(targets.len());
    for (i, target) in targets.iter().enumerate() {
        let field = format!("event.targets[{i}]");
        let id = required(&mut errors, &format!("{field}.id"), target.id.as_deref());
        let kind = required(
            &mut errors,
            &format!("{field}.type"),
            target.kind.as_deref(),
        );
        check_flat(
            &mut errors,
            &format!("{field}.metadata"),
            target.metadata.as_ref(),
        );
        resources.push(Resource {
            kind: kind.to_owned(),
            id: Some(id.to_owned()),
            name: target.name.clone(),
        });
    }
    let context = event.context.unwrap_or_default();
    let location = required(
        &mut errors,
        "event.context.location",
        context.location.as_deref(),
    );
    let mut metadata = event.metadata.unwrap_or_default();
    check_flat(&mut errors, "event.metadata", Some(&metadata));
    for reserved in [EXTRAS_KEY, TARGET_TYPES_KEY] {
        if metadata.contains_key(reserved) {
            errors.push(FieldError::new(
                format!("event.metadata.{reserved}"),
                "reserved",
                format!("`event.metadata.{reserved}` is reserved by Trail."),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut extras = Map::new();
    if let Some(version) = event.version {
        extras.insert("version".into(), version.into());
    }
    let kind = if ACTOR_TYPES.contains(&actor_type.as_str()) {
        actor_type
    } else {
        extras.insert("actor_type".into(), actor_type.into());
        "user".to_owned()
    };
    if let Some(actor_metadata) = actor.metadata.filter(|m| !m.is_empty()) {
        extras.insert("actor_metadata".into(), Value::Object(actor_metadata));
    }
    if targets
        .iter()
        .any(|t| t.metadata.as_ref().is_some_and(|m| !m.is_empty()))
    {
        let all: Vec<Value> = targets
            .iter()
            .map(|t| t.metadata.clone().map_or(Value::Null, Value::Object))
            .collect();
        extras.insert("targets_metadata".into(), Value::Array(all));
    }
    if !extras.is_empty() {
        metadata.insert(EXTRAS_KEY.into(), Value::Object(extras));
    }
    if !resources.is_empty() {
        let types: Vec<Value> = resources.iter().map(|r| r.kind.clone().into()).collect();
        metadata.insert(TARGET_TYPES_KEY.into(), Value::Array(types));
    }
    let mut resources = resources.into_iter();
    let resource = resources.next();
    let rest: Vec<Resource> = resources.collect();
    Ok(EventInput {
        id,
        action,
        area: None,
        occurred_at,
        actor: ActorInput {
            id: actor_id,
            kind: Some(kind),
            name: actor.name,
            email: None,
            role: None,
        },
        resource,
        targets: (!rest.is_empty()).then_some(rest),
        source: Some(SOURCE.to_owned()),
        outcome: None,
        reason: None,
        description: None,
        context: Some(Context {
            ip: Some(location.to_owned()),
            user_agent: context.user_agent,
            ..Context::default()
        }),
        changes: None,
        metadata: (!metadata.is_empty()).then_some(metadata),
    })
}

/// A Trail field (`events[0].context.ip`) as the WorkOS field it came from.
pub fn workos_field(trail: &str) -> String {
    let field = trail.strip_prefix("events[0]").unwrap_or(trail);
    let field = field.strip_prefix('.').unwrap_or(field);
    if let Some(rest) = field.strip_prefix("context.ip") {
        return format!("event.context.location{rest}");
    }
    if let Some(rest) = field.strip_prefix("resource") {
        return format!("event.targets[0]{rest}");
    }
    if let Some(rest) = field.strip_prefix("targets[")
        && let Some((index, tail)) = rest.split_once(']')
        && let Ok(index) = index.parse::<usize>()
    {
        return format!("event.targets[{}]{tail}", index + 1);
    }
    if field.is_empty() || field.starts_with("event") {
        field.to_owned()
    } else {
        format!("event.{field}")
    }
}

/// An ingest error with WorkOS's field names, and `invalid_audit_log` for a bad event.
fn as_workos(mut err: ApiError) -> ApiError {
    for detail in &mut err.details {
        if let Some(field) = detail.get("field").and_then(Value::as_str) {
            let renamed = workos_field(field);
            detail["field"] = renamed.into();
        }
    }
    if err.status == StatusCode::BAD_REQUEST {
        err.code = "invalid_audit_log";
        err.message = err.message.replace("events[0].", "event.");
    }
    err
}

/// `POST /audit_logs/events` → 201 `{"success": true}`.
pub async fn create(
    State(state): State<AppState>,
    caller: KeyCaller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes =
        extract::body_bytes(&headers, body, state.settings.limits.max_request_bytes).await?;
    let request: CreateEvent = extract::json(&bytes).map_err(as_workos)?;
    let organization_id = request.organization_id.ok_or_else(|| {
        ApiError::invalid_field(
            "organization_id",
            "required",
            "`organization_id` is required.",
        )
    })?;
    caller.check_organization(&state, &organization_id).await?;
    let Some(event) = request.event else {
        return Err(as_workos(ApiError::invalid_field(
            "event",
            "required",
            "`event` is required.",
        )));
    };
    let id = idempotency::key(&headers)?.map(|key| event_id(caller.key_id(), &key));
    let input =
        to_input(event, id).map_err(|errors| as_workos(ApiError::invalid_fields(errors)))?;
    let route = "POST /audit_logs/events";
    idempotency::replay_or_run(&state, &caller, route, &headers, &bytes, async {
        ingest::append_events(&state, &caller.0, vec![input])
            .await
            .map_err(as_workos)?;
        Ok(Answer {
            status: StatusCode::CREATED,
            body: json!({"success": true}),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(body: Value) -> WorkosEvent {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn a_workos_event_maps_onto_trail_fields() {
        let input = to_input(
            event(json!({
                "action": "user.signed_in", "occurred_at": "2026-12-01T10:00:00.123Z", "version": 2,
                "actor": {"id": "user_1", "type": "admin", "name": "Jane", "metadata": {"role": "owner"}},
                "targets": [{"id": "team_1", "type": "team", "name": "Core"}, {"id": "doc_9", "type": "document", "metadata": {"size": 3}}],
                "context": {"location": "203.0.113.7", "user_agent": "curl/8"},
                "metadata": {"plan": "pro"}
            })),
            Some("wos_1".into()),
        )
        .unwrap();
        assert_eq!(input.id.as_deref(), Some("wos_1"));
        assert_eq!(input.actor.kind.as_deref(), Some("user"));
        assert_eq!(input.resource.as_ref().unwrap().kind, "team");
        assert_eq!(
            input.targets.as_ref().unwrap()[0].id.as_deref(),
            Some("doc_9")
        );
        assert_eq!(input.source.as_deref(), Some("workos"));
        let context = input.context.unwrap();
        assert_eq!(context.ip.as_deref(), Some("203.0.113.7"));
        let metadata = Value::Object(input.metadata.unwrap());
        assert_eq!(metadata["plan"], "pro");
        assert_eq!(metadata["workos_target_types"], json!(["team", "document"]));
        assert_eq!(metadata["workos"]["version"], 2);
        assert_eq!(metadata["workos"]["actor_type"], "admin");
        assert_eq!(
            metadata["workos"]["actor_metadata"],
            json!({"role": "owner"})
        );
        assert_eq!(
            metadata["workos"]["targets_metadata"],
            json!([null, {"size": 3}])
        );
    }

    #[test]
    fn missing_and_bad_fields_are_named_as_workos_names_them() {
        let errors = to_input(
            event(
                json!({"occurred_at": "yesterday", "actor": {"id": "u"}, "targets": [{"type": "t"}],
                "context": {}, "metadata": {"nested": {"a": 1}, "workos": "x"}}),
            ),
            None,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "event.action",
                "event.occurred_at",
                "event.actor.type",
                "event.targets[0].id",
                "event.context.location",
                "event.metadata.nested",
                "event.metadata.workos"
            ]
        );
    }

    #[test]
    fn trail_fields_are_renamed_back() {
        assert_eq!(
            workos_field("events[0].context.ip"),
            "event.context.location"
        );
        assert_eq!(workos_field("events[0].resource.id"), "event.targets[0].id");
        assert_eq!(
            workos_field("events[0].targets[2].name"),
            "event.targets[3].name"
        );
        assert_eq!(workos_field("events[0].action"), "event.action");
        assert_eq!(workos_field("event.actor.id"), "event.actor.id");
    }

    #[test]
    fn idempotency_keys_give_stable_distinct_ids() {
        assert_eq!(event_id("key_1", "k"), event_id("key_1", "k"));
        assert_ne!(event_id("key_1", "k"), event_id("key_2", "k"));
        assert!(event_id("key_1", "k").starts_with("wos_"));
    }
}
