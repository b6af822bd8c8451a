//! Protection against hostile or broken clients: connection and timeout limits on the listener
//! (`serve`), load shedding and rate limits (`limits`, `rate_limit`), security headers and CORS
//! (`headers`), the error shape for answers the router made itself (`fallback`), and strict JSON
//! bodies (`strict_json`), HTTPS with certificate reload (`tls`) and the plain-HTTP listener that
//! only redirects to it (`redirect`). Their settings live here, read like every other setting.

pub mod fallback;
pub mod headers;
pub mod limits;
pub mod openapi;
pub mod rate_limit;
pub mod redirect;
pub mod serve;
pub mod settings;
pub mod strict_json;
pub mod tls;

pub use settings::{HttpArgs, HttpSettings};

use axum::Router;

use crate::state::AppState;

/// Wraps `router` in every layer of this module, outermost first: security headers and CORS,
/// the error-shape fallback, the media-type check, request-size checks and load shedding, then
/// rate limits.
pub fn layer(router: Router<AppState>, state: &AppState) -> anyhow::Result<Router<AppState>> {
    let settings = &state.settings.http;
    let limiter = limits::Limiter::new(settings, state.settings.limits.max_request_bytes);
    let rates = rate_limit::RateLimiter::new(settings);
    let health = limiter.health.clone();
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            (state.clone(), rates),
            rate_limit::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            limits::middleware,
        ))
        .layer(axum::middleware::from_fn(strict_json::content_type))
        .layer(axum::middleware::from_fn(fallback::middleware))
        .layer(axum::Extension(health));
    let router = match headers::cors(&settings.cors_origins)? {
        Some(cors) => router.layer(cors),
        None => router,
    };
    Ok(router.layer(axum::middleware::from_fn(headers::middleware)))
}
