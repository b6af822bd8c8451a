//! Saved views of the Activity log: the statements behind `put_view`, `get_view`, `list_views`
//! and `delete_view`.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trail_core::Millis;

use super::schema::internal;
use crate::{Result, SavedView, StoreError};

/// The internal key of an organization (`NotFound` for an unknown one).
pub(super) fn org_key(conn: &Connection, organization_id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT org FROM organizations WHERE id = ?")
        .and_then(|mut s| s.query_row([organization_id], |r| r.get(0)).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

const COLUMNS: &str = "SELECT o.id, v.id, v.name, v.owner, v.shared, v.is_default, v.filters, \
    v.created_at, v.updated_at FROM saved_views v JOIN organizations o ON o.org = v.org";

fn read(row: &Row<'_>) -> rusqlite::Result<SavedView> {
    Ok(SavedView {
        organization_id: row.get(0)?,
        id: row.get(1)?,
        name: row.get(2)?,
        owner: row.get(3)?,
        shared: row.get(4)?,
        is_default: row.get(5)?,
        filters: row.get(6)?,
        created_at: Millis(row.get(7)?),
        updated_at: Millis(row.get(8)?),
    })
}

pub(super) fn put_view(conn: &Connection, view: &SavedView) -> Result<()> {
    let org = org_key(conn, &view.organization_id)?;
    // The writer runs every request inside its group transaction.
    if view.is_default {
        conn.execute(
            "UPDATE saved_views SET is_default = 0 WHERE org = ? AND owner = ? AND id <> ?",
            params![org, view.owner, view.id],
        )
        .map_err(internal)?;
    }
    conn.execute(
        "INSERT INTO saved_views (org, id, name, owner, shared, is_default, filters, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (org, id) DO UPDATE SET name = excluded.name, shared = excluded.shared, \
         is_default = excluded.is_default, filters = excluded.filters, updated_at = excluded.updated_at",
        params![
            org,
            view.id,
            view.name,
            view.owner,
            view.shared,
            view.is_default,
            view.filters,
            view.created_at.0,
            view.updated_at.0
        ],
    )
    .map(drop)
    .map_err(internal)
}

pub(super) fn get_view(conn: &Connection, organization_id: &str, id: &str) -> Result<SavedView> {
    conn.prepare_cached(&format!("{COLUMNS} WHERE o.id = ? AND v.id = ?"))
        .and_then(|mut s| s.query_row(params![organization_id, id], read).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn list_views(
    conn: &Connection,
    organization_id: &str,
    owner: &str,
) -> Result<Vec<SavedView>> {
    let org = org_key(conn, organization_id)?;
    let mut statement = conn
        .prepare_cached(&format!(
            "{COLUMNS} WHERE v.org = ? AND (v.shared OR v.owner = ?) ORDER BY lower(v.name), v.id"
        ))
        .map_err(internal)?;
    let rows = statement
        .query_map(params![org, owner], read)
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

pub(super) fn delete_view(conn: &Connection, organization_id: &str, id: &str) -> Result<()> {
    let org = org_key(conn, organization_id)?;
    let deleted = conn
        .execute(
            "DELETE FROM saved_views WHERE org = ? AND id = ?",
            params![org, id],
        )
        .map_err(internal)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
