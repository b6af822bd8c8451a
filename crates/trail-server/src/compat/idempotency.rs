//! `Idempotency-Key` on compatibility POSTs: the first answer to a key is remembered for 24 hours
//! (`Store::remember_answer`) and replayed, byte for byte, when the client retries with the same
//! key and body; the same key with another body is a 409. Only successful answers are kept, so
//! a rejected request leaves nothing behind and may be retried with the key once fixed.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use trail_store::{IdempotentAnswer, StoreError};

use super::KeyCaller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long an answer is replayed.
pub const LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;
/// Longest key accepted.
pub const MAX_KEY_CHARS: usize = 255;
/// The header; names match case-insensitively (legacy clients send `idempotency-key`).
pub const HEADER: &str = "idempotency-key";

/// The idempotency key sent with a request, if any (400 when it is empty or too long).
pub fn key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    match value.to_str().map(str::trim) {
        Ok(key) if !key.is_empty() && key.chars().count() <= MAX_KEY_CHARS => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::invalid_field(
            "Idempotency-Key",
            "length",
            format!("`Idempotency-Key` must be 1 to {MAX_KEY_CHARS} visible ASCII characters."),
        )),
    }
}

/// A successful answer of a compatibility route.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// Replays the answer remembered for this request's key, or runs `work` and remembers its answer.
pub async fn replay_or_run(
    state: &AppState,
    caller: &KeyCaller,
    route: &str,
    headers: &HeaderMap,
    body: &[u8],
    work: impl Future<Output = ApiResult<Answer>>,
) -> ApiResult<Response> {
    let Some(key) = key(headers)? else {
        return work.await.map(respond);
    };
    let org = &caller.0.organization_id;
    let scope = format!("{} {route}", caller.key_id());
    let request_hash = hex::encode(Sha256::digest(body));
    let now = state.clock.now();
    let since = now.plus_ms(-LIFETIME_MS);
    if let Some(earlier) = state
        .store
        .idempotent_answer(org, &scope, &key, since)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?
    {
        return replay(earlier, &request_hash);
    }
    let answer = work.await?;
    let remembered = IdempotentAnswer {
        organization_id: org.clone(),
        scope: scope.clone(),
        key: key.clone(),
        request_hash: request_hash.clone(),
        status: answer.status.as_u16(),
        body: answer.body.to_string(),
        created_at: now,
    };
    match state.store.remember_answer(remembered, since).await {
        Ok(()) => Ok(respond(answer)),
        // Another request with the same key finished first: answer as it did.
        Err(StoreError::Conflict(_)) => match state
            .store
            .idempotent_answer(org, &scope, &key, since)
            .await?
        {
            Some(earlier) => replay(earlier, &request_hash),
            None => Ok(respond(answer)),
        },
        Err(other) => Err(ApiError::from_store(other, "organization")),
    }
}

fn replay(earlier: IdempotentAnswer, request_hash: &str) -> ApiResult<Response> {
    if earlier.request_hash != request_hash {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body.",
        ));
    }
    let status = StatusCode::from_u16(earlier.status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        earlier.body,
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(response)
}

fn respond(answer: Answer) -> Response {
    (answer.status, Json(answer.body)).into_response()
}
