//! `/v1/members`: the people of an organization and their roles. Invite (create the account when
//! the email is new, or add an existing account), list, read, change role or actor id,
//! deactivate and reactivate. Only an owner (or an API key / the operator) grants or takes away
//! the `owner` role, and an organization always keeps at least one active owner (409).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};
use trail_store::Member;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::ApiResult;
use crate::extract;
use crate::extract::OrgParam;
use crate::services::admin::members::{self, MemberChange, NewMember};
use crate::services::{Authorized, OrgCaller, needs};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// Required with the operator credential.
    organization_id: Option<String>,
    /// An email address (`local@domain`, at most 254 characters).
    #[schema(max_length = 254, pattern = "^\\s*[^@\\s]+@[^@\\s]+\\s*$")]
    email: String,
    /// 1–200 characters (ignored when the account exists).
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    name: String,
    /// `owner`, `admin`, `security_manager`, `security_analyst`, `member` or a custom role's id.
    role: String,
    /// The new account's password (at least 10 characters); must be omitted when an account
    /// with this email exists, which is then added as it is.
    password: Option<String>,
    /// Events whose `actor.id` is this count as the member's own.
    actor_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    organization_id: Option<String>,
    role: Option<String>,
    /// A string sets it, `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    actor_id: Option<Option<String>>,
    /// `false` deactivates (the member can no longer sign in to this organization), `true` reactivates.
    active: Option<bool>,
}

/// A field that is present (even as `null`) becomes `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    #[schema(value_type = Vec<Object>)]
    members: Vec<Member>,
}

/// Members of the organization, deactivated ones included.
#[utoipa::path(get, path = "/v1/members", tag = "access", params(OrgParam),
    responses((status = 200, body = MemberList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::MembersManage>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<MemberList>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let members = members::list(&state, &caller).await?;
    Ok(Json(MemberList { members }))
}

/// One member.
#[utoipa::path(get, path = "/v1/members/{id}", tag = "access", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::MembersManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Member>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(members::get(&state, &caller, &id).await?))
}

/// Add a member: creates the account when the email is new (`password` required), or adds the
/// existing account (`password` must be omitted).
#[utoipa::path(post, path = "/v1/members", tag = "access", request_body = CreateMember,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    authorized: Authorized<needs::MembersManage>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Member>)> {
    let req: CreateMember = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, req.organization_id.as_deref())
        .await?;
    let new = NewMember {
        email: req.email,
        name: req.name,
        role: req.role,
        password: req.password,
        actor_id: req.actor_id,
    };
    let member = members::add(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Change a member's role or actor id, or deactivate (`"active": false`) and reactivate them.
#[utoipa::path(patch, path = "/v1/members/{id}", tag = "access", params(("id" = String, Path)), request_body = UpdateMember,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "The organization would have no active owner", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    authorized: Authorized<needs::MembersManage>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Member>> {
    let req: UpdateMember = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, req.organization_id.as_deref())
        .await?;
    let change = MemberChange {
        role: req.role,
        actor_id: req.actor_id,
        active: req.active,
    };
    Ok(Json(members::update(&state, &caller, id, change).await?))
}
