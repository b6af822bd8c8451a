//! One layer that puts every error answer in the documented shape
//! `{"error": {"code", "message", "details"}}`: answers made by the router or an extractor rather
//! than a handler — 405 with an empty body, 400 `text/plain` for a path that does not decode, and
//! any other non-JSON error — are rewritten; answers already in JSON pass untouched.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Longest plain-text error body kept as the message.
const MAX_MESSAGE_BYTES: usize = 2048;

pub async fn middleware(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .filter(|t| !t.is_empty());
    let mut rewritten = shaped(status, text).into_response();
    // Keep what the original said besides its body: `Allow` on 405, `Retry-After`, and so on.
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = parts.headers.get(&name) {
            rewritten.headers_mut().insert(name, value.clone());
        }
    }
    rewritten
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"))
}

/// The error for `status`, with `text` (what the router said) as the message when there is one.
pub fn shaped(status: StatusCode, text: Option<String>) -> ApiError {
    let (code, default) = match status {
        StatusCode::BAD_REQUEST => ("invalid_request", "The request is malformed."),
        StatusCode::NOT_FOUND => ("not_found", "No such route."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This route does not accept this method; the Allow header lists those it does.",
        ),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "The request did not arrive in time."),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large."),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "The request target is too long."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Send the body as application/json.",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("headers_too_large", "The request headers are too large.")
        }
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Too many requests; slow down."),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "Trail is unavailable; retry shortly."),
        s if s.is_server_error() => (
            "internal",
            "Something went wrong on our side; it has been logged.",
        ),
        _ => ("invalid_request", "The request was refused."),
    };
    let message = match text {
        // Server errors never echo internals.
        Some(text) if status.is_client_error() => sentence(&text),
        _ => default.to_owned(),
    };
    ApiError::new(status, code, message)
}

fn sentence(text: &str) -> String {
    let mut message = text.to_owned();
    if !message.ends_with('.') {
        message.push('.');
    }
    message
}

/// The fallback of unmatched routes.
pub async fn not_found() -> Response {
    ApiError::not_found("route").into_response()
}
