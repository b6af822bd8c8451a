//! Users, memberships, custom roles and web sessions: the statements behind the access part of
//! the `Store` trait (writes run on the writer's connection, so a check and the change it guards
//! happen in one step).

use rusqlite::{Connection, OptionalExtension, Row, params};
use trail_core::Millis;

use super::schema::internal;
use crate::{Member, MemberUpdate, OWNER_ROLE, Result, Role, Session, StoreError, User};

fn conflict_or_internal(e: rusqlite::Error, message: &str) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(message.to_owned()),
        _ => internal(e),
    }
}

fn org_key(conn: &Connection, organization_id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT org FROM organizations WHERE id = ?")
        .and_then(|mut s| s.query_row([organization_id], |r| r.get(0)).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn create_user(conn: &Connection, user: &User) -> Result<()> {
    conn.execute(
        "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        params![
            user.id,
            user.email,
            user.name,
            user.password_hash,
            user.created_at.0
        ],
    )
    .map(drop)
    .map_err(|e| conflict_or_internal(e, "a user with this email already exists"))
}

const USER_COLUMNS: &str = "SELECT id, email, name, password_hash, created_at FROM users";

fn read_user(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        name: row.get(2)?,
        password_hash: row.get(3)?,
        created_at: Millis(row.get(4)?),
    })
}

pub(super) fn get_user(conn: &Connection, id: &str) -> Result<User> {
    conn.prepare_cached(&format!("{USER_COLUMNS} WHERE id = ?"))
        .and_then(|mut s| s.query_row([id], read_user).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn find_user_by_email(conn: &Connection, email: &str) -> Result<Option<User>> {
    conn.prepare_cached(&format!("{USER_COLUMNS} WHERE email = ?"))
        .and_then(|mut s| s.query_row([email], read_user).optional())
        .map_err(internal)
}

const MEMBER_COLUMNS: &str = "SELECT o.id, m.user_id, u.email, u.name, m.role, m.actor_id, \
    m.created_at, m.deactivated_at FROM memberships m \
    JOIN organizations o ON o.org = m.org JOIN users u ON u.id = m.user_id";

fn read_member(row: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        organization_id: row.get(0)?,
        user_id: row.get(1)?,
        email: row.get(2)?,
        name: row.get(3)?,
        role: row.get(4)?,
        actor_id: row.get(5)?,
        created_at: Millis(row.get(6)?),
        deactivated_at: row.get::<_, Option<i64>>(7)?.map(Millis),
    })
}

pub(super) fn add_member(
    conn: &Connection,
    organization_id: &str,
    user_id: &str,
    role: &str,
    actor_id: Option<&str>,
    at: Millis,
) -> Result<Member> {
    let org = org_key(conn, organization_id)?;
    get_user(conn, user_id)?;
    conn.execute(
        "INSERT INTO memberships (org, user_id, role, actor_id, created_at) VALUES (?, ?, ?, ?, ?)",
        params![org, user_id, role, actor_id, at.0],
    )
    .map_err(|e| conflict_or_internal(e, "this user is already a member of the organization"))?;
    member_by_key(conn, org, user_id)
}

fn member_by_key(conn: &Connection, org: i64, user_id: &str) -> Result<Member> {
    conn.prepare_cached(&format!(
        "{MEMBER_COLUMNS} WHERE m.org = ? AND m.user_id = ?"
    ))
    .and_then(|mut s| s.query_row(params![org, user_id], read_member).optional())
    .map_err(internal)?
    .ok_or(StoreError::NotFound)
}

pub(super) fn get_member(
    conn: &Connection,
    organization_id: &str,
    user_id: &str,
) -> Result<Member> {
    member_by_key(conn, org_key(conn, organization_id)?, user_id)
}

pub(super) fn list_members(conn: &Connection, organization_id: &str) -> Result<Vec<Member>> {
    let org = org_key(conn, organization_id)?;
    let mut statement = conn
        .prepare_cached(&format!(
            "{MEMBER_COLUMNS} WHERE m.org = ? ORDER BY m.created_at, m.user_id"
        ))
        .map_err(internal)?;
    let rows = statement.query_map([org], read_member).map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

/// Runs on the writer inside the job's savepoint: an error rolls the change back.
pub(super) fn update_member(
    conn: &Connection,
    organization_id: &str,
    user_id: &str,
    update: &MemberUpdate,
) -> Result<Member> {
    let org = org_key(conn, organization_id)?;
    let current = member_by_key(conn, org, user_id)?;
    let role = update.role.as_deref().unwrap_or(&current.role);
    let actor_id = match &update.actor_id {
        Some(value) => value.as_deref(),
        None => current.actor_id.as_deref(),
    };
    let deactivated_at = match update.deactivated_at {
        Some(value) => value,
        None => current.deactivated_at,
    };
    conn.execute(
        "UPDATE memberships SET role = ?, actor_id = ?, deactivated_at = ? WHERE org = ? AND user_id = ?",
        params![role, actor_id, deactivated_at.map(|m| m.0), org, user_id],
    )
    .map_err(internal)?;
    let owners: i64 = conn
        .query_row(
            "SELECT count(*) FROM memberships WHERE org = ? AND role = ? AND deactivated_at IS NULL",
            params![org, OWNER_ROLE],
            |r| r.get(0),
        )
        .map_err(internal)?;
    let was_owner = current.role == OWNER_ROLE && current.is_active();
    if was_owner && owners == 0 {
        return Err(StoreError::last_owner());
    }
    member_by_key(conn, org, user_id)
}

pub(super) fn memberships_of_user(conn: &Connection, user_id: &str) -> Result<Vec<Member>> {
    let mut statement = conn
        .prepare_cached(&format!(
            "{MEMBER_COLUMNS} WHERE m.user_id = ? ORDER BY m.created_at, o.id"
        ))
        .map_err(internal)?;
    let rows = statement
        .query_map([user_id], read_member)
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

pub(super) fn create_role(conn: &Connection, role: &Role) -> Result<()> {
    let org = org_key(conn, &role.organization_id)?;
    let permissions = serde_json::to_string(&role.permissions).expect("permissions serialize");
    conn.execute(
        "INSERT INTO roles (org, id, name, permissions, created_at) VALUES (?, ?, ?, ?, ?)",
        params![org, role.id, role.name, permissions, role.created_at.0],
    )
    .map(drop)
    .map_err(|e| conflict_or_internal(e, "a role with this name already exists"))
}

const ROLE_COLUMNS: &str = "SELECT o.id, r.id, r.name, r.permissions, r.created_at \
    FROM roles r JOIN organizations o ON o.org = r.org";

fn read_role(row: &Row<'_>) -> rusqlite::Result<Role> {
    let permissions: String = row.get(3)?;
    Ok(Role {
        organization_id: row.get(0)?,
        id: row.get(1)?,
        name: row.get(2)?,
        permissions: serde_json::from_str(&permissions).unwrap_or_default(),
        created_at: Millis(row.get(4)?),
    })
}

pub(super) fn get_role(conn: &Connection, organization_id: &str, id: &str) -> Result<Role> {
    let org = org_key(conn, organization_id)?;
    conn.prepare_cached(&format!("{ROLE_COLUMNS} WHERE r.org = ? AND r.id = ?"))
        .and_then(|mut s| s.query_row(params![org, id], read_role).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn list_roles(conn: &Connection, organization_id: &str) -> Result<Vec<Role>> {
    let org = org_key(conn, organization_id)?;
    let mut statement = conn
        .prepare_cached(&format!(
            "{ROLE_COLUMNS} WHERE r.org = ? ORDER BY r.created_at, r.id"
        ))
        .map_err(internal)?;
    let rows = statement.query_map([org], read_role).map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

pub(super) fn delete_role(conn: &Connection, organization_id: &str, id: &str) -> Result<()> {
    let org = org_key(conn, organization_id)?;
    let holders: i64 = conn
        .query_row(
            "SELECT count(*) FROM memberships WHERE org = ? AND role = ?",
            params![org, id],
            |r| r.get(0),
        )
        .map_err(internal)?;
    if holders > 0 {
        return Err(StoreError::role_in_use());
    }
    let deleted = conn
        .execute(
            "DELETE FROM roles WHERE org = ? AND id = ?",
            params![org, id],
        )
        .map_err(internal)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn create_session(conn: &Connection, session: &Session) -> Result<()> {
    conn.execute(
        "INSERT INTO sessions (token_hash, csrf_hash, user_id, organization_id, created_at, \
         expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        params![
            &session.token_hash[..],
            &session.csrf_hash[..],
            session.user_id,
            session.organization_id,
            session.created_at.0,
            session.expires_at.0,
        ],
    )
    .map(drop)
    .map_err(internal)
}

pub(super) fn find_session(conn: &Connection, token_hash: &[u8; 32]) -> Result<Option<Session>> {
    conn.prepare_cached(
        "SELECT token_hash, csrf_hash, user_id, organization_id, created_at, expires_at \
         FROM sessions WHERE token_hash = ?",
    )
    .and_then(|mut s| {
        s.query_row([&token_hash[..]], |row| {
            let token: Vec<u8> = row.get(0)?;
            let csrf: Vec<u8> = row.get(1)?;
            Ok(Session {
                token_hash: token.try_into().unwrap_or([0; 32]),
                csrf_hash: csrf.try_into().unwrap_or([0; 32]),
                user_id: row.get(2)?,
                organization_id: row.get(3)?,
                created_at: Millis(row.get(4)?),
                expires_at: Millis(row.get(5)?),
            })
        })
        .optional()
    })
    .map_err(internal)
}

pub(super) fn delete_session(conn: &Connection, token_hash: &[u8; 32], now: Millis) -> Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ? OR expires_at <= ?",
        params![&token_hash[..], now.0],
    )
    .map(drop)
    .map_err(internal)
}
