//! Drop-in compatibility routes (issue 16, docs/migrating.md): the WorkOS Audit Logs API at the
//! root paths its clients use (`/audit_logs/…`, `/organizations/{id}/audit_logs_retention`),
//! and the Retraced publisher API (`/publisher/v1/…`, `/auditlog/publisher/v1/…`).
//! Every route authenticates with an organization's Trail API key, maps the client's wire form
//! onto Trail's services (ingest, the event-type catalogue, export jobs, settings) and answers in
//! the client's own shapes: an event sent here is an ordinary Trail event, hashed, searchable,
//! exported and streamed like any other.
//!
//! [`shape_errors`] sits outside every other layer so that errors made anywhere — the
//! authentication extractor, the rate limiter, load shedding, the router's own 404 — reach the
//! client in its error shape, never in Trail's.

pub mod idempotency;
pub mod links;
pub mod retraced;
pub mod workos;

use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::audit::RequestMeta;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::services::Caller;
use crate::state::AppState;

/// Every compatibility route.
pub fn router() -> Router<AppState> {
    workos::router().merge(retraced::router())
}

/// Whether a request sends events through a compatibility route (rate-limited as ingest).
pub fn is_ingest(method: &axum::http::Method, path: &str) -> bool {
    (method == axum::http::Method::POST && path == "/audit_logs/events")
        || retraced::is_ingest(method, path)
}

/// Puts error answers of compatibility paths in their client's shape; other answers pass.
pub async fn shape_errors(request: Request, next: Next) -> Response {
    let workos = workos::owns(request.uri().path());
    let response = next.run(request).await;
    if workos {
        workos::errors::reshape(response).await
    } else {
        response
    }
}

/// The caller of a compatibility route: an organization's Trail API key, bound to that
/// organization. Nothing else authenticates here (no operator credential, no instance-level key,
/// no session): 401.
#[derive(Debug, Clone)]
pub struct KeyCaller(pub Caller);

impl KeyCaller {
    /// The key's id, which scopes idempotency keys.
    pub fn key_id(&self) -> &str {
        match &self.0.principal {
            Principal::Key(key) => &key.id,
            _ => "",
        }
    }

    /// 404 unless `requested` names the key's organization (its id or an external id linked to
    /// it): an organization's key never learns whether another organization exists.
    pub async fn check_organization(&self, state: &AppState, requested: &str) -> ApiResult<()> {
        if links::names(state, &self.0.organization_id, requested).await? {
            Ok(())
        } else {
            Err(ApiError::not_found("organization"))
        }
    }
}

impl FromRequestParts<AppState> for KeyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let organization_id = match &principal {
            Principal::Key(key) => key.organization_id.clone(),
            _ => None,
        }
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Use an organization's Trail API key here (instance keys, the operator credential and sessions are not accepted).",
            )
        })?;
        let meta = match RequestMeta::from_request_parts(parts, state).await {
            Ok(meta) => meta,
            Err(never) => match never {},
        };
        Ok(KeyCaller(Caller {
            principal,
            organization_id,
            meta,
        }))
    }
}
