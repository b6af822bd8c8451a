//! Each organization's Merkle tree on SQLite: the writer pushes every appended leaf onto the
//! organization's [`CompactRange`] and inserts the completed perfect nodes of every [`STRIDE`]th
//! level into `tree_nodes`, in the same transaction; readers serve any perfect node through
//! [`Strided`] from the leaves (`blocks.hashes`) and those rows.

use rusqlite::{Connection, OptionalExtension, params};
use trail_core::merkle::{CompactRange, Hash, NodeId, NodeSource, Strided, is_stored};

use super::block;
use super::read::Readers;
use super::schema::internal;
use crate::{Result, StoreError};

/// Interior levels kept: 4, 8, 12, … (level 0 is the blocks' leaf hashes).
pub(super) const STRIDE: u32 = 4;

/// Appends `leaf` to the organization's tree and stores the interior nodes it completes.
pub(super) fn push_leaf(
    conn: &Connection,
    org: i64,
    range: &mut CompactRange,
    leaf: Hash,
) -> Result<()> {
    let mut stored = Ok(());
    range.push_with(leaf, |id, hash| {
        if id.level > 0 && is_stored(id, STRIDE) && stored.is_ok() {
            stored = conn
                .prepare_cached(
                    "INSERT INTO tree_nodes (org, level, idx, hash) VALUES (?, ?, ?, ?)",
                )
                .and_then(|mut s| s.execute(params![org, id.level, id.index as i64, &hash[..]]))
                .map(drop)
                .map_err(internal);
        }
    });
    stored
}

/// Rebuilds the compact range of the first `size` leaves from stored nodes (at most a few
/// hundred rows), so the writer keeps no state of its own on disk.
pub(super) fn compact_range(conn: &Connection, org: i64, size: u64) -> Result<CompactRange> {
    let mut ids = Vec::new();
    let mut position = 0u64;
    for level in (0..u64::BITS)
        .rev()
        .filter(|level| (size >> level) & 1 == 1)
    {
        ids.push(NodeId::new(level, position >> level));
        position += 1 << level;
    }
    let hashes = Strided::new(StoredNodes { conn, org }, STRIDE).nodes(&ids)?;
    CompactRange::from_parts(size, hashes).map_err(|e| StoreError::Internal(e.to_string()))
}

/// Perfect nodes of a log for readers, refusing any that reaches past the log's current size.
pub(super) fn read_nodes(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    ids: &[NodeId],
) -> Result<Vec<Hash>> {
    let tx = conn.unchecked_transaction().map_err(internal)?;
    let org = readers.org_key(&tx, organization_id)?;
    let size = log_size(&tx, org)?;
    if ids.iter().any(|id| id.end_leaf() > size || id.level >= 64) {
        return Err(StoreError::NotFound);
    }
    Strided::new(StoredNodes { conn: &tx, org }, STRIDE).nodes(ids)
}

/// The number of events in the organization's log (those removed by retention included).
pub(super) fn log_size(conn: &Connection, org: i64) -> Result<u64> {
    Ok(last_leaf(conn, org)?.map_or(0, |(seq, _)| seq + 1))
}

/// The seq and leaf hash of the organization's last event: the last stored event, or when
/// retention removed every event, the last retired leaf.
pub(super) fn last_leaf(conn: &Connection, org: i64) -> Result<Option<(u64, Hash)>> {
    if let Some(found) = block::last_leaf(conn, org)? {
        return Ok(Some(found));
    }
    let retired: Option<(i64, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT seq, hash FROM retired_leaves WHERE org = ? ORDER BY seq DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row([org], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(internal)?;
    retired
        .map(|(seq, hash)| Ok((seq as u64, to_hash(hash)?)))
        .transpose()
}

/// The leaf hash of `seq`: the event's, or the retired leaf's when retention removed the event.
pub(super) fn leaf_hash(conn: &Connection, org: i64, seq: u64) -> Result<Option<Hash>> {
    if let Some(found) = block::leaf_hash(conn, org, seq)? {
        return Ok(Some(found));
    }
    let retired: Option<Vec<u8>> = conn
        .prepare_cached("SELECT hash FROM retired_leaves WHERE org = ? AND seq = ?")
        .and_then(|mut s| {
            s.query_row(params![org, seq as i64], |r| r.get(0))
                .optional()
        })
        .map_err(internal)?;
    retired.map(to_hash).transpose()
}

fn to_hash(bytes: Vec<u8>) -> Result<Hash> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Internal("a stored leaf hash is not 32 bytes".into()))
}

/// The rows behind the tree: leaves from `blocks`, interior nodes from `tree_nodes`.
struct StoredNodes<'c> {
    conn: &'c Connection,
    org: i64,
}

impl NodeSource for StoredNodes<'_> {
    type Error = StoreError;

    fn node(&self, id: NodeId) -> Result<Hash> {
        let index = id.index as i64;
        let hash: Option<Vec<u8>> = match id.level {
            0 => {
                return hash_or_missing(
                    id,
                    leaf_hash(self.conn, self.org, id.index)?.map(Vec::from),
                );
            }
            level => self
                .conn
                .prepare_cached(
                    "SELECT hash FROM tree_nodes WHERE org = ? AND level = ? AND idx = ?",
                )
                .and_then(|mut s| {
                    s.query_row(params![self.org, level, index], |r| r.get(0))
                        .optional()
                }),
        }
        .map_err(internal)?;
        hash_or_missing(id, hash)
    }
}

fn hash_or_missing(id: NodeId, hash: Option<Vec<u8>>) -> Result<Hash> {
    hash.and_then(|h| h.try_into().ok()).ok_or_else(|| {
        StoreError::Internal(format!(
            "Merkle node ({}, {}) is missing or malformed",
            id.level, id.index
        ))
    })
}
