//! `ApiError`: every failure a handler can answer with, rendered in the error shape of docs/api.md "Errors"
//! `{"error": {"code", "message", "details"}}` with the right status.
//!
//! Policy: client mistakes say exactly what to fix; internal errors log their whole cause chain and
//! answer an opaque 500; an unreachable store answers 503 with `Retry-After`, because retrying later
//! is the right move for the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use trail_core::FieldError;
use trail_core::query::QueryError;
use trail_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<serde_json::Value>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn with_details<T: Serialize>(mut self, details: impl IntoIterator<Item = T>) -> Self {
        self.details = details
            .into_iter()
            .map(|d| serde_json::to_value(d).unwrap_or_default())
            .collect();
        self
    }

    /// 400 for one bad field or parameter.
    pub fn invalid_field(field: &str, rule: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message.clone())
            .with_details([FieldError::new(field, rule, message)])
    }

    /// 400 for a list of field errors.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let message = match errors.as_slice() {
            [one] => one.message.clone(),
            [first, ..] => format!("{} fields are invalid; the first: {}", errors.len(), first),
            [] => "The request is invalid.".to_owned(),
        };
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message).with_details(errors)
    }

    /// Events that break their event type's JSON Schema in `enforce` mode (422): one detail per
    /// broken rule, naming `events[i].<field path>` and the schema keyword.
    pub fn schema_violations(errors: Vec<FieldError>) -> Self {
        let message = match errors.first() {
            Some(first) if errors.len() == 1 => first.message.clone(),
            Some(first) => format!("{} ({} more)", first.message, errors.len() - 1),
            None => "An event breaks its event type's schema.".to_owned(),
        };
        let details = errors.into_iter().map(|e| {
            let index = e
                .field
                .strip_prefix("events[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|n| n.parse::<usize>().ok());
            serde_json::json!({"index": index, "field": e.field, "rule": e.rule, "message": e.message})
        });
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "schema_violation",
            message,
        )
        .with_details(details.collect::<Vec<_>>())
    }

    /// 400 for a query (`q` or `filters`) that does not parse.
    pub fn invalid_query(param: &str, err: &QueryError) -> Self {
        let mut detail = serde_json::to_value(err).unwrap_or_default();
        if let Some(object) = detail.as_object_mut() {
            object.entry("field").or_insert_with(|| param.into());
            object.insert("rule".into(), "query".into());
        }
        let mut message = format!("`{param}` is not a valid query: {err}");
        if !message.ends_with('.') && !message.ends_with(')') {
            message.push('.');
        }
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", message).with_details([detail])
    }

    /// 422 for a request that is well formed but goes past an organization's limit; the message
    /// says the limit and how to stay within it.
    pub fn limit_exceeded(field: &str, rule: &str, limit: u64, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit_exceeded",
            message.clone(),
        )
        .with_details([json!({"field": field, "rule": rule, "limit": limit, "message": message})])
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No such {what}."),
        )
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message);
        err.retry_after_secs = Some(1);
        err
    }

    /// An unexpected failure: logged with its cause chain, answered as an opaque 500.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "Internal error while handling a request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side; it has been logged.",
        )
    }

    /// Maps a store error; `what` names the thing for `NotFound`.
    pub fn from_store(err: StoreError, what: &str) -> Self {
        match err {
            StoreError::NotFound => Self::not_found(what),
            StoreError::IdConflict { id } => Self::new(
                StatusCode::CONFLICT,
                "id_conflict",
                format!("Event id `{id}` was already used for a different event; nothing of this request was stored."),
            )
            .with_details([json!({"field": "id", "rule": "unique", "id": id})]),
            StoreError::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            StoreError::Unavailable(message) => {
                tracing::warn!(error = %message, "Store unavailable");
                Self::unavailable("The store is unavailable; retry shortly.")
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": {"code": self.code, "message": self.message, "details": self.details}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::from_store(err, "resource")
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
