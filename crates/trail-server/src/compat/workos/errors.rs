//! WorkOS's error shape: `{"message", "code", "errors": [{"code", "field", "message"}]}` with
//! `Content-Type: application/json`, never an `error` or `error_description` key (the Node
//! client would raise an OAuth exception). [`reshape`] turns any Trail-shaped error answer of a
//! WorkOS path into it, keeping the status and headers such as `Retry-After`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

/// Largest error body read back for reshaping.
const MAX_ERROR_BYTES: usize = 256 * 1024;

/// The WorkOS code for a Trail error code at `status`.
fn code(status: StatusCode, trail_code: &str) -> String {
    match status {
        StatusCode::NOT_FOUND => "entity_not_found".into(),
        StatusCode::BAD_REQUEST if trail_code == "invalid_request" => {
            "invalid_request_parameters".into()
        }
        StatusCode::TOO_MANY_REQUESTS => "rate_limit_exceeded".into(),
        StatusCode::UNAUTHORIZED => "unauthorized".into(),
        _ => trail_code.into(),
    }
}

/// The WorkOS body for a Trail error.
pub fn body(status: StatusCode, trail: &Value) -> Value {
    let error = trail.get("error").unwrap_or(&Value::Null);
    let trail_code = error.get("code").and_then(Value::as_str).unwrap_or("error");
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("The request failed")
                .to_owned()
        });
    let errors: Vec<Value> = error
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|d| {
            json!({
                "code": d.get("rule").and_then(Value::as_str).unwrap_or("invalid"),
                "field": d.get("field").and_then(Value::as_str).unwrap_or(""),
                "message": d.get("message").and_then(Value::as_str).unwrap_or(&message),
            })
        })
        .collect();
    json!({"message": message, "code": code(status, trail_code), "errors": errors})
}

/// `response` in WorkOS's shape when it is an error; untouched otherwise.
pub async fn reshape(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body_stream) = response.into_parts();
    let bytes = axum::body::to_bytes(body_stream, MAX_ERROR_BYTES)
        .await
        .unwrap_or_default();
    let trail: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let shaped = body(status, &trail).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(shaped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_errors_become_workos_errors_without_an_error_key() {
        let trail = json!({"error": {"code": "invalid_request", "message": "`event.action` is required.",
            "details": [{"field": "event.action", "rule": "required", "message": "`event.action` is required."}]}});
        let shaped = body(StatusCode::BAD_REQUEST, &trail);
        assert_eq!(shaped["code"], "invalid_request_parameters");
        assert_eq!(shaped["errors"][0]["code"], "required");
        assert_eq!(shaped["errors"][0]["field"], "event.action");
        assert!(shaped.get("error").is_none());
        let not_found = body(StatusCode::NOT_FOUND, &Value::Null);
        assert_eq!(not_found["code"], "entity_not_found");
        assert_eq!(not_found["errors"], json!([]));
    }
}
