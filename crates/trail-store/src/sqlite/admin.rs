//! Organizations, API keys and instance settings: the statements behind the administrative parts
//! of the `Store` trait (writes run on the writer's connection, reads on a reader's).

use rusqlite::{Connection, OptionalExtension, Row, params};
use trail_core::Millis;

use super::schema::internal;
use crate::{ApiKey, Organization, Result, StoreError};

/// Touches closer together than this are coalesced into the first.
const TOUCH_INTERVAL_MS: i64 = 60_000;

pub(super) fn create_organization(conn: &Connection, org: &Organization) -> Result<()> {
    conn.execute(
        "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
        params![org.id, org.name, org.created_at.0],
    )
    .map(drop)
    .map_err(|e| conflict_or_internal(e, "an organization with this id already exists"))
}

const ORG_COLUMNS: &str = "SELECT id, name, created_at FROM organizations";

fn read_org(row: &Row<'_>) -> rusqlite::Result<Organization> {
    Ok(Organization {
        id: row.get(0)?,
        name: row.get(1)?,
        created_at: Millis(row.get(2)?),
    })
}

pub(super) fn get_organization(conn: &Connection, id: &str) -> Result<Organization> {
    conn.prepare_cached(&format!("{ORG_COLUMNS} WHERE id = ?"))
        .and_then(|mut s| s.query_row([id], read_org).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn list_organizations(conn: &Connection) -> Result<Vec<Organization>> {
    let mut statement = conn
        .prepare_cached(&format!("{ORG_COLUMNS} ORDER BY org"))
        .map_err(internal)?;
    let rows = statement.query_map([], read_org).map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

/// The internal key of an organization (`0` for instance-level keys).
fn org_key(conn: &Connection, organization_id: Option<&str>) -> Result<i64> {
    let Some(id) = organization_id else {
        return Ok(0);
    };
    conn.prepare_cached("SELECT org FROM organizations WHERE id = ?")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn create_api_key(conn: &Connection, key: &ApiKey) -> Result<()> {
    let org = org_key(conn, key.organization_id.as_deref())?;
    let scopes = serde_json::to_string(&key.scopes).expect("scopes serialize");
    conn.execute(
        "INSERT INTO api_keys (org, id, name, scopes, prefix, secret_hash, created_at, \
         expires_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            org,
            key.id,
            key.name,
            scopes,
            key.prefix,
            &key.secret_hash[..],
            key.created_at.0,
            key.expires_at.map(|m| m.0),
            key.last_used_at.map(|m| m.0),
            key.revoked_at.map(|m| m.0),
        ],
    )
    .map(drop)
    .map_err(|e| conflict_or_internal(e, "an API key with this id or secret already exists"))
}

const KEY_COLUMNS: &str = "SELECT k.id, o.id, k.name, k.scopes, k.prefix, k.secret_hash, \
    k.created_at, k.expires_at, k.last_used_at, k.revoked_at \
    FROM api_keys k LEFT JOIN organizations o ON o.org = k.org";

fn read_key(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    let scopes: String = row.get(3)?;
    let secret_hash: Vec<u8> = row.get(5)?;
    let millis = |i| row.get::<_, Option<i64>>(i).map(|v| v.map(Millis));
    Ok(ApiKey {
        id: row.get(0)?,
        organization_id: row.get(1)?,
        name: row.get(2)?,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        prefix: row.get(4)?,
        secret_hash: secret_hash.try_into().unwrap_or([0; 32]),
        created_at: Millis(row.get(6)?),
        expires_at: millis(7)?,
        last_used_at: millis(8)?,
        revoked_at: millis(9)?,
    })
}

pub(super) fn find_api_key(conn: &Connection, secret_hash: &[u8; 32]) -> Result<Option<ApiKey>> {
    conn.prepare_cached(&format!("{KEY_COLUMNS} WHERE k.secret_hash = ?"))
        .and_then(|mut s| s.query_row([&secret_hash[..]], read_key).optional())
        .map_err(internal)
}

pub(super) fn list_api_keys(
    conn: &Connection,
    organization_id: Option<&str>,
) -> Result<Vec<ApiKey>> {
    let org = org_key(conn, organization_id)?;
    let mut statement = conn
        .prepare_cached(&format!(
            "{KEY_COLUMNS} WHERE k.org = ? ORDER BY k.created_at, k.id"
        ))
        .map_err(internal)?;
    let rows = statement.query_map([org], read_key).map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

pub(super) fn revoke_api_key(
    conn: &Connection,
    organization_id: Option<&str>,
    id: &str,
    at: Millis,
) -> Result<ApiKey> {
    let org = org_key(conn, organization_id)?;
    let changed = conn
        .execute(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE org = ? AND id = ?",
            params![at.0, org, id],
        )
        .map_err(internal)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    conn.prepare_cached(&format!("{KEY_COLUMNS} WHERE k.org = ? AND k.id = ?"))
        .and_then(|mut s| s.query_row(params![org, id], read_key))
        .map_err(internal)
}

pub(super) fn touch_api_key(conn: &Connection, id: &str, at: Millis) -> Result<()> {
    conn.execute(
        "UPDATE api_keys SET last_used_at = ? WHERE id = ? \
         AND (last_used_at IS NULL OR last_used_at <= ? - ?)",
        params![at.0, id, at.0, TOUCH_INTERVAL_MS],
    )
    .map(drop)
    .map_err(internal)
}

pub(super) fn get_instance_setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM instance_settings WHERE key = ?")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
        .map_err(internal)
}

pub(super) fn init_instance_setting(conn: &Connection, key: &str, value: &str) -> Result<bool> {
    conn.execute(
        "INSERT OR IGNORE INTO instance_settings (key, value) VALUES (?, ?)",
        [key, value],
    )
    .map(|changed| changed == 1)
    .map_err(internal)
}

pub(super) fn put_instance_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO instance_settings (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map(drop)
    .map_err(internal)
}

fn conflict_or_internal(e: rusqlite::Error, message: &str) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(message.to_owned()),
        _ => internal(e),
    }
}
