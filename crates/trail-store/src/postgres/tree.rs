//! Each organization's Merkle tree on PostgreSQL. The frontier ([`CompactRange`]) is stored in the
//! organization's head row and read back under the head lock, so whichever node appends next
//! continues the same tree; the completed perfect nodes of every [`STRIDE`]th level go to
//! `tree_nodes` in the same transaction as their events. Readers serve any perfect node through
//! [`Strided`] from those rows and `events.hash`, all of one request in one query.

use std::collections::HashMap;

use deadpool_postgres::{Client, GenericClient};
use tokio_postgres::types::ToSql;
use trail_core::merkle::{
    CompactRange, Hash, NodeId, NodeSource, Strided, is_stored, stored_cover,
};

use super::error::db_error;
use crate::{Result, StoreError};

/// Interior levels kept: 4, 8, 12, … (level 0 is the events' `hash` column), as on SQLite.
const STRIDE: u32 = 4;

/// How many stored leaf hashes one catch-up query reads.
const CATCH_UP_CHUNK: i64 = 50_000;

const INSERT_NODES: &str = "INSERT INTO tree_nodes (organization_id, level, idx, hash) \
    SELECT $1::text, u.level, u.idx, u.hash FROM unnest($2::int[], $3::bigint[], $4::bytea[]) \
    AS u(level, idx, hash)";

const READ_NODES: &str = "SELECT 0, seq, hash FROM events \
    WHERE organization_id = $1 AND seq = ANY($2::bigint[]) \
    UNION ALL \
    SELECT 0, seq, hash FROM retired_leaves \
    WHERE organization_id = $1 AND seq = ANY($2::bigint[]) \
    UNION ALL \
    SELECT t.level, t.idx, t.hash FROM tree_nodes t \
    JOIN unnest($3::int[], $4::bigint[]) AS w(level, idx) ON t.level = w.level AND t.idx = w.idx \
    WHERE t.organization_id = $1";

/// The tree of one organization while its head row is locked: the frontier read from the row,
/// and the stored-level nodes completed in this transaction and not yet inserted.
pub(super) struct Growth {
    range: CompactRange,
    levels: Vec<i32>,
    indexes: Vec<i64>,
    hashes: Vec<Hash>,
}

impl Growth {
    /// Resumes from the head row's `tree` column.
    pub fn from_head(frontier: &[u8]) -> Result<Growth> {
        let range = CompactRange::from_bytes(frontier)
            .map_err(|e| StoreError::Internal(format!("stored Merkle frontier: {e}")))?;
        Ok(Growth {
            range,
            levels: Vec::new(),
            indexes: Vec::new(),
            hashes: Vec::new(),
        })
    }

    /// Appends one leaf and remembers the stored-level nodes it completes.
    pub fn push(&mut self, leaf: Hash) {
        let Growth {
            range,
            levels,
            indexes,
            hashes,
        } = self;
        range.push_with(leaf, |id, hash| {
            if id.level > 0 && is_stored(id, STRIDE) {
                levels.push(id.level as i32);
                indexes.push(id.index as i64);
                hashes.push(*hash);
            }
        });
    }

    /// The frontier to write back with the head.
    pub fn frontier(&self) -> Vec<u8> {
        self.range.to_bytes()
    }

    /// Brings the tree up to `size` leaves from the stored events when it is behind: events
    /// appended before migration 2, or by a node of an older version. Runs under the head lock;
    /// says whether the tree moved (then the frontier must be written back).
    pub async fn catch_up(
        &mut self,
        client: &impl GenericClient,
        organization_id: &str,
        size: u64,
    ) -> Result<bool> {
        if self.range.size() > size {
            return Err(StoreError::Internal(format!(
                "the Merkle frontier has {} leaves but the log only {size}",
                self.range.size()
            )));
        }
        if self.range.size() == size {
            return Ok(false);
        }
        tracing::info!(
            organization_id,
            from = self.range.size(),
            to = size,
            "Building the Merkle tree of stored events"
        );
        let read = client
            .prepare_cached(
                "SELECT seq, hash FROM events WHERE organization_id = $1 AND seq >= $2 \
                 AND seq < $3 UNION ALL SELECT seq, hash FROM retired_leaves \
                 WHERE organization_id = $1 AND seq >= $2 AND seq < $3 ORDER BY 1",
            )
            .await
            .map_err(db_error)?;
        while self.range.size() < size {
            let from = self.range.size() as i64;
            let to = (from + CATCH_UP_CHUNK).min(size as i64);
            let rows = client
                .query(&read, &[&organization_id, &from, &to])
                .await
                .map_err(db_error)?;
            if rows.len() as i64 != to - from {
                return Err(StoreError::Internal(format!(
                    "events {from}..{to} are not all stored"
                )));
            }
            for row in rows {
                self.push(to_hash(row.get(1))?);
            }
            self.flush(client, organization_id).await?;
        }
        Ok(true)
    }

    /// Inserts the nodes completed since the last flush, in one statement.
    pub async fn flush(
        &mut self,
        client: &impl GenericClient,
        organization_id: &str,
    ) -> Result<()> {
        if self.hashes.is_empty() {
            return Ok(());
        }
        let insert = client
            .prepare_cached(INSERT_NODES)
            .await
            .map_err(db_error)?;
        let hashes: Vec<&[u8]> = self.hashes.iter().map(|h| &h[..]).collect();
        let params: [&(dyn ToSql + Sync); 4] =
            [&organization_id, &self.levels, &self.indexes, &hashes];
        client.execute(&insert, &params).await.map_err(db_error)?;
        self.levels.clear();
        self.indexes.clear();
        self.hashes.clear();
        Ok(())
    }
}

/// Takes the head lock to build the tree of events appended before it was kept (a no-op once the
/// tree has caught up), so that readers can serve every committed event.
pub(super) async fn catch_up(client: &mut Client, organization_id: &str) -> Result<()> {
    let tx = client.transaction().await.map_err(db_error)?;
    let lock = "SELECT next_seq, tree FROM org_heads WHERE organization_id = $1 FOR UPDATE";
    let row = tx
        .query_opt(lock, &[&organization_id])
        .await
        .map_err(db_error)?
        .ok_or(StoreError::NotFound)?;
    let mut growth = Growth::from_head(row.get(1))?;
    if !growth
        .catch_up(&tx, organization_id, row.get::<_, i64>(0) as u64)
        .await?
    {
        return Ok(());
    }
    tx.execute(
        "UPDATE org_heads SET tree = $2 WHERE organization_id = $1",
        &[&organization_id, &growth.frontier()],
    )
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

/// Perfect nodes of a log for readers, refusing any that reaches past the log's current size.
pub(super) async fn read_nodes(
    client: &mut Client,
    organization_id: &str,
    ids: &[NodeId],
) -> Result<Vec<Hash>> {
    let head = "SELECT next_seq FROM org_heads WHERE organization_id = $1";
    let row = client
        .query_opt(head, &[&organization_id])
        .await
        .map_err(db_error)?
        .ok_or(StoreError::NotFound)?;
    let size = row.get::<_, i64>(0) as u64;
    if ids.iter().any(|id| id.level >= 64 || id.end_leaf() > size) {
        return Err(StoreError::NotFound);
    }
    let stored: Vec<NodeId> = ids
        .iter()
        .flat_map(|id| stored_cover(*id, STRIDE))
        .collect();
    let mut found = fetch(client, organization_id, &stored).await?;
    if stored.iter().any(|id| !found.contains_key(id)) {
        // Events older than the kept tree: build it once, then read again.
        catch_up(client, organization_id).await?;
        found = fetch(client, organization_id, &stored).await?;
    }
    let source = |id: NodeId| {
        found.get(&id).copied().ok_or_else(|| {
            StoreError::Internal(format!(
                "Merkle node ({}, {}) is missing",
                id.level, id.index
            ))
        })
    };
    Strided::new(source, STRIDE).nodes(ids)
}

/// The stored nodes among `ids` (leaves from `events`, the rest from `tree_nodes`), in one query.
async fn fetch(
    client: &Client,
    organization_id: &str,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>> {
    let (leaves, interior): (Vec<NodeId>, Vec<NodeId>) = ids.iter().partition(|id| id.level == 0);
    let seqs: Vec<i64> = leaves.iter().map(|id| id.index as i64).collect();
    let levels: Vec<i32> = interior.iter().map(|id| id.level as i32).collect();
    let indexes: Vec<i64> = interior.iter().map(|id| id.index as i64).collect();
    let read = client.prepare_cached(READ_NODES).await.map_err(db_error)?;
    let rows = client
        .query(&read, &[&organization_id, &seqs, &levels, &indexes])
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let id = NodeId::new(row.get::<_, i32>(0) as u32, row.get::<_, i64>(1) as u64);
            Ok((id, to_hash(row.get(2))?))
        })
        .collect()
}

fn to_hash(bytes: &[u8]) -> Result<Hash> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Internal("a stored Merkle hash is not 32 bytes".into()))
}
