//! Viewer tokens: short-lived, read-only tokens for one organization (optionally one actor, one
//! resource, some areas) that embed the Activity Logs page; minting one records
//! `trail.viewer_token.created`.

use trail_core::Millis;

use crate::access::Permission;
use crate::audit::{self, Entry};
use crate::error::{ApiError, ApiResult};
use crate::services::Caller;
use crate::state::AppState;
use crate::viewer_tokens::{ViewerClaims, ViewerIdentity};

/// Default and longest lifetime of a viewer token, in seconds.
const DEFAULT_TTL_SECS: u64 = 3600;
const MAX_TTL_SECS: u64 = 24 * 3600;

/// What a new token allows.
#[derive(Debug, Clone, Default)]
pub struct NewViewerToken {
    /// Seconds, 1–86400 (default 3600).
    pub expires_in: Option<u64>,
    pub actor: Option<String>,
    pub resource: Option<String>,
    pub areas: Option<Vec<String>>,
    pub export: bool,
    pub viewer: Option<ViewerIdentity>,
}

/// Mints a token (`api_keys:manage`); returns it and when it expires.
pub async fn mint(
    state: &AppState,
    caller: &Caller,
    new: NewViewerToken,
) -> ApiResult<(String, Millis)> {
    caller.require(Permission::ApiKeysManage)?;
    let ttl = new.expires_in.unwrap_or(DEFAULT_TTL_SECS);
    if !(1..=MAX_TTL_SECS).contains(&ttl) {
        return Err(ApiError::invalid_field(
            "expires_in",
            "range",
            format!("`expires_in` must be 1 to {MAX_TTL_SECS} seconds."),
        ));
    }
    for (field, value) in [("actor", &new.actor), ("resource", &new.resource)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(ApiError::invalid_field(
                field,
                "length",
                format!("`{field}` must not be empty."),
            ));
        }
    }
    if let Some(areas) = &new.areas
        && (areas.is_empty() || areas.iter().any(|a| a.trim().is_empty()))
    {
        return Err(ApiError::invalid_field(
            "areas",
            "length",
            "`areas` must list at least one area, none empty.",
        ));
    }
    let now = state.clock.now();
    let expires_at = now.plus_ms(ttl as i64 * 1000);
    let claims = ViewerClaims {
        org: caller.organization_id.clone(),
        iat: now.0,
        exp: expires_at.0,
        actor: new.actor,
        resource: new.resource,
        areas: new.areas,
        export: new.export,
        viewer: new.viewer,
    };
    let token = state.viewer_keys.sign(&claims);
    let mut entry = Entry::new("trail.viewer_token.created", "Minted a viewer token")
        .metadata("expires_at", expires_at.to_rfc3339())
        .metadata("export", claims.export);
    for (key, value) in [("actor", &claims.actor), ("resource", &claims.resource)] {
        if let Some(value) = value {
            entry = entry.metadata(key, value.clone());
        }
    }
    if let Some(areas) = &claims.areas {
        entry = entry.metadata("areas", areas.clone());
    }
    audit::record(
        state,
        &caller.principal,
        &caller.meta,
        &caller.organization_id,
        entry,
    )
    .await?;
    Ok((token, expires_at))
}
