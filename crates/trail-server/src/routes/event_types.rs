//! `/v1/event-types`: the organization's catalogue of actions (docs/event-types.md) — listed by
//! area with the uncatalogued actions of its log, one type read, put (a new schema makes a new
//! version), deleted, the whole catalogue exported and imported as one JSON file, and
//! uncatalogued actions adopted in one call. Handlers parse and call
//! `services::event_types`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use trail_core::catalogue::{CatalogueFile, EventType, EventTypeDraft};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::ApiResult;
use crate::extract;
use crate::extract::OrgParam;
use crate::services::event_types::{self, Listing};
use crate::services::{Authorized, OrgCaller, ReadCaller, needs};
use crate::state::AppState;

/// Largest imported catalogue file.
const IMPORT_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Largest `PUT` body (three schemas of at most 16 KiB and the rest).
const PUT_BODY_LIMIT: usize = 128 * 1024;

/// An event type as written; fields left out take their defaults.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutBody {
    /// Required with the operator credential.
    organization_id: Option<String>,
    /// `[a-z0-9_.-]`, 1–64 characters [default: the action's first segment].
    area: Option<String>,
    /// 1–100 characters [default: the action's words after the area, in title case].
    label: Option<String>,
    description: Option<String>,
    /// A JSON Schema (draft 2020-12 unless `$schema` says otherwise) for `metadata`.
    #[schema(value_type = Option<Object>)]
    metadata_schema: Option<Value>,
    /// A JSON Schema for `resource`.
    #[schema(value_type = Option<Object>)]
    resource_schema: Option<Value>,
    /// A JSON Schema each of `targets` must match.
    #[schema(value_type = Option<Object>)]
    targets_schema: Option<Value>,
    /// A sentence with `{{ placeholders }}`: `{{ actor.name }} changed {{ resource.name }}'s role
    /// from {{ changes.role.old }} to {{ changes.role.new }}`.
    template: Option<String>,
    /// [default: true]
    enabled: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptBody {
    /// Required with the operator credential.
    organization_id: Option<String>,
    /// The uncatalogued actions to catalogue [default: every one].
    actions: Option<Vec<String>>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Required with the operator credential.
    #[allow(
        dead_code,
        reason = "read by the `OrgCaller` extractor; kept so that the parameter is documented and accepted"
    )]
    organization_id: Option<String>,
    /// Delete the event types the file does not list [default: false, merge].
    replace: Option<bool>,
}

/// The catalogue by area, with the actions of the log that it does not list.
#[utoipa::path(get, path = "/v1/event-types", tag = "event types", params(OrgParam),
    responses((status = 200, body = Listing), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    OrgCaller(caller, _): ReadCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Listing>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(event_types::list(&state, &caller).await?))
}

/// One event type.
#[utoipa::path(get, path = "/v1/event-types/{action}", tag = "event types", params(("action" = String, Path), OrgParam),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    OrgCaller(caller, _): ReadCaller,
    Path(action): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<EventType>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(event_types::get(&state, &caller, &action).await?))
}

/// Create or replace an event type (`event_types:manage`). The same schemas as the latest
/// version keep its number; different ones make version + 1. 201 when it is new.
#[utoipa::path(put, path = "/v1/event-types/{action}", tag = "event types", params(("action" = String, Path)), request_body = PutBody,
    responses((status = 200, body = Object), (status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    authorized: Authorized<needs::EventTypesManage>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<EventType>)> {
    let body: PutBody = extract::json_body(&headers, body, PUT_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, body.organization_id.as_deref())
        .await?;
    let draft = EventTypeDraft {
        action: String::new(),
        area: body.area,
        label: body.label,
        description: body.description,
        metadata_schema: body.metadata_schema,
        resource_schema: body.resource_schema,
        targets_schema: body.targets_schema,
        template: body.template,
        enabled: body.enabled,
    };
    let (stored, created) = event_types::put(&state, &caller, &action, draft).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(stored)))
}

/// Delete an event type (`event_types:manage`); its schema versions are kept.
#[utoipa::path(delete, path = "/v1/event-types/{action}", tag = "event types", params(("action" = String, Path), OrgParam),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::EventTypesManage>,
    Path(action): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    event_types::delete(&state, &caller, &action).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The whole catalogue as one JSON file, as `POST /v1/event-types/import` reads it.
#[utoipa::path(get, path = "/v1/event-types/export", tag = "event types", params(OrgParam),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    OrgCaller(caller, _): ReadCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<CatalogueFile>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(event_types::export(&state, &caller).await?))
}

/// Import a catalogue file (`event_types:manage`): every type is stored or none is; errors name
/// `event_types[i].<field>`.
#[utoipa::path(post, path = "/v1/event-types/import", tag = "event types", params(ImportParams),
    request_body(content = Object, description = "`{\"trail_event_types\": 1, \"event_types\": [{\"action\", \"label\", …}]}`"),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::EventTypesManage>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let params: ImportParams = extract::query(raw.as_deref())?;
    let file: CatalogueFile = extract::json_body(&headers, body, IMPORT_BODY_LIMIT).await?;
    let stored =
        event_types::import(&state, &caller, file, params.replace.unwrap_or(false)).await?;
    Ok(Json(
        serde_json::json!({"imported": stored.len(), "event_types": stored}),
    ))
}

/// Catalogue uncatalogued actions with their default area and label (`event_types:manage`).
#[utoipa::path(post, path = "/v1/event-types/adopt", tag = "event types", request_body = AdoptBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn adopt(
    State(state): State<AppState>,
    authorized: Authorized<needs::EventTypesManage>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let body: AdoptBody = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, body.organization_id.as_deref())
        .await?;
    let stored = event_types::adopt(&state, &caller, body.actions).await?;
    Ok(Json(
        serde_json::json!({"adopted": stored.len(), "event_types": stored}),
    ))
}
