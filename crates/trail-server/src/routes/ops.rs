//! Operations: liveness, readiness (the store answers, no background job stuck or dead), Prometheus metrics, the OpenAPI document,
//! and the landing page that tells a browser where things are.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
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

/// Readiness: the store is reachable and no background job is stuck or dead (503 names them).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, body = Status), (status = 503, body = super::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
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

/// `GET /`: a small page for whoever opens the printed address in a browser.
pub async fn landing() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><meta charset=utf-8><title>Trail</title>",
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style>",
        "<h1>Trail is running</h1>",
        "<p>Send events with <code>POST /v1/events</code> and search them with <code>GET /v1/events</code>, ",
        "authenticated with the operator credential printed at first start or an API key.</p>",
        "<ul><li><a href=/openapi.json>OpenAPI document</a></li><li><a href=/healthz>Health</a></li>",
        "<li><a href=/metrics>Metrics</a></li></ul>",
        "<p>The Activity Logs pages are not part of this release yet.</p>"
    ))
}
