//! Signed checkpoints on SQLite: one row per organization and size, kept forever, and the heads
//! query the checkpoint job polls.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trail_core::Millis;
use trail_core::merkle::Hash;

use super::read::Readers;
use super::schema::internal;
use crate::{Result, StoreError, StoredCheckpoint, UncheckpointedLog};

const COLUMNS: &str = "SELECT size, root, note, created_at FROM checkpoints";

fn read_checkpoint(row: &Row<'_>) -> rusqlite::Result<StoredCheckpoint> {
    let root: Vec<u8> = row.get(1)?;
    Ok(StoredCheckpoint {
        size: row.get::<_, i64>(0)? as u64,
        root: root.try_into().map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Blob,
                "a checkpoint root is 32 bytes".into(),
            )
        })?,
        note: row.get(2)?,
        created_at: Millis(row.get(3)?),
    })
}

fn org_key(conn: &Connection, organization_id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT org FROM organizations WHERE id = ?")
        .and_then(|mut s| s.query_row([organization_id], |r| r.get(0)).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

/// Runs on the writer: stores the checkpoint unless this size is already signed (same root: a
/// no-op, another root: a conflict).
pub(super) fn put(
    conn: &Connection,
    organization_id: &str,
    size: u64,
    root: &Hash,
    note: &str,
) -> Result<()> {
    let org = org_key(conn, organization_id)?;
    if let Some(stored) = at(conn, org, size)? {
        return match stored.root == *root {
            true => Ok(()),
            false => Err(StoreError::Conflict(format!(
                "a checkpoint of size {size} with another root is already stored"
            ))),
        };
    }
    conn.prepare_cached(
        "INSERT INTO checkpoints (org, size, root, note, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| s.execute(params![org, size as i64, &root[..], note, Millis::now().0]))
    .map(drop)
    .map_err(internal)
}

fn at(conn: &Connection, org: i64, size: u64) -> Result<Option<StoredCheckpoint>> {
    conn.prepare_cached(&format!("{COLUMNS} WHERE org = ? AND size = ?"))
        .and_then(|mut s| {
            s.query_row(params![org, size as i64], read_checkpoint)
                .optional()
        })
        .map_err(internal)
}

pub(super) fn checkpoint_at(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    size: u64,
) -> Result<Option<StoredCheckpoint>> {
    let org = readers.org_key(conn, organization_id)?;
    at(conn, org, size)
}

pub(super) fn latest(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
) -> Result<Option<StoredCheckpoint>> {
    let org = readers.org_key(conn, organization_id)?;
    conn.prepare_cached(&format!(
        "{COLUMNS} WHERE org = ? ORDER BY size DESC LIMIT 1"
    ))
    .and_then(|mut s| s.query_row([org], read_checkpoint).optional())
    .map_err(internal)
}

/// A few index probes per organization: the last seq (of the last block, or the last retired
/// leaf) and the largest checkpoint.
pub(super) fn uncheckpointed(conn: &Connection) -> Result<Vec<UncheckpointedLog>> {
    let mut statement = conn
        .prepare_cached(
            "SELECT o.id, \
             coalesce((SELECT first_seq + count - 1 FROM blocks WHERE org = o.org \
             ORDER BY first_seq DESC LIMIT 1), \
             (SELECT seq FROM retired_leaves WHERE org = o.org ORDER BY seq DESC LIMIT 1)), \
             (SELECT size FROM checkpoints WHERE org = o.org ORDER BY size DESC LIMIT 1) \
             FROM organizations o ORDER BY o.org",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map([], |r| {
            Ok(UncheckpointedLog {
                organization_id: r.get(0)?,
                size: r.get::<_, Option<i64>>(1)?.map_or(0, |seq| seq as u64 + 1),
                checkpointed: r.get::<_, Option<i64>>(2)?.map(|size| size as u64),
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter(|log| log.size > log.checkpointed.unwrap_or(0))
        .collect())
}
