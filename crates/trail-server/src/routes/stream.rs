//! `GET /v1/events/stream`: the live tail as server-sent events (`services::live`, where the
//! message format, resumption and back-pressure are described).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::ErrorBody;
use super::events::SearchParams;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::services::{ReadCaller, live};
use crate::state::AppState;

/// Live tail of matching events as `text/event-stream`. Same `q` as search (`from`, `to`,
/// `limit`, `cursor`, `order`, `sort` and `format` are not used). Resume with the
/// `Last-Event-ID` header (the last `seq` received); without it the stream starts with events
/// appended after the request.
/// One server-sent event of the stream, as the OpenAPI document describes each message.
#[derive(utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "documentation type: utoipa reads its fields, the route writes SSE text"
)]
pub struct SseMessage {
    /// `events`, or `close` when the server ends the stream.
    event: Option<String>,
    /// The `seq` of the last event in `data`.
    id: Option<String>,
    /// A JSON array of events (`events`) or `{"reason"}` (`close`).
    data: Option<String>,
    /// Milliseconds before a client reconnects.
    retry: Option<u64>,
}

#[utoipa::path(get, path = "/v1/events/stream", tag = "events", params(SearchParams,
        ("Last-Event-ID" = Option<u64>, Header, description = "The `seq` of the last event received; the stream resumes after it")),
    responses((status = 200, content_type = "text/event-stream", body = SseMessage,
            description = "`event: events` messages with `id` = last seq and `data` = JSON array of events; `: heartbeat` comments; a final `event: close` with `reason` when the server drops the stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    caller: ReadCaller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params: SearchParams = extract::query(raw.as_deref())?;
    let resume_after = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "Last-Event-ID",
                        "seq",
                        "`Last-Event-ID` must be the `seq` of the last event received.",
                    )
                })?,
        ),
        None => None,
    };
    let messages = live::open(&state, &caller.0, &params.input(), resume_after).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-store"),
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(messages.map(Ok::<_, std::convert::Infallible>)),
    )
        .into_response())
}
