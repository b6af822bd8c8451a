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
use crate::error::ApiResult;
use crate::extract;
use crate::services::admin::viewer_tokens::{self, NewViewerToken};
use crate::services::{Authorized, needs};
use crate::state::AppState;
use crate::viewer_tokens::ViewerIdentity;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateViewerToken {
    organization_id: Option<String>,
    /// Lifetime in seconds, 1–86400 (default 3600).
    #[schema(minimum = 1, maximum = 86400)]
    expires_in: Option<u64>,
    /// Only events whose `actor.id` is this.
    actor: Option<String>,
    /// Only events whose `resource.id` is this.
    resource: Option<String>,
    /// Only events of these areas.
    #[schema(min_items = 1, value_type = Option<Vec<super::values::NonEmpty>>, inline)]
    areas: Option<Vec<String>>,
    /// Whether the viewer may also export (default false).
    #[serde(default)]
    export: bool,
    /// Who will be viewing (`{"id", "name", "email"}`), recorded as the actor of their reads.
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
    authorized: Authorized<needs::ApiKeysManage>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<CreatedViewerToken>)> {
    let req: CreateViewerToken =
        extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, req.organization_id.as_deref())
        .await?;
    let new = NewViewerToken {
        expires_in: req.expires_in,
        actor: req.actor,
        resource: req.resource,
        areas: req.areas,
        export: req.export,
        viewer: req.viewer,
    };
    let (token, expires_at) = viewer_tokens::mint(&state, &caller, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedViewerToken {
            token,
            expires_at,
            organization_id: caller.organization_id,
        }),
    ))
}
