//! WorkOS action schemas on top of the event-type catalogue. A schema is stored as the event
//! type's `metadata_schema`: the submitted metadata JSON Schema (what Trail checks events with,
//! in the organization's validation mode) plus the whole submitted WorkOS schema under the
//! annotation keyword `x-workos-schema`, which is echoed back. The catalogue's versioning gives
//! WorkOS's semantics: the same schema keeps the latest version, another makes version + 1, an
//! unknown action is catalogued. Labels, areas and templates set in Trail are kept.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use trail_core::catalogue::{EventType, EventTypeDraft};

use crate::compat::KeyCaller;
use crate::compat::idempotency::{self, Answer};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::services::event_types;
use crate::state::AppState;

/// The annotation keyword holding the submitted WorkOS schema.
pub const ANNOTATION: &str = "x-workos-schema";

#[derive(Debug, Deserialize)]
struct SchemaBody {
    targets: Option<Vec<TargetSchema>>,
    actor: Option<Value>,
    metadata: Option<Value>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
struct TargetSchema {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
}

/// The `metadata_schema` that stores `workos`: its metadata schema's keywords and the whole
/// WorkOS schema as an annotation.
fn stored_schema(workos: &Value) -> Value {
    let mut schema = match workos.get("metadata") {
        Some(Value::Object(metadata)) => metadata.clone(),
        _ => Map::new(),
    };
    schema.insert(ANNOTATION.into(), workos.clone());
    Value::Object(schema)
}

/// WorkOS's schema object for an event type (one catalogued in Trail without a WorkOS schema
/// shows its metadata schema and no targets).
pub fn view(event_type: &EventType) -> Value {
    let stored = event_type
        .metadata_schema
        .as_ref()
        .and_then(|s| s.get(ANNOTATION));
    let mut view = json!({
        "object": "audit_log_schema",
        "version": event_type.version,
        "targets": stored.and_then(|s| s.get("targets")).cloned().unwrap_or_else(|| json!([])),
        "created_at": event_type.updated_at.to_rfc3339(),
    });
    if let Some(actor) = stored.and_then(|s| s.get("actor")).filter(|a| !a.is_null()) {
        view["actor"] = actor.clone();
    }
    let metadata = match stored {
        Some(stored) => stored.get("metadata").cloned(),
        None => event_type.metadata_schema.clone(),
    };
    if let Some(metadata) = metadata.filter(|m| !m.is_null()) {
        view["metadata"] = metadata;
    }
    view
}

fn check(body: &SchemaBody) -> ApiResult<Value> {
    let unprocessable = |field: &str, message: &str| {
        let mut err = ApiError::invalid_field(field, "invalid", message);
        err.status = StatusCode::UNPROCESSABLE_ENTITY;
        err.code = "invalid_schema";
        err
    };
    let Some(targets) = &body.targets else {
        return Err(unprocessable("targets", "`targets` is required."));
    };
    for (i, target) in targets.iter().enumerate() {
        if target.kind.as_deref().is_none_or(|k| k.trim().is_empty()) {
            return Err(unprocessable(
                &format!("targets[{i}].type"),
                "Each target needs a `type`.",
            ));
        }
    }
    if let Some(actor) = &body.actor
        && !actor.is_null()
        && actor.get("metadata").is_none_or(|m| !m.is_object())
    {
        return Err(unprocessable(
            "actor.metadata",
            "`actor.metadata` must be a JSON Schema object.",
        ));
    }
    if body.metadata.as_ref().is_some_and(|m| !m.is_object()) {
        return Err(unprocessable(
            "metadata",
            "`metadata` must be a JSON Schema object.",
        ));
    }
    let mut workos = json!({"targets": targets});
    if let Some(actor) = body.actor.as_ref().filter(|a| !a.is_null()) {
        workos["actor"] = actor.clone();
    }
    if let Some(metadata) = &body.metadata {
        workos["metadata"] = metadata.clone();
    }
    Ok(workos)
}

/// `POST /audit_logs/actions/{action}/schemas` → 201 with the schema and its version.
pub async fn create(
    State(state): State<AppState>,
    caller: KeyCaller,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = extract::body_bytes(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let request: SchemaBody = extract::json(&bytes)?;
    let workos = check(&request)?;
    let route = format!("POST /audit_logs/actions/{action}/schemas");
    idempotency::replay_or_run(&state, &caller, &route, &headers, &bytes, async {
        let caller = &caller.0;
        let mut draft = match event_types::get(&state, caller, &action).await {
            Ok(existing) => existing.to_draft(),
            Err(err) if err.status == StatusCode::NOT_FOUND => EventTypeDraft::default(),
            Err(err) => return Err(err),
        };
        draft.metadata_schema = Some(stored_schema(&workos));
        let (stored, _) = event_types::put(&state, caller, &action, draft)
            .await
            .map_err(|mut err| {
                if err.status == StatusCode::BAD_REQUEST {
                    err.status = StatusCode::UNPROCESSABLE_ENTITY;
                }
                err
            })?;
        Ok(Answer {
            status: StatusCode::CREATED,
            body: view(&stored),
        })
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    limit: Option<usize>,
    before: Option<String>,
    after: Option<String>,
    order: Option<String>,
}

/// `GET /audit_logs/actions`: the catalogue as WorkOS actions, newest first (`order=asc` for
/// oldest first), paged by action name with `after`/`before`.
pub async fn list_actions(
    State(state): State<AppState>,
    KeyCaller(caller): KeyCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let params: ListParams = extract::query(raw.as_deref())?;
    let listing = event_types::list(&state, &caller).await?;
    let mut types: Vec<EventType> = listing
        .areas
        .into_iter()
        .flat_map(|area| area.event_types)
        .collect();
    types.sort_by(|a, b| (a.created_at, &a.action).cmp(&(b.created_at, &b.action)));
    if params.order.as_deref() != Some("asc") {
        types.reverse();
    }
    let limit = params.limit.unwrap_or(10).clamp(1, 100);
    let start = match (&params.after, &params.before) {
        (Some(after), _) => types
            .iter()
            .position(|t| &t.action == after)
            .map_or(types.len(), |i| i + 1),
        (None, Some(before)) => {
            let end = types.iter().position(|t| &t.action == before).unwrap_or(0);
            end.saturating_sub(limit)
        }
        (None, None) => 0,
    };
    let end = match (&params.after, &params.before) {
        (None, Some(before)) => types.iter().position(|t| &t.action == before).unwrap_or(0),
        _ => (start + limit).min(types.len()),
    };
    let page = &types[start.min(end)..end];
    let data: Vec<Value> = page
        .iter()
        .map(|t| {
            json!({
                "object": "audit_log_action",
                "name": t.action,
                "schema": view(t),
                "created_at": t.created_at.to_rfc3339(),
                "updated_at": t.updated_at.to_rfc3339(),
            })
        })
        .collect();
    let after = (end < types.len())
        .then(|| page.last().map(|t| t.action.clone()))
        .flatten();
    let before = (start > 0)
        .then(|| page.first().map(|t| t.action.clone()))
        .flatten();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "list_metadata": {"before": before, "after": after},
    })))
}

/// `GET /audit_logs/actions/{action}/schemas`: the action's current schema version (Trail keeps
/// earlier versions' schemas for numbering only); 404 for an action not in the catalogue.
pub async fn list_schemas(
    State(state): State<AppState>,
    KeyCaller(caller): KeyCaller,
    Path(action): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let _: ListParams = extract::query(raw.as_deref())?;
    let event_type = event_types::get(&state, &caller, &action).await?;
    Ok(Json(json!({
        "object": "list",
        "data": [view(&event_type)],
        "list_metadata": {"before": null, "after": null},
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trail_core::Millis;

    #[test]
    fn a_stored_schema_echoes_what_was_sent() {
        let workos = json!({"targets": [{"type": "team"}], "actor": {"metadata": {"type": "object", "properties": {"role": {"type": "string"}}}},
            "metadata": {"type": "object", "properties": {"plan": {"type": "string"}}}});
        let stored = stored_schema(&workos);
        assert_eq!(
            stored["type"], "object",
            "the metadata schema is what events are checked with"
        );
        assert!(trail_core::catalogue::schema::check(&stored).is_ok());
        let event_type = EventType {
            action: "team.created".into(),
            area: "team".into(),
            label: "Created".into(),
            description: None,
            metadata_schema: Some(stored),
            resource_schema: None,
            targets_schema: None,
            template: None,
            enabled: true,
            version: 3,
            created_at: Millis(0),
            updated_at: Millis(1_000),
        };
        let shown = view(&event_type);
        assert_eq!(shown["version"], 3);
        assert_eq!(shown["targets"], workos["targets"]);
        assert_eq!(shown["actor"], workos["actor"]);
        assert_eq!(shown["metadata"], workos["metadata"]);
        assert_eq!(shown["created_at"], "1970-01-01T00:00:01.000Z");
    }
}
