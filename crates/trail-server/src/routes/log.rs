//! `/v1/log`: the organization's signed checkpoints (latest or at a size), the public key that
//! verifies them, and inclusion and consistency proofs read from the stored Merkle tree.
//!
//! Proof sizes: `tree_size` and `to` default to the latest checkpoint's size and may be any size
//! the log has reached (a proof against an unsigned size is only useful with a root the client
//! trusts, e.g. from a witness); past the current size they are a 400 naming the parameter.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Deserialize;
use trail_core::merkle::{ConsistencyProof, InclusionProof};
use trail_store::proofs::{self, ProveError};
use utoipa::IntoParams;

use super::ErrorBody;
use crate::access::Scope;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckpointParams {
    /// Required with the operator credential; an organization key may omit it.
    organization_id: Option<String>,
    /// The checkpoint signed at exactly this size [default: the latest].
    size: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    organization_id: Option<String>,
    /// The event's `seq`: its leaf index.
    seq: u64,
    /// The tree to prove inclusion in [default: the latest checkpoint's size].
    tree_size: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    organization_id: Option<String>,
    /// The older tree's size.
    from: u64,
    /// The newer tree's size [default: the latest checkpoint's size].
    to: Option<u64>,
}

fn text(body: String) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], body)
}

/// The organization's latest signed checkpoint, or the one at `size`: a C2SP signed note.
#[utoipa::path(get, path = "/v1/log/checkpoint", tag = "integrity", params(CheckpointParams),
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 404, description = "No checkpoint (at that size) yet", body = ErrorBody)))]
pub async fn checkpoint(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<impl IntoResponse> {
    principal.require(Scope::EventsRead)?;
    let params: CheckpointParams = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id.as_deref())
        .await?;
    let stored = match params.size {
        Some(size) => state.store.checkpoint_at(&org, size).await?,
        None => state.store.latest_checkpoint(&org).await?,
    };
    let stored = stored.ok_or_else(|| ApiError::not_found("checkpoint"))?;
    Ok(text(stored.note))
}

/// The verifier keys of the checkpoints' signatures (`name+hex8+base64`), one per line; two
/// during a key rotation. Public.
#[utoipa::path(get, path = "/v1/log/public-key", tag = "integrity", security(()),
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn public_key(State(state): State<AppState>) -> impl IntoResponse {
    let lines: String = state
        .log_keys
        .verifiers()
        .iter()
        .map(|key| format!("{key}\n"))
        .collect();
    text(lines)
}

/// The audit path of event `seq` in the tree of `tree_size` events (RFC 9162, hex hashes).
#[utoipa::path(get, path = "/v1/log/proofs/inclusion", tag = "integrity", params(InclusionParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
        (status = 404, description = "No checkpoint yet and no `tree_size`", body = ErrorBody)))]
pub async fn inclusion(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<InclusionProof>> {
    principal.require(Scope::EventsRead)?;
    let params: InclusionParams = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id.as_deref())
        .await?;
    let size = tree_size(&state, &org, params.tree_size, "tree_size").await?;
    if params.seq >= size {
        return Err(ApiError::invalid_field(
            "seq",
            "range",
            format!("`seq` must be below the tree size {size}."),
        ));
    }
    let proof = proofs::inclusion_proof(state.store.as_ref(), &org, params.seq, size).await;
    proof.map(Json).map_err(prove_error)
}

/// The proof that the tree of `from` events is a prefix of the tree of `to` events.
#[utoipa::path(get, path = "/v1/log/proofs/consistency", tag = "integrity", params(ConsistencyParams),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
        (status = 404, description = "No checkpoint yet and no `to`", body = ErrorBody)))]
pub async fn consistency(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ConsistencyProof>> {
    principal.require(Scope::EventsRead)?;
    let params: ConsistencyParams = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id.as_deref())
        .await?;
    let to = tree_size(&state, &org, params.to, "to").await?;
    if params.from > to {
        return Err(ApiError::invalid_field(
            "from",
            "range",
            format!("`from` must not be larger than `to` ({to})."),
        ));
    }
    let proof = proofs::consistency_proof(state.store.as_ref(), &org, params.from, to).await;
    proof.map(Json).map_err(prove_error)
}

/// `asked`, checked against the log's size, or the latest checkpoint's size.
async fn tree_size(state: &AppState, org: &str, asked: Option<u64>, name: &str) -> ApiResult<u64> {
    let Some(size) = asked else {
        let latest = state.store.latest_checkpoint(org).await?;
        return latest
            .map(|c| c.size)
            .ok_or_else(|| ApiError::not_found("checkpoint"));
    };
    let current = state.store.head(org).await?.size;
    if size > current {
        return Err(ApiError::invalid_field(
            name,
            "range",
            format!("`{name}` must not be larger than the log's size {current}."),
        ));
    }
    Ok(size)
}

fn prove_error(err: ProveError) -> ApiError {
    match err {
        ProveError::Proof(e) => ApiError::invalid_field("seq", "range", e.to_string()),
        ProveError::Store(e) => ApiError::from_store(e, "organization"),
    }
}

/// The inclusion proof of event `seq` against the latest checkpoint, when one covers it. Best
/// effort: an event is still served if its proof cannot be read.
pub async fn proof_for_event(state: &AppState, org: &str, seq: u64) -> Option<InclusionProof> {
    let latest = match state.store.latest_checkpoint(org).await {
        Ok(latest) => latest?,
        Err(e) => {
            tracing::debug!(error = %e, "No checkpoint to prove an event against");
            return None;
        }
    };
    if seq >= latest.size {
        return None;
    }
    match proofs::inclusion_proof(state.store.as_ref(), org, seq, latest.size).await {
        Ok(proof) => Some(proof),
        Err(e) => {
            tracing::warn!(organization_id = %org, seq, error = %e, "Could not read an event's inclusion proof");
            None
        }
    }
}
