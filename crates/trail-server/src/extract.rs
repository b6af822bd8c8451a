//! Request decoding with errors in Trail's shape: bodies within the size limit (413 past it), JSON
//! bodies and query strings whose bad or unknown fields are named (400).

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use trail_core::FieldError;

use crate::error::{ApiError, ApiResult};

/// Reads the whole body, refusing more than `limit` bytes with 413 (by `Content-Length` up front,
/// or while streaming a chunked body).
pub async fn body_bytes(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let too_large = || {
        ApiError::payload_too_large(format!(
            "The request body is larger than {limit} bytes; split it into smaller requests."
        ))
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

/// Body limit of administration requests (organizations, keys): small JSON objects.
pub const ADMIN_BODY_LIMIT: usize = 64 * 1024;

/// Reads a body of at most `limit` bytes (413 past it) and decodes it as JSON into `T`.
pub async fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> ApiResult<T> {
    json(&body_bytes(headers, body, limit).await?)
}

/// `value` without surrounding whitespace, or a 400 naming `field` unless that leaves 1 to
/// `max_chars` characters (names of organizations, keys, members, roles).
pub fn name<'a>(field: &str, value: &'a str, max_chars: usize) -> ApiResult<&'a str> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > max_chars {
        return Err(ApiError::invalid_field(
            field,
            "length",
            format!("`{field}` must be 1 to {max_chars} characters."),
        ));
    }
    Ok(trimmed)
}

/// A 400 naming `field` (or `field[i]`) unless `values` holds at least one value and each is one
/// of `allowed`; `what` names one value in the message ("scope", "permission").
pub fn one_or_more_of(
    field: &str,
    values: &[String],
    allowed: &[&str],
    what: &str,
) -> ApiResult<()> {
    if values.is_empty() {
        return Err(ApiError::invalid_field(
            field,
            "required",
            format!("`{field}` needs at least one of {}.", allowed.join(", ")),
        ));
    }
    if let Some((i, bad)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !allowed.contains(&v.as_str()))
    {
        return Err(ApiError::invalid_field(
            &format!("{field}[{i}]"),
            "one_of",
            format!("`{bad}` is not a {what}; use {}.", allowed.join(", ")),
        ));
    }
    Ok(())
}

/// Decodes a JSON body into `T`, naming the offending field on failure.
pub fn json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let (rule, field) = if inner.is_syntax() || inner.is_eof() {
            ("json", "body".to_owned())
        } else {
            ("type", path)
        };
        ApiError::invalid_fields(vec![field_error(field, rule, &inner.to_string())])
    })
}

/// Decodes a query string into `T` (declare `T` with `deny_unknown_fields` so typos are errors).
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> ApiResult<T> {
    let raw = raw.unwrap_or("");
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        ApiError::invalid_fields(vec![field_error(
            path,
            "query_parameter",
            &inner.to_string(),
        )])
    })
}

fn field_error(field: String, rule: &str, message: &str) -> FieldError {
    let field = if field == "." { String::new() } else { field };
    if let Some(unknown) = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        let expected = message
            .split_once("expected ")
            .map(|(_, e)| format!(" (expected {e})"))
            .unwrap_or_default();
        return FieldError::new(
            unknown,
            "unknown_field",
            format!("`{unknown}` is not a known parameter{expected}."),
        );
    }
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        return FieldError::new(missing, "required", format!("`{missing}` is required."));
    }
    let message = match message.rfind(" at line ") {
        Some(cut) if rule != "json" => &message[..cut],
        _ => message,
    };
    FieldError::new(
        field.clone(),
        rule,
        if field.is_empty() {
            message.to_owned()
        } else {
            format!("`{field}`: {message}")
        },
    )
}

/// Names the organization when calling with the operator credential (`?organization_id=`).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgParam {
    /// Required with the operator credential; an organization key may omit it.
    organization_id: Option<String>,
}

impl OrgParam {
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }
}
