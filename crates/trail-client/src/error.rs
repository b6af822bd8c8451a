//! The client's error: an answer from the server in the error shape of docs/api.md "Errors", or a failure to get one.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status and `{"error": {"code", "message", "details"}}`.
    #[error("{}", ApiDisplay { status: *.status, code, message, details })]
    Api {
        status: u16,
        code: String,
        message: String,
        /// Usually `{"field", "rule", "message"}` objects for a 400; kept as sent.
        details: Vec<Value>,
        /// `Retry-After` of a 429 or 503.
        retry_after: Option<Duration>,
    },
    /// The request did not complete: connection refused or reset, timeout, TLS failure.
    #[error("cannot reach the server")]
    Transport(#[source] reqwest::Error),
    /// The server answered success with a body that is not the documented shape.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
    /// The base URL given to the client cannot be used.
    #[error("invalid server URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
}

impl Error {
    /// Worth sending the same request again after a pause: the server is overloaded or briefly
    /// unavailable, or the connection failed. Only safe for idempotent requests.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Error::Transport(_) => true,
            Error::Decode(_) | Error::InvalidUrl { .. } => false,
        }
    }

    /// The HTTP status of an [`Error::Api`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the server asked to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Builds the error for a non-success answer from its status, `Retry-After` and body.
    pub(crate) fn from_response(status: u16, retry_after: Option<&str>, body: &[u8]) -> Error {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            code: String,
            message: String,
            #[serde(default)]
            details: Vec<Value>,
        }
        let retry_after = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error }) => Error::Api {
                status,
                code: error.code,
                message: error.message,
                details: error.details,
                retry_after,
            },
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let snippet: String = text.chars().take(200).collect();
                let message = if snippet.is_empty() {
                    format!("The server answered HTTP {status} with no error body.")
                } else {
                    format!("The server answered HTTP {status}: {snippet}")
                };
                Error::Api {
                    status,
                    code: format!("http_{status}"),
                    message,
                    details: Vec::new(),
                    retry_after,
                }
            }
        }
    }
}

/// `HTTP 400 invalid_event: The body holds invalid events.` then one indented line per detail.
struct ApiDisplay<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    details: &'a [Value],
}

impl fmt::Display for ApiDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)?;
        for detail in self.details {
            write!(f, "\n  - {}", describe_detail(detail))?;
        }
        Ok(())
    }
}

/// One `details` entry as a line: `field: message` for field errors, the JSON otherwise.
pub fn describe_detail(detail: &Value) -> String {
    let text = |key: &str| detail.get(key).and_then(Value::as_str);
    match (text("field"), text("message")) {
        (Some(field), Some(message)) if !field.is_empty() => format!("{field}: {message}"),
        (_, Some(message)) => message.to_owned(),
        _ => detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_error_shape() {
        let body = br#"{"error":{"code":"invalid_event","message":"Bad events.","details":[{"field":"events[2].actor.id","rule":"required","message":"`actor.id` is required."}]}}"#;
        let err = Error::from_response(400, None, body);
        assert_eq!(
            err.to_string(),
            "HTTP 400 invalid_event: Bad events.\n  - events[2].actor.id: `actor.id` is required."
        );
        assert!(!err.is_retryable());
    }

    #[test]
    fn keeps_retry_after_and_survives_a_foreign_body() {
        let err = Error::from_response(503, Some("7"), b"<html>Bad gateway</html>");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert!(err.is_retryable());
        assert!(
            err.to_string()
                .starts_with("HTTP 503 http_503: The server answered HTTP 503: <html>")
        );
    }
}
