//! `/v1/organizations`: tenants. The operator (or an instance-level admin key) creates and lists
//! them; an organization key sees only its own.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use trail_store::Organization;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access::Scope;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::state::AppState;

const MAX_NAME_LEN: usize = 200;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// 1–200 characters.
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationList {
    #[schema(value_type = Vec<Object>)]
    organizations: Vec<Organization>,
}

/// Create an organization (operator credential or an instance-level `admin` key).
#[utoipa::path(post, path = "/v1/organizations", tag = "administration", request_body = CreateOrganization,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    require_instance_admin(&principal)?;
    let req: CreateOrganization =
        extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let name = extract::name("name", &req.name, MAX_NAME_LEN)?;
    let org = state.store.create_organization(name).await?;
    tracing::info!(organization_id = %org.id, "Organization created");
    Ok((StatusCode::CREATED, Json(org)))
}

/// List organizations: all of them for the operator, one's own for an organization key.
#[utoipa::path(get, path = "/v1/organizations", tag = "administration",
    responses((status = 200, body = OrganizationList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<OrganizationList>> {
    let organizations = match &principal {
        Principal::Key(key) if key.organization_id.is_some() => {
            let own = key.organization_id.as_deref().unwrap_or_default();
            vec![own_organization(&state, own).await?]
        }
        Principal::Viewer(claims) => vec![own_organization(&state, &claims.org).await?],
        Principal::Member(member) => {
            let mut orgs = Vec::new();
            for m in &member.memberships {
                orgs.push(own_organization(&state, &m.organization_id).await?);
            }
            orgs
        }
        _ => {
            principal.require(Scope::Admin)?;
            state.store.list_organizations().await?
        }
    };
    Ok(Json(OrganizationList { organizations }))
}

/// One organization.
#[utoipa::path(get, path = "/v1/organizations/{id}", tag = "administration", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Organization>> {
    let org = match &principal {
        Principal::Member(member) => member
            .memberships
            .iter()
            .find(|m| m.organization_id == id)
            .map(|m| m.organization_id.clone())
            .ok_or_else(|| ApiError::not_found("organization"))?,
        _ => {
            if principal.is_instance_level() {
                principal.require(Scope::Admin)?;
            }
            principal.organization(&state, Some(&id)).await?
        }
    };
    Ok(Json(own_organization(&state, &org).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ExternalIdLink {
    organization_id: String,
    external_id: String,
}

/// Link an external organization id (a WorkOS `organization_id`, a Retraced project id) to an
/// organization, so the compatibility routes accept it for that organization's keys (operator
/// credential or an instance-level `admin` key). An id already linked to another organization is a
/// 409; linking is permanent.
#[utoipa::path(put, path = "/v1/organizations/{id}/external-ids/{external_id}", tag = "administration",
    params(("id" = String, Path), ("external_id" = String, Path, description = "1–128 visible characters")),
    responses((status = 200, body = ExternalIdLink), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn link_external_id(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, external_id)): Path<(String, String)>,
) -> ApiResult<Json<ExternalIdLink>> {
    require_instance_admin(&principal)?;
    let org = own_organization(&state, &id).await?;
    crate::compat::links::link(&state, &org.id, &external_id).await?;
    tracing::info!(organization_id = %org.id, external_id = %external_id, "External organization id linked");
    Ok(Json(ExternalIdLink {
        organization_id: org.id,
        external_id,
    }))
}

async fn own_organization(state: &AppState, id: &str) -> ApiResult<Organization> {
    state
        .store
        .get_organization(id)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))
}

fn require_instance_admin(principal: &Principal) -> ApiResult<()> {
    if !principal.is_instance_level() {
        return Err(ApiError::forbidden(
            "Only the operator credential or an instance-level admin key can create organizations.",
        ));
    }
    principal.require(Scope::Admin)
}
