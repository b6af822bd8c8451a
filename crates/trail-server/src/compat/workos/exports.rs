//! WorkOS exports on Trail's export jobs: `POST /audit_logs/exports` creates a CSV job over
//! `[range_start, range_end)` with the WorkOS filters as a query (`action`, `actor.id`,
//! `actor.name`, and the target types through `metadata.workos_target_types`); `GET
//! /audit_logs/exports/{id}` shows it as `pending`, `ready` (with a `url`), `error` or
//! `expired`. The `url` carries a viewer token that lasts ten minutes and opens only that
//! export's file, so a plain GET with no Authorization header downloads it, like WorkOS's
//! pre-signed links.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use trail_core::Millis;
use trail_core::export::{ExportFormat, TimeFrame};
use trail_store::{ExportJob, ExportStatus};

use crate::auth::Principal;
use crate::compat::KeyCaller;
use crate::compat::idempotency::{self, Answer};
use crate::error::{ApiError, ApiResult};
use crate::exports::spec::ExportRequest;
use crate::extract;
use crate::services::{Caller, OrgCaller, exports};
use crate::state::AppState;
use crate::viewer_tokens::{ViewerClaims, ViewerIdentity};

/// How long a download link works.
pub const LINK_LIFETIME_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Deserialize)]
struct CreateExport {
    organization_id: Option<String>,
    range_start: Option<String>,
    range_end: Option<String>,
    #[serde(default)]
    actions: Vec<String>,
    /// Deprecated by WorkOS: actor names.
    #[serde(default)]
    actors: Vec<String>,
    #[serde(default)]
    actor_names: Vec<String>,
    #[serde(default)]
    actor_ids: Vec<String>,
    /// Target types.
    #[serde(default)]
    targets: Vec<String>,
}

/// `"value"` in the query language.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The query that selects what `request` filters on (each list ORs its values; lists AND).
fn query_of(request: &CreateExport) -> Option<String> {
    let list = |values: &[String], wrap: &dyn Fn(&str) -> String| {
        values.iter().map(|v| wrap(v)).collect::<Vec<_>>().join(",")
    };
    let names: Vec<String> = request
        .actor_names
        .iter()
        .chain(&request.actors)
        .cloned()
        .collect();
    let mut terms = Vec::new();
    if !request.actions.is_empty() {
        terms.push(format!("action:{}", list(&request.actions, &|v| quoted(v))));
    }
    if !request.actor_ids.is_empty() {
        terms.push(format!(
            "actor.id:{}",
            list(&request.actor_ids, &|v| quoted(v))
        ));
    }
    if !names.is_empty() {
        terms.push(format!("actor.name:{}", list(&names, &|v| quoted(v))));
    }
    if !request.targets.is_empty() {
        // The types are stored as a JSON array; `"type"` with its quotes matches one element.
        let element = |v: &str| format!("*{}*", quoted(&Value::from(v).to_string()));
        terms.push(format!(
            "metadata.{}:{}",
            super::events::TARGET_TYPES_KEY,
            list(&request.targets, &element)
        ));
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

fn time(field: &str, value: Option<&str>) -> ApiResult<String> {
    match value.map(str::trim) {
        Some(text) if Millis::parse_rfc3339(text).is_some() => Ok(text.to_owned()),
        Some(_) => Err(ApiError::invalid_field(
            field,
            "format",
            format!("`{field}` must be an ISO 8601 date-time."),
        )),
        None => Err(ApiError::invalid_field(
            field,
            "required",
            format!("`{field}` is required."),
        )),
    }
}

/// WorkOS's state of a job.
fn state_of(status: ExportStatus) -> &'static str {
    match status {
        ExportStatus::Queued | ExportStatus::Running => "pending",
        ExportStatus::Completed => "ready",
        ExportStatus::Failed => "error",
        ExportStatus::Expired => "expired",
    }
}

fn view(job: &ExportJob, url: Option<String>) -> Value {
    let updated = job.finished_at.or(job.started_at).unwrap_or(job.created_at);
    json!({
        "object": "audit_log_export",
        "id": job.id,
        "state": state_of(job.status),
        "url": url,
        "created_at": job.created_at.to_rfc3339(),
        "updated_at": updated.to_rfc3339(),
    })
}

/// `POST /audit_logs/exports` → 201 with the pending export.
pub async fn create(
    State(state): State<AppState>,
    caller: KeyCaller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = extract::body_bytes(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let request: CreateExport = extract::json(&bytes)?;
    let organization_id = request.organization_id.as_deref().ok_or_else(|| {
        ApiError::invalid_field(
            "organization_id",
            "required",
            "`organization_id` is required.",
        )
    })?;
    caller.check_organization(&state, organization_id).await?;
    let export = ExportRequest {
        name: Some("WorkOS export".to_owned()),
        format: Some(ExportFormat::Csv),
        q: query_of(&request),
        time_frame: Some(TimeFrame::Custom),
        from: Some(time("range_start", request.range_start.as_deref())?),
        to: Some(time("range_end", request.range_end.as_deref())?),
        ..ExportRequest::default()
    };
    idempotency::replay_or_run(
        &state,
        &caller,
        "POST /audit_logs/exports",
        &headers,
        &bytes,
        async {
            let job = exports::create(&state, &caller.0, &export).await?;
            Ok(Answer {
                status: StatusCode::CREATED,
                body: view(&job, None),
            })
        },
    )
    .await
}

/// The absolute base URL the client called, for links back to this server.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "http" || *p == "https")
        .unwrap_or(if state.settings.tls.is_some() {
            "https"
        } else {
            "http"
        });
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// The claim that limits a link's token to one export's file.
fn link_resource(id: &str) -> String {
    format!("workos_export:{id}")
}

/// `GET /audit_logs/exports/{id}`: the export, with a fresh ten-minute `url` once ready.
pub async fn get_one(
    State(state): State<AppState>,
    caller: KeyCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let job = exports::get(&state, &caller.0, &id).await?;
    let url = (job.status == ExportStatus::Completed).then(|| {
        let now = state.clock.now();
        let token = state.viewer_keys.sign(&ViewerClaims {
            org: caller.0.organization_id.clone(),
            iat: now.0,
            exp: now.0 + LINK_LIFETIME_MS,
            actor: None,
            resource: Some(link_resource(&job.id)),
            areas: None,
            export: true,
            viewer: Some(ViewerIdentity {
                id: caller.key_id().to_owned(),
                name: Some("WorkOS export link".to_owned()),
                email: None,
            }),
        });
        format!(
            "{}/audit_logs/exports/{}/download?token={token}",
            base_url(&state, &headers),
            job.id
        )
    });
    Ok(Json(view(&job, url)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkParams {
    token: String,
}

/// `GET /audit_logs/exports/{id}/download?token=…`: the CSV, for whoever holds a live link.
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let params: LinkParams = extract::query(raw.as_deref())?;
    let mut claims = state
        .viewer_keys
        .verify(&params.token, state.clock.now())
        .map_err(|why| ApiError::unauthorized(format!("This download link is {why}.")))?;
    if claims.resource.as_deref() != Some(link_resource(&id).as_str()) {
        return Err(ApiError::unauthorized(
            "This download link is for another export.",
        ));
    }
    // The link opens this one file: the job's access check then sees an unrestricted viewer.
    claims.resource = None;
    let caller = Caller {
        organization_id: claims.org.clone(),
        principal: Principal::Viewer(Box::new(claims)),
        meta: crate::audit::RequestMeta::default(),
    };
    crate::routes::exports::download(
        State(state),
        OrgCaller(caller, std::marker::PhantomData),
        Path(id),
        RawQuery(None),
        headers,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workos_filters_become_one_query() {
        let request: CreateExport = serde_json::from_value(json!({
            "actions": ["user.signed_in", "team.created"], "actor_ids": ["u\"1"],
            "actor_names": ["Jane Doe"], "actors": ["Bob"], "targets": ["team"]
        }))
        .unwrap();
        let q = query_of(&request).unwrap();
        assert_eq!(
            q,
            r#"action:"user.signed_in","team.created" actor.id:"u\"1" actor.name:"Jane Doe","Bob" metadata.workos_target_types:*"\"team\""*"#
        );
        trail_core::query::parse(&q, Millis(0)).expect("the query parses");
        let none: CreateExport = serde_json::from_value(json!({})).unwrap();
        assert_eq!(query_of(&none), None);
    }
}
