//! Operations: liveness, readiness (the store answers, writes are not failing, no background job
//! stuck or dead) and Prometheus metrics. (`/` is the web app, served by `trail-web`.)

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Status {
    status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()), responses((status = 200, body = Status)))]
pub async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// Readiness: the store is reachable, writes are not failing (the last one did not fail in the
/// last 10 seconds) and no background job is stuck or dead (503 names them).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, body = Status), (status = 503, body = super::ErrorBody)))]
pub async fn readyz(
    State(state): State<AppState>,
    health: Option<axum::Extension<std::sync::Arc<crate::http::limits::WriteHealth>>>,
) -> Result<Json<Status>, ApiError> {
    if let Some(ago) = health.and_then(|h| h.failing()) {
        let mut err = ApiError::unavailable(format!(
            "Writes are failing: the last one failed {}s ago; see the server log.",
            ago.as_secs()
        ));
        err.code = "not_ready";
        return Err(err);
    }
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::from_store(e, "store"))?;
    let problems = state.jobs.problems(state.clock.now());
    if let Some(first) = problems.first() {
        return Err(ApiError::unavailable(first.message.clone()).with_details(problems));
    }
    Ok(Json(Status { status: "ready" }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
