//! `POST /v1/viewer-tokens`: an integrator's backend mints a short-lived, read-only token for one
//! organization (optionally one actor, one resource, some areas) to embed the Activity Logs page
//! for its customer (`crate::viewer_tokens`).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use trail_core::Millis;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access::Permission;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::state::AppState;
use crate::viewer_tokens::{ViewerClaims, ViewerIdentity};

/// Default and longest lifetime of a viewer token, in seconds.
const DEFAULT_TTL_SECS: u64 = 3600;
const MAX_TTL_SECS: u64 = 24 * 3600;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateViewerToken {
    organization_id: Option<String>,
    /// Lifetime in seconds, 1–86400 (default 3600).
    expires_in: Option<u64>,
    /// Only events whose `actor.id` is this.
    actor: Option<String>,
    /// Only events whose `resource.id` is this.
    resource: Option<String>,
    /// Only events of these areas.
    areas: Option<Vec<String>>,
    /// Whether the viewer may also export (default false).
    #[serde(default)]
    export: bool,
    /// Who will be viewing (`{"id", "name", "email"}`), recorded as the actor of their reads.
    #[schema(value_type = Option<Object>)]
    viewer: Option<ViewerIdentity>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedViewerToken {
    /// Send as `Authorization: Bearer <token>`; shown only once.
    token: String,
    #[schema(value_type = String)]
    expires_at: Millis,
    organization_id: String,
}

/// Mint a viewer token (needs `admin` / `api_keys:manage`).
#[utoipa::path(post, path = "/v1/viewer-tokens", tag = "access", request_body = CreateViewerToken,
    responses((status = 201, body = CreatedViewerToken), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<CreatedViewerToken>)> {
    principal.require_permission(Permission::ApiKeysManage)?;
    let req: CreateViewerToken =
        extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let org = principal
        .organization(&state, req.organization_id.as_deref())
        .await?;
    let ttl = req.expires_in.unwrap_or(DEFAULT_TTL_SECS);
    if !(1..=MAX_TTL_SECS).contains(&ttl) {
        return Err(ApiError::invalid_field(
            "expires_in",
            "range",
            format!("`expires_in` must be 1 to {MAX_TTL_SECS} seconds."),
        ));
    }
    for (field, value) in [("actor", &req.actor), ("resource", &req.resource)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(ApiError::invalid_field(
                field,
                "length",
                format!("`{field}` must not be empty."),
            ));
        }
    }
    if let Some(areas) = &req.areas
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
        org: org.clone(),
        iat: now.0,
        exp: expires_at.0,
        actor: req.actor,
        resource: req.resource,
        areas: req.areas,
        export: req.export,
        viewer: req.viewer,
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
    audit::record(&state, &principal, &meta, &org, entry).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedViewerToken {
            token,
            expires_at,
            organization_id: org,
        }),
    ))
}
