//! Retention on SQLite: removing a prefix of an organization's log, on the writer's connection,
//! while keeping each removed event's leaf hash in `retired_leaves`.
//!
//! The event's `event_targets` rows go with it. Its `events_fts` row stays: the index is
//! contentless (deleting an entry needs the exact text it was built from) and holds only tokens and
//! the rowid, and every text search joins `events`, so a removed event is never found.

use rusqlite::{Connection, OptionalExtension, params};
use trail_core::Millis;
use trail_core::merkle::Hash;

use super::read::Readers;
use super::rows::{EVENT_COLUMNS, read_event};
use super::schema::internal;
use crate::{Result, StoreError};

fn org_key(conn: &Connection, organization_id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT org FROM organizations WHERE id = ?")
        .and_then(|mut s| s.query_row([organization_id], |r| r.get(0)).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

/// Runs on the writer inside its own savepoint: all of it commits, or none.
pub(super) fn purge(
    conn: &Connection,
    organization_id: &str,
    cutoff: Millis,
    max_events: usize,
) -> Result<u64> {
    let org = org_key(conn, organization_id)?;
    let limit = i64::try_from(max_events).unwrap_or(i64::MAX);
    let sql =
        format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.org = ? ORDER BY e.seq LIMIT ?");
    let mut select = conn.prepare_cached(&sql).map_err(internal)?;
    let mut rows = select.query(params![org, limit]).map_err(internal)?;
    let mut retire = conn
        .prepare_cached("INSERT INTO retired_leaves (org, seq, hash) VALUES (?, ?, ?)")
        .map_err(internal)?;
    let mut untarget = conn
        .prepare_cached(
            "DELETE FROM event_targets WHERE org = ? AND value = ? AND occurred_at = ? AND seq = ?",
        )
        .map_err(internal)?;
    let mut end: Option<u64> = None;
    let mut purged = 0u64;
    while let Some(row) = rows.next().map_err(internal)? {
        let event = read_event(row, organization_id).map_err(internal)?;
        if event.received_at >= cutoff {
            break;
        }
        let hash = hex::decode(&event.hash).map_err(|e| StoreError::Internal(e.to_string()))?;
        retire
            .execute(params![org, event.seq as i64, hash])
            .map_err(internal)?;
        for target in &event.data.targets {
            for value in [&target.id, &target.name].into_iter().flatten() {
                untarget
                    .execute(params![
                        org,
                        value,
                        event.data.occurred_at.0,
                        event.seq as i64
                    ])
                    .map_err(internal)?;
            }
        }
        end = Some(event.seq + 1);
        purged += 1;
    }
    drop(rows);
    if let Some(end) = end {
        conn.prepare_cached("DELETE FROM events WHERE org = ? AND seq < ?")
            .and_then(|mut s| s.execute(params![org, end as i64]))
            .map_err(internal)?;
    }
    Ok(purged)
}

/// Whether the schema has `retired_leaves`: a read-only open (`trail verify`) does not migrate, so
/// a database last written by a Trail before retention has none, and nothing was retired.
fn has_retired_leaves(conn: &Connection) -> Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retired_leaves')",
    )
    .and_then(|mut s| s.query_row([], |r| r.get(0)))
    .map_err(internal)
}

pub(super) fn retired_leaves(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, Hash)>> {
    let org = readers.org_key(conn, organization_id)?;
    if !has_retired_leaves(conn)? {
        return Ok(Vec::new());
    }
    let [from, to] = [from, to].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut statement = conn
        .prepare_cached(
            "SELECT seq, hash FROM retired_leaves WHERE org = ? AND seq >= ? AND seq < ? \
             ORDER BY seq",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map(params![org, from, to], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })
        .map_err(internal)?;
    rows.map(|row| {
        let (seq, hash) = row.map_err(internal)?;
        let hash: Hash = hash
            .try_into()
            .map_err(|_| StoreError::Internal("a retired leaf hash is not 32 bytes".into()))?;
        Ok((seq, hash))
    })
    .collect()
}

pub(super) fn first_retained_seq(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
) -> Result<u64> {
    let org = readers.org_key(conn, organization_id)?;
    if !has_retired_leaves(conn)? {
        return Ok(0);
    }
    conn.prepare_cached("SELECT seq FROM retired_leaves WHERE org = ? ORDER BY seq DESC LIMIT 1")
        .and_then(|mut s| s.query_row([org], |r| r.get::<_, i64>(0)).optional())
        .map(|last| last.map_or(0, |seq| seq as u64 + 1))
        .map_err(internal)
}
