//! `/v1/members`: the people of an organization and their roles. Invite (create the account when
//! the email is new, or add an existing account), list, read, change role or actor id,
//! deactivate and reactivate. Only an owner (or an API key / the operator) grants or takes away
//! the `owner` role, and an organization always keeps at least one active owner (409).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};
use trail_core::ids;
use trail_store::{Change, Changed};
use trail_store::{Member, MemberUpdate, OWNER_ROLE, StoreError, User};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access::Permission;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::OrgParam;
use crate::state::AppState;
use crate::{access, extract, password};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// Required with the operator credential.
    organization_id: Option<String>,
    email: String,
    /// 1–200 characters (ignored when the account exists).
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
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<MemberList>> {
    principal.require_permission(Permission::MembersManage)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    let members = state.store.list_members(&org).await?;
    Ok(Json(MemberList { members }))
}

/// One member.
#[utoipa::path(get, path = "/v1/members/{id}", tag = "access", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Member>> {
    principal.require_permission(Permission::MembersManage)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    let member = state
        .store
        .get_member(&org, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "member"))?;
    Ok(Json(member))
}

/// Add a member: creates the account when the email is new (`password` required), or adds the
/// existing account (`password` must be omitted).
#[utoipa::path(post, path = "/v1/members", tag = "access", request_body = CreateMember,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Member>)> {
    principal.require_permission(Permission::MembersManage)?;
    let req: CreateMember = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let org = principal
        .organization(&state, req.organization_id.as_deref())
        .await?;
    let email = req.email.trim();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(ApiError::invalid_field(
            "email",
            "email",
            "`email` must be an email address.",
        ));
    }
    let name = extract::name("name", &req.name, 200)?;
    check_role(&state, &org, &req.role).await?;
    if req.role == OWNER_ROLE {
        require_owner_powers(&principal)?;
    }
    let actor_id = check_actor_id(req.actor_id.as_deref())?;
    let user = match state.store.find_user_by_email(email).await? {
        Some(_) if req.password.is_some() => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "An account with this email exists; omit `password` to add it to the organization.",
            )
            .with_details([serde_json::json!({"field": "password", "rule": "existing_account"})]));
        }
        Some(user) => Ok(user),
        None => {
            let password = req.password.ok_or_else(|| {
                ApiError::invalid_field(
                    "password",
                    "required",
                    "`password` is required for a new account.",
                )
            })?;
            let length = password.chars().count();
            if !(password::MIN_LEN..=password::MAX_LEN).contains(&length) {
                return Err(ApiError::invalid_field(
                    "password",
                    "length",
                    format!(
                        "`password` must be {} to {} characters.",
                        password::MIN_LEN,
                        password::MAX_LEN
                    ),
                ));
            }
            let hash = tokio::task::spawn_blocking(move || password::hash(&password))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            // The account is created with the membership and its audit event, all or nothing.
            Err(User {
                id: ids::new_user_id(),
                email: email.to_owned(),
                name: name.to_owned(),
                password_hash: Some(hash),
                created_at: state.clock.now(),
            })
        }
    };
    let (user_id, new_user) = match user {
        Ok(existing) => (existing.id, None),
        Err(new) => (new.id.clone(), Some(new)),
    };
    let change = Change::AddMember {
        new_user,
        user_id,
        role: req.role.clone(),
        actor_id,
        at: state.clock.now(),
    };
    let changed = audit::change(&state, &principal, &meta, &org, change, |changed| {
        let Changed::Member(member) = changed else {
            return None;
        };
        Some(
            Entry::new(
                "trail.member.added",
                format!("Added {} as {}", member.email, member.role),
            )
            .resource("member", &member.user_id, Some(&member.name))
            .change("role", serde_json::Value::Null, member.role.clone()),
        )
    })
    .await
    .map_err(|e| ApiError::from_store(e, "organization"))?;
    let Changed::Member(member) = changed else {
        return Err(ApiError::internal(format!(
            "adding a member answered {changed:?}"
        )));
    };
    Ok((StatusCode::CREATED, Json(member)))
}

/// Change a member's role or actor id, or deactivate (`"active": false`) and reactivate them.
#[utoipa::path(patch, path = "/v1/members/{id}", tag = "access", params(("id" = String, Path)), request_body = UpdateMember,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "The organization would have no active owner", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Member>> {
    principal.require_permission(Permission::MembersManage)?;
    let req: UpdateMember = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let org = principal
        .organization(&state, req.organization_id.as_deref())
        .await?;
    let before = state
        .store
        .get_member(&org, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "member"))?;
    if let Some(role) = &req.role {
        check_role(&state, &org, role).await?;
    }
    let touches_owner = before.role == OWNER_ROLE || req.role.as_deref() == Some(OWNER_ROLE);
    let changes_owner =
        req.role.as_ref().is_some_and(|r| *r != before.role) || req.active.is_some();
    if touches_owner && changes_owner {
        require_owner_powers(&principal)?;
    }
    let actor_id = match &req.actor_id {
        Some(value) => Some(check_actor_id(value.as_deref())?),
        None => None,
    };
    let now = state.clock.now();
    let update = MemberUpdate {
        role: req.role.clone(),
        actor_id,
        deactivated_at: req.active.map(|active| (!active).then_some(now)),
    };
    let change = Change::UpdateMember {
        user_id: id.clone(),
        update,
    };
    let changed = audit::change(&state, &principal, &meta, &org, change, move |changed| {
        let Changed::Member(after) = changed else {
            return None;
        };
        let mut entry = Entry::new(
            "trail.member.updated",
            format!("Changed member {}", after.email),
        )
        .resource("member", &after.user_id, Some(&after.name));
        if before.role != after.role {
            entry = entry.change("role", before.role.clone(), after.role.clone());
        }
        if before.actor_id != after.actor_id {
            entry = entry.change("actor_id", before.actor_id.clone(), after.actor_id.clone());
        }
        if before.is_active() != after.is_active() {
            entry = entry.change("active", before.is_active(), after.is_active());
        }
        (!entry.changes.is_empty()).then_some(entry)
    })
    .await
    .map_err(|e| match e {
        StoreError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "last_owner", message),
        other => ApiError::from_store(other, "member"),
    })?;
    let Changed::Member(after) = changed else {
        return Err(ApiError::internal(format!(
            "updating a member answered {changed:?}"
        )));
    };
    Ok(Json(after))
}

/// A built-in role or one of the organization's custom roles, or a 400 naming `role`.
async fn check_role(state: &AppState, org: &str, role: &str) -> ApiResult<()> {
    if access::is_built_in(role) {
        return Ok(());
    }
    match state.store.get_role(org, role).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(ApiError::invalid_field(
            "role",
            "one_of",
            format!(
                "`{role}` is not a role; use {} or a custom role's id.",
                trail_store::BUILT_IN_ROLES.join(", ")
            ),
        )),
        Err(err) => Err(ApiError::from_store(err, "role")),
    }
}

fn check_actor_id(actor_id: Option<&str>) -> ApiResult<Option<String>> {
    match actor_id.map(str::trim) {
        Some("") => Err(ApiError::invalid_field(
            "actor_id",
            "length",
            "`actor_id` must not be empty; send null to clear it.",
        )),
        Some(id) if id.len() > 1024 => Err(ApiError::invalid_field(
            "actor_id",
            "length",
            "`actor_id` is too long.",
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

/// Granting or taking away `owner` takes an owner (or an API key / the operator).
fn require_owner_powers(principal: &Principal) -> ApiResult<()> {
    match principal {
        Principal::Member(member) if member.membership()?.role != OWNER_ROLE => Err(
            ApiError::forbidden("Only an owner can grant or take away the owner role."),
        ),
        _ => Ok(()),
    }
}
