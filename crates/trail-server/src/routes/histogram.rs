//! `GET /v1/events/histogram`: how many events match per time bucket (`services::histogram`).

use axum::Json;
use axum::extract::{RawQuery, State};

use super::ErrorBody;
use super::events::SearchParams;
use crate::error::ApiResult;
use crate::extract;
use crate::services::ReadCaller;
use crate::services::histogram::{self, HistogramResponse};
use crate::state::AppState;

/// Counts of matching events per time bucket. Same parameters as search (`limit`, `cursor`,
/// `order`, `sort` are ignored); `from` defaults to 30 days before `to`, `to` to now.
#[utoipa::path(get, path = "/v1/events/histogram", tag = "events", params(SearchParams),
    responses((status = 200, body = HistogramResponse), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn histogram(
    State(state): State<AppState>,
    caller: ReadCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<HistogramResponse>> {
    let params: SearchParams = extract::query(raw.as_deref())?;
    Ok(Json(
        histogram::histogram(&state, &caller.0, &params.input()).await?,
    ))
}
