//! `/v1/roles`: the built-in roles and the organization's custom roles, each a named set of
//! permissions (`access::Permission`). Custom roles are created and deleted (not while held).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use trail_core::ids;
use trail_store::Change;
use trail_store::{BUILT_IN_ROLES, Role};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access::Permission;
use crate::access::{self, PERMISSION_NAMES};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::extract::OrgParam;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    organization_id: Option<String>,
    /// 1–100 characters, unique in the organization.
    name: String,
    /// Any of `events:read`, `events:read_own`, `events:export`, `streams:manage`,
    /// `members:manage`, `api_keys:manage`, `settings:manage`, `event_types:manage`.
    permissions: Vec<String>,
}

/// A role as listed: built-in ones have their name as id.
#[derive(Serialize, ToSchema)]
pub struct RoleView {
    id: String,
    name: String,
    permissions: Vec<String>,
    built_in: bool,
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
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<RoleList>> {
    principal.require_permission(Permission::MembersManage)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    let mut roles: Vec<RoleView> = BUILT_IN_ROLES
        .iter()
        .map(|id| RoleView {
            id: (*id).to_owned(),
            name: access::built_in_name(id).unwrap_or(id).to_owned(),
            permissions: access::built_in_permissions(id)
                .unwrap_or_default()
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            built_in: true,
        })
        .collect();
    roles.extend(
        state
            .store
            .list_roles(&org)
            .await?
            .into_iter()
            .map(|r| RoleView {
                id: r.id,
                name: r.name,
                permissions: r.permissions,
                built_in: false,
            }),
    );
    Ok(Json(RoleList { roles }))
}

/// Create a custom role.
#[utoipa::path(post, path = "/v1/roles", tag = "access", request_body = CreateRole,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Role>)> {
    principal.require_permission(Permission::MembersManage)?;
    let req: CreateRole = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let org = principal
        .organization(&state, req.organization_id.as_deref())
        .await?;
    let name = extract::name("name", &req.name, 100)?;
    if BUILT_IN_ROLES.iter().any(|id| {
        access::built_in_name(id).is_some_and(|n| n.eq_ignore_ascii_case(name))
            || id.eq_ignore_ascii_case(name)
    }) {
        return Err(ApiError::invalid_field(
            "name",
            "reserved",
            format!("`{name}` is a built-in role."),
        ));
    }
    extract::one_or_more_of(
        "permissions",
        &req.permissions,
        &PERMISSION_NAMES,
        "permission",
    )?;
    let mut permissions = req.permissions.clone();
    permissions.sort();
    permissions.dedup();
    let role = Role {
        organization_id: org.clone(),
        id: ids::new_role_id(),
        name: name.to_owned(),
        permissions,
        created_at: state.clock.now(),
    };
    let entry = Entry::new("trail.role.created", format!("Created role {}", role.name))
        .resource("role", &role.id, Some(&role.name))
        .metadata("permissions", role.permissions.clone());
    audit::change(
        &state,
        &principal,
        &meta,
        &org,
        Change::CreateRole(role.clone()),
        |_| Some(entry),
    )
    .await
    .map_err(|e| ApiError::from_store(e, "organization"))?;
    Ok((StatusCode::CREATED, Json(role)))
}

/// Delete a custom role (409 while members hold it).
#[utoipa::path(delete, path = "/v1/roles/{id}", tag = "access", params(("id" = String, Path), OrgParam),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    principal.require_permission(Permission::MembersManage)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    if access::is_built_in(&id) {
        return Err(ApiError::invalid_field(
            "id",
            "built_in",
            "Built-in roles cannot be deleted.",
        ));
    }
    let role = state
        .store
        .get_role(&org, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "role"))?;
    let entry = Entry::new("trail.role.deleted", format!("Deleted role {}", role.name)).resource(
        "role",
        &role.id,
        Some(&role.name),
    );
    audit::change(
        &state,
        &principal,
        &meta,
        &org,
        Change::DeleteRole { id },
        |_| Some(entry),
    )
    .await
    .map_err(|e| ApiError::from_store(e, "role"))?;
    Ok(StatusCode::NO_CONTENT)
}
