//! Signed checkpoints on PostgreSQL: one row per organization and size, kept forever, and the
//! heads query the checkpoint job polls.

use deadpool_postgres::Client;
use tokio_postgres::Row;
use trail_core::Millis;
use trail_core::merkle::Hash;

use super::error::db_error;
use crate::{Result, StoreError, StoredCheckpoint, UncheckpointedLog};

const COLUMNS: &str = "SELECT size, root, note, created_at FROM checkpoints";

fn read_checkpoint(row: &Row) -> Result<StoredCheckpoint> {
    let root: &[u8] = row.get(1);
    Ok(StoredCheckpoint {
        size: row.get::<_, i64>(0) as u64,
        root: root
            .try_into()
            .map_err(|_| StoreError::Internal("a checkpoint root is 32 bytes".into()))?,
        note: row.get(2),
        created_at: Millis(row.get(3)),
    })
}

/// Stores the checkpoint unless this size is already signed (same root: a no-op, another root:
/// a conflict). The caller has checked that the organization exists.
pub(super) async fn put(
    client: &Client,
    organization_id: &str,
    size: u64,
    root: &Hash,
    note: &str,
) -> Result<()> {
    let insert = client
        .prepare_cached(
            "INSERT INTO checkpoints (organization_id, size, root, note, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id, size) DO NOTHING",
        )
        .await
        .map_err(db_error)?;
    let (size, now) = (size as i64, Millis::now().0);
    let inserted = client
        .execute(&insert, &[&organization_id, &size, &&root[..], &note, &now])
        .await
        .map_err(db_error)?;
    if inserted == 1 {
        return Ok(());
    }
    match at(client, organization_id, size as u64).await? {
        Some(stored) if stored.root == *root => Ok(()),
        _ => Err(StoreError::Conflict(format!(
            "a checkpoint of size {size} with another root is already stored"
        ))),
    }
}

/// The checkpoint at exactly `size`, if one was signed.
pub(super) async fn at(
    client: &Client,
    organization_id: &str,
    size: u64,
) -> Result<Option<StoredCheckpoint>> {
    let sql = format!("{COLUMNS} WHERE organization_id = $1 AND size = $2");
    let statement = client.prepare_cached(&sql).await.map_err(db_error)?;
    client
        .query_opt(&statement, &[&organization_id, &(size as i64)])
        .await
        .map_err(db_error)?
        .map(|row| read_checkpoint(&row))
        .transpose()
}

/// The checkpoint of the largest size, if any.
pub(super) async fn latest(
    client: &Client,
    organization_id: &str,
) -> Result<Option<StoredCheckpoint>> {
    let sql = format!("{COLUMNS} WHERE organization_id = $1 ORDER BY size DESC LIMIT 1");
    let statement = client.prepare_cached(&sql).await.map_err(db_error)?;
    client
        .query_opt(&statement, &[&organization_id])
        .await
        .map_err(db_error)?
        .map(|row| read_checkpoint(&row))
        .transpose()
}

/// One index probe per organization besides its head row: the largest checkpoint.
pub(super) async fn uncheckpointed(client: &Client) -> Result<Vec<UncheckpointedLog>> {
    let statement = client
        .prepare_cached(
            "SELECT h.organization_id, h.next_seq, c.size FROM org_heads h \
             LEFT JOIN LATERAL (SELECT size FROM checkpoints \
                 WHERE organization_id = h.organization_id ORDER BY size DESC LIMIT 1) c ON true \
             WHERE h.next_seq > coalesce(c.size, 0) ORDER BY h.organization_id",
        )
        .await
        .map_err(db_error)?;
    let rows = client.query(&statement, &[]).await.map_err(db_error)?;
    Ok(rows
        .iter()
        .map(|row| UncheckpointedLog {
            organization_id: row.get(0),
            size: row.get::<_, i64>(1) as u64,
            checkpointed: row.get::<_, Option<i64>>(2).map(|size| size as u64),
        })
        .collect())
}
