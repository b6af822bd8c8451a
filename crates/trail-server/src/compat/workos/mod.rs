//! The WorkOS Audit Logs API, mounted at the root because the Node client drops any path prefix
//! (shared/compat/SPEC.md §1): events, action schemas, exports and the organization's retention.
//! Authentication is an organization's Trail API key as the WorkOS key; a Trail organization id
//! is the WorkOS `organization_id`.

pub mod errors;
pub mod events;
pub mod exports;
pub mod retention;
pub mod schemas;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Whether `path` is one of this API's (its errors are then in WorkOS's shape).
pub fn owns(path: &str) -> bool {
    path.starts_with("/audit_logs/")
        || path == "/audit_logs"
        || (path.starts_with("/organizations/") && path.ends_with("/audit_logs_retention"))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit_logs/events", post(events::create))
        .route("/audit_logs/exports", post(exports::create))
        .route("/audit_logs/exports/{id}", get(exports::get_one))
        .route("/audit_logs/exports/{id}/download", get(exports::download))
        .route("/audit_logs/actions", get(schemas::list_actions))
        .route(
            "/audit_logs/actions/{action}/schemas",
            get(schemas::list_schemas).post(schemas::create),
        )
        .route(
            "/organizations/{id}/audit_logs_retention",
            get(retention::get).put(retention::put),
        )
}
