//! Retention on SQLite: removing a prefix of an organization's log, on the writer's connection,
//! while keeping each removed event's leaf hash in `retired_leaves`.
//!
//! Whole blocks are deleted; the block holding the cut is rewritten without its removed events.
//! Runs of the index whose every seq was removed are deleted; the positions a remaining run still
//! holds before the cut are masked by every read ([`first_retained`]).

use rusqlite::{Connection, OptionalExtension, params};
use trail_core::Millis;
use trail_core::merkle::Hash;

use super::block::{self, Block, BlockEvent};
use super::events::{blocks_between, prev_hash};
use super::read::Readers;
use super::runs;
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
    let start = first_retained(conn, org)?;
    let mut retire = conn
        .prepare_cached("INSERT INTO retired_leaves (org, seq, hash) VALUES (?, ?, ?)")
        .map_err(internal)?;
    let mut purged = 0u64;
    let mut prev = prev_hash(conn, org, start)?;
    'blocks: for meta in blocks_between(conn, org, start, u64::MAX)? {
        let block = Block::read(conn, org, meta.first_seq)?;
        let mut removed = 0;
        for index in 0..meta.count as usize {
            if purged as usize >= max_events {
                break;
            }
            let event = block.event(index, &prev)?;
            if event.received_at >= cutoff {
                break;
            }
            prev = block.hash(index);
            retire
                .execute(params![org, event.seq as i64, &prev[..]])
                .map_err(internal)?;
            removed += 1;
            purged += 1;
        }
        if removed == 0 {
            break;
        }
        conn.prepare_cached("DELETE FROM blocks WHERE org = ? AND first_seq = ?")
            .and_then(|mut s| s.execute(params![org, meta.first_seq as i64]))
            .map_err(internal)?;
        if removed < meta.count as usize {
            let kept: Vec<BlockEvent<'_>> = (removed..meta.count as usize)
                .map(|index| {
                    let (bytes, prev_at, seq_at) = block.parts(index);
                    BlockEvent {
                        bytes,
                        prev_at,
                        seq_at,
                        hash: block.hash(index),
                        occurred_at: block.times[index],
                    }
                })
                .collect();
            block::insert(conn, org, meta.first_seq + removed as u64, &kept)?;
            break 'blocks;
        }
    }
    let retained_from = start + purged;
    let gone: Vec<i64> = runs::list(conn, org)?
        .into_iter()
        .filter(|run| run.end_seq <= retained_from)
        .map(|run| run.id)
        .collect();
    runs::delete(conn, org, gone.into_iter())?;
    Ok(purged)
}

/// The seq of the first event retention has not removed.
pub(super) fn first_retained(conn: &Connection, org: i64) -> Result<u64> {
    conn.prepare_cached("SELECT seq FROM retired_leaves WHERE org = ? ORDER BY seq DESC LIMIT 1")
        .and_then(|mut s| s.query_row([org], |r| r.get::<_, i64>(0)).optional())
        .map(|last| last.map_or(0, |seq| seq as u64 + 1))
        .map_err(internal)
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
