//! `trail reindex`: the bitmap index rebuilt from the block log. Each organization's runs are
//! deleted and written again from its blocks, in one transaction per organization (readers see the
//! old index or the new one, never a mix), then merged into tiers.

use rusqlite::Connection;

use super::block::Block;
use super::events::{blocks_between, prev_hash};
use super::retention::first_retained;
use super::runs::{self, Directories, PendingPostings};
use super::schema::internal;
use crate::Result;
use crate::plan::terms;

/// Events per rebuilt tier-0 run.
const RUN_EVENTS: u64 = 4096;

/// Rebuilds every organization's index; returns how many events were indexed.
pub(super) fn reindex_all(conn: &Connection, directories: &Directories) -> Result<u64> {
    let orgs: Vec<i64> = conn
        .prepare("SELECT org FROM organizations ORDER BY org")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(internal)?;
    let mut indexed = 0;
    for org in orgs {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(internal)?;
        match reindex_org(conn, org) {
            Ok(n) => {
                conn.execute_batch("COMMIT").map_err(internal)?;
                indexed += n;
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        runs::merge_all(conn, directories, org)?;
    }
    Ok(indexed)
}

fn reindex_org(conn: &Connection, org: i64) -> Result<u64> {
    let old: Vec<i64> = runs::list(conn, org)?.iter().map(|r| r.id).collect();
    runs::delete(conn, org, old.into_iter())?;
    let start = first_retained(conn, org)?;
    let mut prev = prev_hash(conn, org, start)?;
    let mut pairs: Vec<(String, u32)> = Vec::new();
    let (mut run_first, mut times) = (start, (i64::MAX, i64::MIN));
    let mut indexed = 0;
    for meta in blocks_between(conn, org, start, u64::MAX)? {
        let block = Block::read(conn, org, meta.first_seq)?;
        for index in 0..meta.count as usize {
            let event = block.event(index, &prev)?;
            prev = block.hash(index);
            let seq = event.seq as u32;
            pairs.extend(terms(&event.data).into_iter().map(|t| (t, seq)));
        }
        times = (times.0.min(meta.min_time), times.1.max(meta.max_time));
        indexed += meta.count;
        if meta.end_seq() - run_first >= RUN_EVENTS {
            PendingPostings::from_pairs(std::mem::take(&mut pairs)).write(
                conn,
                org,
                (run_first, meta.end_seq()),
                times,
            )?;
            (run_first, times) = (meta.end_seq(), (i64::MAX, i64::MIN));
        }
    }
    if !pairs.is_empty() {
        let end = start + indexed;
        PendingPostings::from_pairs(pairs).write(
            conn,
            org,
            (run_first, end.max(run_first)),
            times,
        )?;
    }
    Ok(indexed)
}
