//! Members: the people of an organization and their roles. Add (creating the account when the
//! email is new, or adding an existing account), list, read, change role or actor id, deactivate
//! and reactivate, each change with its audit event. Only an owner (or an API key / the operator)
//! grants or takes away the `owner` role, and an organization always keeps an active owner (409).

use axum::http::StatusCode;
use trail_core::ids;
use trail_store::{Change, Changed, Member, MemberUpdate, OWNER_ROLE, StoreError, User};

use crate::access::Permission;
use crate::audit::{self, Entry};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::services::Caller;
use crate::state::AppState;
use crate::{access, extract, password};

/// A member to add.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub email: String,
    pub name: String,
    pub role: String,
    /// Required for a new account, refused for an existing one.
    pub password: Option<String>,
    pub actor_id: Option<String>,
}

/// A change of one member; `None` keeps a field, `actor_id: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct MemberChange {
    pub role: Option<String>,
    pub actor_id: Option<Option<String>>,
    pub active: Option<bool>,
}

/// The organization's members, deactivated ones included.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<Member>> {
    caller.require(Permission::MembersManage)?;
    Ok(state.store.list_members(&caller.organization_id).await?)
}

/// One member.
pub async fn get(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Member> {
    caller.require(Permission::MembersManage)?;
    state
        .store
        .get_member(&caller.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "member"))
}

/// Adds a member with its `trail.member.added` event (and the account, when new).
pub async fn add(state: &AppState, caller: &Caller, new: NewMember) -> ApiResult<Member> {
    caller.require(Permission::MembersManage)?;
    let org = &caller.organization_id;
    let email = new.email.trim();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(ApiError::invalid_field(
            "email",
            "email",
            "`email` must be an email address.",
        ));
    }
    let name = extract::name("name", &new.name, 200)?;
    check_role(state, org, &new.role).await?;
    if new.role == OWNER_ROLE {
        require_owner_powers(&caller.principal)?;
    }
    let actor_id = check_actor_id(new.actor_id.as_deref())?;
    let user = match state.store.find_user_by_email(email).await? {
        Some(_) if new.password.is_some() => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "An account with this email exists; omit `password` to add it to the organization.",
            )
            .with_details([serde_json::json!({"field": "password", "rule": "existing_account"})]));
        }
        Some(user) => Ok(user),
        None => {
            let password = new.password.ok_or_else(|| {
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
        role: new.role.clone(),
        actor_id,
        at: state.clock.now(),
    };
    let changed = audit::change(
        state,
        &caller.principal,
        &caller.meta,
        org,
        change,
        |changed| {
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
        },
    )
    .await
    .map_err(|e| ApiError::from_store(e, "organization"))?;
    let Changed::Member(member) = changed else {
        return Err(ApiError::internal(format!(
            "adding a member answered {changed:?}"
        )));
    };
    Ok(member)
}

/// Changes a member with its `trail.member.updated` event (none when nothing changed).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: String,
    change: MemberChange,
) -> ApiResult<Member> {
    caller.require(Permission::MembersManage)?;
    let org = &caller.organization_id;
    let before = state
        .store
        .get_member(org, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "member"))?;
    if let Some(role) = &change.role {
        check_role(state, org, role).await?;
    }
    let touches_owner = before.role == OWNER_ROLE || change.role.as_deref() == Some(OWNER_ROLE);
    let changes_owner =
        change.role.as_ref().is_some_and(|r| *r != before.role) || change.active.is_some();
    if touches_owner && changes_owner {
        require_owner_powers(&caller.principal)?;
    }
    let actor_id = match &change.actor_id {
        Some(value) => Some(check_actor_id(value.as_deref())?),
        None => None,
    };
    let now = state.clock.now();
    let update = MemberUpdate {
        role: change.role.clone(),
        actor_id,
        deactivated_at: change.active.map(|active| (!active).then_some(now)),
    };
    let stored = Change::UpdateMember {
        user_id: id.clone(),
        update,
    };
    let changed = audit::change(
        state,
        &caller.principal,
        &caller.meta,
        org,
        stored,
        move |changed| {
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
        },
    )
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
    Ok(after)
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
