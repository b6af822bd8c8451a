//! Events read back from the block log: one by seq, a seq range in order (verification, streams,
//! exports), and one by id through the index's `id=` terms.

use rusqlite::{Connection, params};
use trail_core::canonical::leaf_hash_of_bytes;
use trail_core::event::Event;
use trail_core::merkle::Hash;

use super::block::{Block, BlockMeta};
use super::runs::{self, Directories, RunInfo, RunPostings};
use super::schema::internal;
use super::{retention, tree};
use crate::plan::Postings;
use crate::{CheckedLeaf, Result};

/// The leaf hash before `seq`: zeros at 0 (what `GENESIS_PREV` spells), else the stored or
/// retired leaf of `seq - 1`. When that leaf is missing (a store edited behind Trail's back) it
/// is zeros too, as v1 answered, and `trail verify` names the gap.
pub(super) fn prev_hash(conn: &Connection, org: i64, seq: u64) -> Result<Hash> {
    if seq == 0 {
        return Ok([0; 32]);
    }
    Ok(tree::leaf_hash(conn, org, seq - 1)?.unwrap_or([0; 32]))
}

/// The event at `index` of `block`.
pub(super) fn from_block(
    conn: &Connection,
    org: i64,
    block: &Block,
    index: usize,
) -> Result<Event> {
    let prev = match index {
        0 => prev_hash(conn, org, block.meta.first_seq)?,
        i => block.hash(i - 1),
    };
    block.event(index, &prev)
}

/// The blocks holding seqs in `[from, to)`, in seq order.
pub(super) fn blocks_between(
    conn: &Connection,
    org: i64,
    from: u64,
    to: u64,
) -> Result<Vec<BlockMeta>> {
    let [from, to] = [from, to].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut statement = conn
        .prepare_cached(
            // From the block holding `from` (the last starting at or before it) on: a keyed range,
            // where `first_seq + count > from` alone would scan every block before `from`.
            "SELECT first_seq, count, min_time, max_time FROM blocks \
             WHERE org = ?1 AND first_seq < ?2 AND first_seq >= coalesce(\
             (SELECT max(first_seq) FROM blocks WHERE org = ?1 AND first_seq <= ?3), 0) \
             AND first_seq + count > ?3 ORDER BY first_seq",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map(params![org, to, from], |r| {
            Ok(BlockMeta {
                first_seq: r.get::<_, i64>(0)? as u64,
                count: r.get::<_, i64>(1)? as u64,
                min_time: r.get(2)?,
                max_time: r.get(3)?,
            })
        })
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

/// Events with `from <= seq < to`, in seq order.
pub(super) fn by_seq(conn: &Connection, org: i64, from: u64, to: u64) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    let mut buffer = Vec::new();
    for meta in blocks_between(conn, org, from, to)? {
        let block = Block::read_into(conn, org, meta.first_seq, buffer)?;
        let start = from.saturating_sub(meta.first_seq) as usize;
        let end = (to.min(meta.end_seq()) - meta.first_seq) as usize;
        let mut prev = prev_hash(conn, org, meta.first_seq + start as u64)?;
        for index in start..end {
            out.push(block.event(index, &prev)?);
            prev = block.hash(index);
        }
        buffer = block.into_buffer();
    }
    Ok(out)
}

/// The leaves of the events with `from <= seq < to`: each event's canonical bytes from its block,
/// chained on the stored hash before it, hashed — no event is parsed.
pub(super) fn leaves(conn: &Connection, org: i64, from: u64, to: u64) -> Result<Vec<CheckedLeaf>> {
    let mut out = Vec::new();
    let mut bytes = Vec::new();
    let mut buffer = Vec::new();
    for meta in blocks_between(conn, org, from, to)? {
        let block = Block::read_into(conn, org, meta.first_seq, buffer)?;
        let start = from.saturating_sub(meta.first_seq) as usize;
        let end = (to.min(meta.end_seq()) - meta.first_seq) as usize;
        let mut prev = prev_hash(conn, org, meta.first_seq + start as u64)?;
        for index in start..end {
            block.leaf_bytes(index, &prev, &mut bytes);
            let stored = block.hash(index);
            out.push(CheckedLeaf {
                seq: meta.first_seq + index as u64,
                prev,
                stored,
                recomputed: leaf_hash_of_bytes(&bytes),
            });
            prev = stored;
        }
        buffer = block.into_buffer();
    }
    Ok(out)
}

/// The event whose id is exactly `id`, found through the index's `id=` terms, newest run first.
pub(super) fn find_by_id(
    conn: &Connection,
    directories: &Directories,
    org: i64,
    id: &str,
) -> Result<Option<Event>> {
    let known = KnownRuns::read(conn, org)?;
    known.find(conn, directories, org, id)
}

/// An organization's runs and where retention stopped: what a lookup by id reads first (the
/// writer reads it once per request, not once per client id).
pub(super) struct KnownRuns {
    runs: Vec<RunInfo>,
    retained_from: u64,
}

impl KnownRuns {
    pub fn read(conn: &Connection, org: i64) -> Result<KnownRuns> {
        Ok(KnownRuns {
            runs: runs::list(conn, org)?,
            retained_from: retention::first_retained(conn, org)?,
        })
    }

    pub fn find(
        &self,
        conn: &Connection,
        directories: &Directories,
        org: i64,
        id: &str,
    ) -> Result<Option<Event>> {
        let term = format!("id={}", id.to_ascii_lowercase());
        let retained_from = self.retained_from;
        for &run in self.runs.iter().rev() {
            if run.end_seq <= retained_from {
                break;
            }
            let postings = RunPostings::new(conn, directories, org, run, retained_from)?;
            if !postings.directory.ids.may_hold(&term) {
                continue;
            }
            let found = postings.term(&term);
            if let Some(e) = postings.error() {
                return Err(e);
            }
            for seq in found {
                let seq = u64::from(seq);
                let Some(meta) = super::block::meta_holding(conn, org, seq)? else {
                    continue;
                };
                let block = Block::read(conn, org, meta.first_seq)?;
                let event = from_block(conn, org, &block, (seq - meta.first_seq) as usize)?;
                if event.data.id == id {
                    return Ok(Some(event));
                }
            }
        }
        Ok(None)
    }
}
