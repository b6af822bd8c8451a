//! The router: every route with its OpenAPI description, collected by `utoipa-axum` so that
//! `/openapi.json` is generated from the handlers themselves and cannot miss one.

pub mod api_keys;
pub mod event_types;
pub mod events;
pub mod exports;
pub mod histogram;
pub mod log;
pub mod members;
pub mod ops;
pub mod organizations;
pub mod roles;
pub mod session_audit;
pub mod sessions;
pub mod settings;
pub mod stream;
pub mod streams;
pub mod values;
pub mod viewer_tokens;
pub mod views;

use axum::Router;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Trail", description = "A self-hostable, verifiable audit log. Errors are always `{\"error\": {\"code\", \"message\", \"details\"}}`."),
    modifiers(&BearerAuth),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "events", description = "Ingest and search audit events"),
        (name = "integrity", description = "Signed checkpoints, the public key and Merkle proofs"),
        (name = "event types", description = "The catalogue of an organization's actions: labels, areas, schemas, templates"),
        (name = "exports", description = "Asynchronous export jobs: create, history, download, delete"),
        (name = "streams", description = "SIEM streams: Splunk HEC, signed webhooks and syslog destinations, their health, pause, resume, replay and test"),
        (name = "administration", description = "Organizations, API keys and settings"),
        (name = "access", description = "Members, roles and viewer tokens"),
        (name = "sessions", description = "Web sign-in, sign-out and who the caller is"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The web session from `POST /v1/auth/login`; state-changing requests also send `X-CSRF-Token`.",
            ))),
        );
    }
}

/// The error shape of every non-2xx answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorObject,
}

#[derive(Serialize, ToSchema)]
struct ErrorObject {
    /// snake_case, stable: `invalid_request`, `invalid_query`, `unauthorized`, `forbidden`, `csrf`, `not_found`, `conflict`, `last_owner`, `rate_limited`, `id_conflict`, `not_ready`, `expired`, `payload_too_large`, `limit_exceeded`, `range_not_satisfiable`, `unavailable`, `internal`.
    code: String,
    /// One human sentence.
    message: String,
    /// For 400s, one object per broken rule: `{"field", "rule", "message"}`.
    details: Vec<serde_json::Value>,
}

/// All routes, and the OpenAPI document describing them.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(events::ingest, events::search_get))
        .routes(routes!(events::search_post))
        .routes(routes!(events::count))
        .routes(routes!(events::facets))
        .routes(routes!(histogram::histogram))
        .routes(routes!(stream::stream))
        .routes(routes!(events::get_event))
        .routes(routes!(exports::create, exports::list))
        .routes(routes!(exports::get_one, exports::delete))
        .routes(routes!(exports::download))
        .routes(routes!(streams::create, streams::list))
        .routes(routes!(streams::get_one, streams::update, streams::delete))
        .routes(routes!(streams::status))
        .routes(routes!(streams::test))
        .routes(routes!(streams::pause))
        .routes(routes!(streams::resume))
        .routes(routes!(streams::replay))
        .routes(routes!(settings::get_settings, settings::patch_settings))
        .routes(routes!(event_types::list))
        .routes(routes!(event_types::export))
        .routes(routes!(event_types::import))
        .routes(routes!(event_types::adopt))
        .routes(routes!(
            event_types::get_one,
            event_types::put,
            event_types::delete
        ))
        .routes(routes!(log::checkpoint))
        .routes(routes!(log::public_key))
        .routes(routes!(log::inclusion))
        .routes(routes!(log::consistency))
        .routes(routes!(organizations::create, organizations::list))
        .routes(routes!(organizations::get_one))
        .routes(routes!(organizations::link_external_id))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(members::create, members::list))
        .routes(routes!(members::get_one, members::update))
        .routes(routes!(roles::create, roles::list))
        .routes(routes!(roles::delete))
        .routes(routes!(viewer_tokens::create))
        .routes(routes!(views::list, views::create))
        .routes(routes!(views::get_one, views::update, views::delete))
        .routes(routes!(sessions::login))
        .routes(routes!(sessions::logout))
        .routes(routes!(sessions::me))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .split_for_parts()
}
