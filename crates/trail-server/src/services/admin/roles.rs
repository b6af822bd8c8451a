//! Roles: the built-in ones and the organization's custom roles (named sets of permissions),
//! created and deleted (not while held) with `trail.role.created` / `trail.role.deleted`.

use serde::Serialize;
use trail_core::ids;
use trail_store::{BUILT_IN_ROLES, Change, Role};
use utoipa::ToSchema;

use crate::access::{self, PERMISSION_NAMES, Permission};
use crate::audit::{self, Entry};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::services::Caller;
use crate::state::AppState;

/// A role as listed: built-in ones have their name as id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoleView {
    pub id: String,
    pub name: String,
    pub permissions: Vec<String>,
    pub built_in: bool,
}

/// A custom role to create.
#[derive(Debug, Clone)]
pub struct NewRole {
    pub name: String,
    pub permissions: Vec<String>,
}

/// The built-in roles, then the organization's custom roles (`members:manage`).
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<RoleView>> {
    caller.require(Permission::MembersManage)?;
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
    let custom = state.store.list_roles(&caller.organization_id).await?;
    roles.extend(custom.into_iter().map(|r| RoleView {
        id: r.id,
        name: r.name,
        permissions: r.permissions,
        built_in: false,
    }));
    Ok(roles)
}

/// Creates a custom role with its audit event.
pub async fn create(state: &AppState, caller: &Caller, new: NewRole) -> ApiResult<Role> {
    caller.require(Permission::MembersManage)?;
    let name = extract::name("name", &new.name, 100)?;
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
        &new.permissions,
        &PERMISSION_NAMES,
        "permission",
    )?;
    let mut permissions = new.permissions.clone();
    permissions.sort();
    permissions.dedup();
    let org = &caller.organization_id;
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
    let change = Change::CreateRole(role.clone());
    audit::change(state, &caller.principal, &caller.meta, org, change, |_| {
        Some(entry)
    })
    .await
    .map_err(|e| ApiError::from_store(e, "organization"))?;
    Ok(role)
}

/// Deletes a custom role (409 while members hold it) with its audit event.
pub async fn delete(state: &AppState, caller: &Caller, id: String) -> ApiResult<()> {
    caller.require(Permission::MembersManage)?;
    if access::is_built_in(&id) {
        return Err(ApiError::invalid_field(
            "id",
            "built_in",
            "Built-in roles cannot be deleted.",
        ));
    }
    let org = &caller.organization_id;
    let role = state
        .store
        .get_role(org, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "role"))?;
    let entry = Entry::new("trail.role.deleted", format!("Deleted role {}", role.name)).resource(
        "role",
        &role.id,
        Some(&role.name),
    );
    let change = Change::DeleteRole { id };
    audit::change(state, &caller.principal, &caller.meta, org, change, |_| {
        Some(entry)
    })
    .await
    .map_err(|e| ApiError::from_store(e, "role"))?;
    Ok(())
}
