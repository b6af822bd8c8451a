//! Converts a store written before storage engine v2 on open: the v1 `events` rows of each
//! organization, in batches by seq, become blocks and runs (each batch in its own transaction, so
//! an interrupted conversion resumes where it stopped), then the v1 tables are dropped. Each
//! event's stored leaf hash is kept as it was, so tampering before the conversion stays visible to
//! `trail verify`.

use rusqlite::{Connection, params};
use trail_core::canonical::CanonicalParts;
use trail_core::event::NewEvent;

use super::block::{self, BLOCK_EVENTS, BlockEvent};
use super::retention::first_retained;
use super::rows::build_event;
use super::runs::{self, Directories, PendingPostings};
use super::schema::internal;
use crate::plan::terms;
use crate::{Result, StoreError};

/// Events converted per transaction (and per tier-0 run).
const BATCH: i64 = 4096;

/// The v1 columns [`build_event`] reads, dictionary columns as ids.
const V1_COLUMNS: &str = "e.seq, e.occurred_at, e.received_delta, e.id, e.hash, e.action, \
    e.area, e.outcome, e.actor_type, e.source, e.actor_role, e.resource_type, e.country, \
    e.actor_id, e.actor_name, e.actor_email, e.resource_id, e.resource_name, e.ip, e.body";

fn has_table(conn: &Connection, name: &str) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)",
        [name],
        |r| r.get(0),
    )
    .map_err(internal)
}

/// Converts every organization's v1 events, if the store still has them.
pub(super) fn convert_v1(conn: &Connection, directories: &Directories) -> Result<()> {
    if !has_table(conn, "events")? {
        return Ok(());
    }
    let orgs: Vec<(i64, String)> = conn
        .prepare("SELECT org, id FROM organizations ORDER BY org")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(internal)?;
    let mut converted = 0u64;
    for (org, id) in orgs {
        converted += convert_org(conn, directories, org, &id)?;
    }
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         DROP TABLE events;
         DROP TABLE IF EXISTS events_fts;
         DROP TABLE IF EXISTS event_targets;
         DROP TABLE IF EXISTS dict;
         COMMIT;",
    )
    .map_err(internal)?;
    tracing::info!(events = converted, "Converted the store to the block log");
    Ok(())
}

fn convert_org(
    conn: &Connection,
    directories: &Directories,
    org: i64,
    organization_id: &str,
) -> Result<u64> {
    let dict: Vec<String> = conn
        .prepare("SELECT value FROM dict WHERE org = ? ORDER BY id")
        .and_then(|mut s| {
            s.query_map([org], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(internal)?;
    let mut converted = 0;
    loop {
        let next = match block::last_leaf(conn, org)? {
            Some((seq, _)) => seq + 1,
            None => first_retained(conn, org)?,
        };
        conn.execute_batch("BEGIN IMMEDIATE").map_err(internal)?;
        let batch = convert_batch(conn, org, organization_id, &dict, next);
        match batch {
            Ok(0) => {
                conn.execute_batch("ROLLBACK").map_err(internal)?;
                break;
            }
            Ok(n) => {
                conn.execute_batch("COMMIT").map_err(internal)?;
                converted += n;
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        loop {
            conn.execute_batch("BEGIN IMMEDIATE").map_err(internal)?;
            let merged = match runs::due_merge(&runs::list(conn, org)?) {
                Some((inputs, tier)) => {
                    runs::merge(conn, directories, org, &inputs, tier).map(|_| true)
                }
                None => Ok(false),
            };
            conn.execute_batch(if matches!(merged, Ok(true)) {
                "COMMIT"
            } else {
                "ROLLBACK"
            })
            .map_err(internal)?;
            if !merged? {
                break;
            }
        }
    }
    Ok(converted)
}

/// Converts up to [`BATCH`] events from seq `next`; returns how many.
fn convert_batch(
    conn: &Connection,
    org: i64,
    organization_id: &str,
    dict: &[String],
    next: u64,
) -> Result<u64> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {V1_COLUMNS} FROM events e WHERE e.org = ? AND e.seq >= ? ORDER BY e.seq LIMIT ?"
        ))
        .map_err(internal)?;
    let mut rows = statement
        .query(params![org, next as i64, BATCH])
        .map_err(internal)?;
    let mut events: Vec<(CanonicalParts, [u8; 32], i64)> = Vec::new();
    let mut pairs: Vec<(String, u32)> = Vec::new();
    while let Some(row) = rows.next().map_err(internal)? {
        let value = |column: usize| -> rusqlite::Result<Option<String>> {
            let id: Option<i64> = row.get(column)?;
            Ok(id.and_then(|id| usize::try_from(id).ok().and_then(|i| dict.get(i)).cloned()))
        };
        let event = build_event(row, organization_id, value, None).map_err(internal)?;
        let expected = next + events.len() as u64;
        if event.seq != expected {
            return Err(StoreError::Internal(format!(
                "the v1 log of {organization_id} has no event at seq {expected}"
            )));
        }
        let hash: Vec<u8> = row.get(4).map_err(internal)?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| StoreError::Internal("a stored hash is not 32 bytes".into()))?;
        pairs.extend(
            terms(&event.data)
                .into_iter()
                .map(|t| (t, event.seq as u32)),
        );
        let occurred_at = event.data.occurred_at.0;
        let new = NewEvent {
            data: event.data,
            received_at: event.received_at,
            client_id: false,
            occurred_at_defaulted: false,
        };
        events.push((
            CanonicalParts::new(organization_id, &new),
            hash,
            occurred_at,
        ));
    }
    if events.is_empty() {
        return Ok(0);
    }
    let (mut min_time, mut max_time) = (i64::MAX, i64::MIN);
    for (n, chunk) in events.chunks(BLOCK_EVENTS).enumerate() {
        let block_events: Vec<BlockEvent<'_>> = chunk
            .iter()
            .map(|(parts, hash, occurred_at)| {
                let (bytes, prev_at, seq_at) = parts.parts();
                min_time = min_time.min(*occurred_at);
                max_time = max_time.max(*occurred_at);
                BlockEvent {
                    bytes,
                    prev_at,
                    seq_at,
                    hash: *hash,
                    occurred_at: *occurred_at,
                }
            })
            .collect();
        block::insert(conn, org, next + (n * BLOCK_EVENTS) as u64, &block_events)?;
    }
    let mut postings = PendingPostings::from_pairs(pairs);
    let end = next + events.len() as u64;
    postings.write(conn, org, (next, end), (min_time, max_time))?;
    Ok(events.len() as u64)
}
