//! `/v1/roles`: the built-in roles and the organization's custom roles, each a named set of
//! permissions (`access::Permission`). Custom roles are created and deleted (not while held).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use trail_store::Role;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::ApiResult;
use crate::extract;
use crate::extract::OrgParam;
use crate::services::admin;
use crate::services::admin::roles::NewRole;
pub use crate::services::admin::roles::RoleView;
use crate::services::{Authorized, OrgCaller, needs};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    organization_id: Option<String>,
    /// 1–100 characters, unique in the organization.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    name: String,
    /// Any of `events:read`, `events:read_own`, `events:export`, `streams:manage`,
    /// `members:manage`, `api_keys:manage`, `settings:manage`, `event_types:manage`.
    #[schema(value_type = Vec<super::values::PermissionValue>, inline)]
    permissions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RoleList {
    roles: Vec<RoleView>,
}

/// The built-in roles, then the organization's custom roles.
#[utoipa::path(get, path = "/v1/roles", tag = "access", params(OrgParam),
    responses((status = 200, body = RoleList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::MembersManage>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<RoleList>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let roles = admin::roles::list(&state, &caller).await?;
    Ok(Json(RoleList { roles }))
}

/// Create a custom role.
#[utoipa::path(post, path = "/v1/roles", tag = "access", request_body = CreateRole,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    authorized: Authorized<needs::MembersManage>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Role>)> {
    let req: CreateRole = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, req.organization_id.as_deref())
        .await?;
    let new = NewRole {
        name: req.name,
        permissions: req.permissions,
    };
    let role = admin::roles::create(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// Delete a custom role (409 while members hold it).
#[utoipa::path(delete, path = "/v1/roles/{id}", tag = "access", params(("id" = String, Path), OrgParam),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::MembersManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    admin::roles::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
