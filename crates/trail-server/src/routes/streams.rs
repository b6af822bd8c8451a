//! `/v1/streams`: SIEM destinations of an organization (`streams:manage`) — create, list, one,
//! change, delete; `GET /{id}/status` (health), `POST /{id}/test` (a marked test event),
//! `/pause`, `/resume` and `/replay` (from a `seq` or a time). Tokens and secrets are
//! write-only; a webhook secret Trail generates is shown once, in the answer that made it.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use trail_store::StreamControl;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::extract::OrgParam;
use crate::services::streams::{self, Health, ReplayFrom, StreamView, TestResult};
use crate::services::{Authorized, OrgCaller, needs};
use crate::state::AppState;
use crate::streams::input::StreamInput;

#[derive(Serialize, ToSchema)]
pub struct StreamList {
    streams: Vec<StreamView>,
}

/// Where a replay starts: exactly one of `from_seq` and `from`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// Deliver again from this `seq` (0 replays the whole log that retention kept).
    from_seq: Option<u64>,
    /// Deliver again from the first event received at or after this time: RFC 3339, a date,
    /// or relative (`24h`, `7d`).
    from: Option<String>,
}

type Manager = OrgCaller<needs::StreamsManage>;

/// The organization's streams with their health, by name.
#[utoipa::path(get, path = "/v1/streams", tag = "streams", params(OrgParam),
    responses((status = 200, body = StreamList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<StreamList>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let streams = streams::list(&state, &caller).await?;
    Ok(Json(StreamList { streams }))
}

/// Create a stream; it delivers every event appended from now on that matches its filter.
#[utoipa::path(post, path = "/v1/streams", tag = "streams", request_body = StreamInput,
    responses((status = 201, body = StreamView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    authorized: Authorized<needs::StreamsManage>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<StreamView>)> {
    let input: StreamInput = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, input.organization_id.as_deref())
        .await?;
    let view = streams::create(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One stream with its health.
#[utoipa::path(get, path = "/v1/streams/{id}", tag = "streams", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = StreamView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<StreamView>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(streams::get(&state, &caller, &id).await?))
}

/// Change a stream (absent fields stay); its cursor and counters are kept.
#[utoipa::path(patch, path = "/v1/streams/{id}", tag = "streams", params(("id" = String, Path), OrgParam), request_body = StreamInput,
    responses((status = 200, body = StreamView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<StreamView>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let input: StreamInput = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    Ok(Json(streams::update(&state, &caller, &id, input).await?))
}

/// Delete a stream and its delivery state.
#[utoipa::path(delete, path = "/v1/streams/{id}", tag = "streams", params(("id" = String, Path), OrgParam),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    streams::delete(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A stream's health: state, cursor, lag, last success and error, counters.
#[utoipa::path(get, path = "/v1/streams/{id}/status", tag = "streams", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = Health), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Health>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(streams::get(&state, &caller, &id).await?.health))
}

/// Send a marked test event (`trail.stream.test`, not stored in the log) to the destination now.
#[utoipa::path(post, path = "/v1/streams/{id}/test", tag = "streams", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = TestResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<TestResult>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(streams::test(&state, &caller, &id).await?))
}

/// Pause a stream: nothing is sent until it is resumed; the cursor stays.
#[utoipa::path(post, path = "/v1/streams/{id}/pause", tag = "streams", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = StreamView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<StreamView>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(
        streams::control(&state, &caller, &id, StreamControl::Pause).await?,
    ))
}

/// Resume a paused stream, or retry one in `error` or `retrying` at once, from its cursor.
#[utoipa::path(post, path = "/v1/streams/{id}/resume", tag = "streams", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = StreamView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<StreamView>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(
        streams::control(&state, &caller, &id, StreamControl::Resume).await?,
    ))
}

/// Move the cursor: deliver again from a `seq` or a time (a paused stream stays paused).
#[utoipa::path(post, path = "/v1/streams/{id}/replay", tag = "streams", params(("id" = String, Path), OrgParam), request_body = ReplayBody,
    responses((status = 200, body = StreamView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    OrgCaller(caller, _): Manager,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<StreamView>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let body: ReplayBody = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let from = match (body.from_seq, body.from) {
        (Some(seq), None) => ReplayFrom::Seq(seq),
        (None, Some(text)) => ReplayFrom::Time(
            trail_core::time::time_bound("from", &text, state.clock.now())
                .map_err(|e| ApiError::invalid_field("from", "time", e.to_string()))?,
        ),
        _ => {
            return Err(ApiError::invalid_field(
                "from_seq",
                "one_of",
                "Give exactly one of `from_seq` and `from`.",
            ));
        }
    };
    Ok(Json(streams::replay(&state, &caller, &id, from).await?))
}
