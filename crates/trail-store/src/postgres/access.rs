//! Users, memberships, custom roles and web sessions: the statements behind the access part of
//! the `Store` trait. A membership change and the "at least one owner" check run in one
//! transaction that locks the organization's owners, so two nodes cannot each remove the last one.

use deadpool_postgres::{Client, GenericClient, Transaction};
use tokio_postgres::Row;
use trail_core::Millis;

use super::admin::get_organization;
use super::error::{conflict_or, db_error};
use crate::{Member, MemberUpdate, OWNER_ROLE, Result, Role, Session, StoreError, User};

pub(super) async fn create_user(client: &impl GenericClient, user: &User) -> Result<()> {
    client
        .execute(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&user.id, &user.email, &user.name, &user.password_hash, &user.created_at.0],
        )
        .await
        .map(drop)
        .map_err(|e| conflict_or(e, "a user with this email already exists"))
}

const USER_COLUMNS: &str = "SELECT id, email, name, password_hash, created_at FROM users";

fn read_user(row: &Row) -> User {
    User {
        id: row.get(0),
        email: row.get(1),
        name: row.get(2),
        password_hash: row.get(3),
        created_at: Millis(row.get(4)),
    }
}

pub(super) async fn get_user(client: &impl GenericClient, id: &str) -> Result<User> {
    let row = client
        .query_opt(&format!("{USER_COLUMNS} WHERE id = $1"), &[&id])
        .await
        .map_err(db_error)?;
    row.as_ref().map(read_user).ok_or(StoreError::NotFound)
}

pub(super) async fn find_user_by_email(
    client: &impl GenericClient,
    email: &str,
) -> Result<Option<User>> {
    let row = client
        .query_opt(
            &format!("{USER_COLUMNS} WHERE lower(email) = lower($1)"),
            &[&email],
        )
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(read_user))
}

const MEMBER_COLUMNS: &str = "SELECT m.organization_id, m.user_id, u.email, u.name, m.role, \
    m.actor_id, m.created_at, m.deactivated_at FROM memberships m JOIN users u ON u.id = m.user_id";

fn read_member(row: &Row) -> Member {
    Member {
        organization_id: row.get(0),
        user_id: row.get(1),
        email: row.get(2),
        name: row.get(3),
        role: row.get(4),
        actor_id: row.get(5),
        created_at: Millis(row.get(6)),
        deactivated_at: row.get::<_, Option<i64>>(7).map(Millis),
    }
}

pub(super) async fn add_member(
    client: &impl GenericClient,
    organization_id: &str,
    user_id: &str,
    role: &str,
    actor_id: Option<&str>,
    at: Millis,
) -> Result<Member> {
    get_organization(client, organization_id).await?;
    get_user(client, user_id).await?;
    client
        .execute(
            "INSERT INTO memberships (organization_id, user_id, role, actor_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&organization_id, &user_id, &role, &actor_id, &at.0],
        )
        .await
        .map_err(|e| conflict_or(e, "this user is already a member of the organization"))?;
    get_member(client, organization_id, user_id).await
}

pub(super) async fn get_member(
    client: &impl GenericClient,
    organization_id: &str,
    user_id: &str,
) -> Result<Member> {
    let row = client
        .query_opt(
            &format!("{MEMBER_COLUMNS} WHERE m.organization_id = $1 AND m.user_id = $2"),
            &[&organization_id, &user_id],
        )
        .await
        .map_err(db_error)?;
    row.as_ref().map(read_member).ok_or(StoreError::NotFound)
}

pub(super) async fn list_members(
    client: &impl GenericClient,
    organization_id: &str,
) -> Result<Vec<Member>> {
    get_organization(client, organization_id).await?;
    let rows = client
        .query(
            &format!(
                "{MEMBER_COLUMNS} WHERE m.organization_id = $1 ORDER BY m.created_at, m.user_id"
            ),
            &[&organization_id],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read_member).collect())
}

pub(super) async fn update_member(
    client: &mut Client,
    organization_id: &str,
    user_id: &str,
    update: &MemberUpdate,
) -> Result<Member> {
    let tx = client.transaction().await.map_err(db_error)?;
    let member = update_member_in(&tx, organization_id, user_id, update).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(member)
}

/// [`update_member`] inside a transaction the caller commits.
pub(super) async fn update_member_in(
    tx: &Transaction<'_>,
    organization_id: &str,
    user_id: &str,
    update: &MemberUpdate,
) -> Result<Member> {
    // Lock the organization's active owners (and the row being changed) first: a concurrent
    // change of another owner waits, then sees this one's result.
    let locked = tx
        .query(
            "SELECT user_id, role = $2 AND deactivated_at IS NULL FROM memberships \
             WHERE organization_id = $1 AND ((role = $2 AND deactivated_at IS NULL) OR user_id = $3) \
             FOR UPDATE",
            &[&organization_id, &OWNER_ROLE, &user_id],
        )
        .await
        .map_err(db_error)?;
    let was_owner = locked
        .iter()
        .any(|row| row.get::<_, &str>(0) == user_id && row.get::<_, bool>(1));
    let actor_set = update.actor_id.is_some();
    let actor_id = update.actor_id.clone().flatten();
    let deactivation_set = update.deactivated_at.is_some();
    let deactivated_at = update.deactivated_at.flatten().map(|m| m.0);
    let changed = tx
        .execute(
            "UPDATE memberships SET role = coalesce($3, role), \
             actor_id = CASE WHEN $4 THEN $5 ELSE actor_id END, \
             deactivated_at = CASE WHEN $6 THEN $7 ELSE deactivated_at END \
             WHERE organization_id = $1 AND user_id = $2",
            &[
                &organization_id,
                &user_id,
                &update.role,
                &actor_set,
                &actor_id,
                &deactivation_set,
                &deactivated_at,
            ],
        )
        .await
        .map_err(db_error)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    let owners: i64 = tx
        .query_one(
            "SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = $2 \
             AND deactivated_at IS NULL",
            &[&organization_id, &OWNER_ROLE],
        )
        .await
        .map_err(db_error)?
        .get(0);
    if was_owner && owners == 0 {
        return Err(StoreError::last_owner());
    }
    get_member(tx, organization_id, user_id).await
}

pub(super) async fn memberships_of_user(
    client: &impl GenericClient,
    user_id: &str,
) -> Result<Vec<Member>> {
    let rows = client
        .query(
            &format!(
                "{MEMBER_COLUMNS} WHERE m.user_id = $1 ORDER BY m.created_at, m.organization_id"
            ),
            &[&user_id],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read_member).collect())
}

pub(super) async fn create_role(client: &impl GenericClient, role: &Role) -> Result<()> {
    get_organization(client, &role.organization_id).await?;
    client
        .execute(
            "INSERT INTO roles (organization_id, id, name, permissions, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &role.organization_id,
                &role.id,
                &role.name,
                &role.permissions,
                &role.created_at.0,
            ],
        )
        .await
        .map(drop)
        .map_err(|e| conflict_or(e, "a role with this name already exists"))
}

const ROLE_COLUMNS: &str = "SELECT organization_id, id, name, permissions, created_at FROM roles";

fn read_role(row: &Row) -> Role {
    Role {
        organization_id: row.get(0),
        id: row.get(1),
        name: row.get(2),
        permissions: row.get(3),
        created_at: Millis(row.get(4)),
    }
}

pub(super) async fn get_role(
    client: &impl GenericClient,
    organization_id: &str,
    id: &str,
) -> Result<Role> {
    let row = client
        .query_opt(
            &format!("{ROLE_COLUMNS} WHERE organization_id = $1 AND id = $2"),
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?;
    row.as_ref().map(read_role).ok_or(StoreError::NotFound)
}

pub(super) async fn list_roles(
    client: &impl GenericClient,
    organization_id: &str,
) -> Result<Vec<Role>> {
    get_organization(client, organization_id).await?;
    let rows = client
        .query(
            &format!("{ROLE_COLUMNS} WHERE organization_id = $1 ORDER BY created_at, id"),
            &[&organization_id],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read_role).collect())
}

pub(super) async fn delete_role(
    client: &mut Client,
    organization_id: &str,
    id: &str,
) -> Result<()> {
    let tx = client.transaction().await.map_err(db_error)?;
    delete_role_in(&tx, organization_id, id).await?;
    tx.commit().await.map_err(db_error)
}

/// [`delete_role`] inside a transaction the caller commits.
pub(super) async fn delete_role_in(
    tx: &Transaction<'_>,
    organization_id: &str,
    id: &str,
) -> Result<()> {
    let deleted = tx
        .query_opt(
            "DELETE FROM roles WHERE organization_id = $1 AND id = $2 RETURNING id",
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?;
    if deleted.is_none() {
        return Err(StoreError::NotFound);
    }
    let holders: i64 = tx
        .query_one(
            "SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = $2",
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?
        .get(0);
    if holders > 0 {
        return Err(StoreError::role_in_use());
    }
    Ok(())
}

pub(super) async fn create_session(client: &impl GenericClient, session: &Session) -> Result<()> {
    client
        .execute(
            "INSERT INTO sessions (token_hash, csrf_hash, user_id, organization_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &&session.token_hash[..],
                &&session.csrf_hash[..],
                &session.user_id,
                &session.organization_id,
                &session.created_at.0,
                &session.expires_at.0,
            ],
        )
        .await
        .map(drop)
        .map_err(db_error)
}

pub(super) async fn find_session(
    client: &impl GenericClient,
    token_hash: &[u8; 32],
) -> Result<Option<Session>> {
    let row = client
        .query_opt(
            "SELECT token_hash, csrf_hash, user_id, organization_id, created_at, expires_at \
             FROM sessions WHERE token_hash = $1",
            &[&&token_hash[..]],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map(|row| {
        let token: &[u8] = row.get(0);
        let csrf: &[u8] = row.get(1);
        Session {
            token_hash: token.try_into().unwrap_or([0; 32]),
            csrf_hash: csrf.try_into().unwrap_or([0; 32]),
            user_id: row.get(2),
            organization_id: row.get(3),
            created_at: Millis(row.get(4)),
            expires_at: Millis(row.get(5)),
        }
    }))
}

pub(super) async fn delete_session(
    client: &impl GenericClient,
    token_hash: &[u8; 32],
    now: Millis,
) -> Result<()> {
    client
        .execute(
            "DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2",
            &[&&token_hash[..], &now.0],
        )
        .await
        .map(drop)
        .map_err(db_error)
}
