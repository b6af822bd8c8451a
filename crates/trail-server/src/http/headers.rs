//! Headers on every answer: a restrictive Content-Security-Policy, `X-Content-Type-Options`,
//! `X-Frame-Options`, `Referrer-Policy`, and `Cache-Control: no-store` (answers carry audit data,
//! credentials, session and CSRF tokens, so nothing is cached by default). A response that sets
//! one of these itself keeps its own value: pages that need another CSP (the web app's) or may be
//! cached (static assets) say so. CORS is off unless origins are configured ([`cors`]).

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The policy of answers that do not set their own: nothing loads but the inline styles of the
/// landing page, nothing frames Trail.
pub const DEFAULT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const DEFAULTS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
];

pub async fn middleware(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let framable = allows_framing(headers.get(header::CONTENT_SECURITY_POLICY));
    for (name, value) in DEFAULTS {
        if name == header::X_FRAME_OPTIONS && framable {
            continue;
        }
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Whether a response's own policy lets other pages frame it (`frame-ancestors` other than
/// `'none'`, as the embeddable viewer's does). `X-Frame-Options: DENY` would then contradict it:
/// browsers that know CSP ignore it, older ones would refuse the frame the operator allowed.
fn allows_framing(policy: Option<&HeaderValue>) -> bool {
    let Some(policy) = policy.and_then(|p| p.to_str().ok()) else {
        return false;
    };
    policy.split(';').any(|directive| {
        let mut words = directive.split_whitespace();
        words
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("frame-ancestors"))
            && words.any(|source| source != "'none'")
    })
}

/// The CORS layer for `origins`, or `None` when the list is empty (CORS off: browsers refuse
/// cross-origin reads). Credentials (cookies) are never allowed cross-origin; callers from another
/// origin send an API key or viewer token as `Authorization: Bearer`.
pub fn cors(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o.trim_end_matches('/'))
                    .map_err(|_| anyhow::anyhow!("cors origin `{o}` is not a valid header value"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                header::RETRY_AFTER,
                HeaderName::from_static("ratelimit-limit"),
                HeaderName::from_static("ratelimit-remaining"),
                HeaderName::from_static("ratelimit-reset"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    ))
}
