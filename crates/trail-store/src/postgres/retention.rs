//! Retention on PostgreSQL: removing a prefix of an organization's log while keeping each removed
//! event's leaf hash in `retired_leaves`, in one transaction. Appends only touch the head of the
//! log, so they never wait on it; the head row (`org_heads`) is not changed.

use deadpool_postgres::{Client, GenericClient, Transaction};
use trail_core::Millis;
use trail_core::merkle::Hash;

use super::error::db_error;
use crate::{Result, StoreError};

pub(super) async fn purge(
    client: &mut Client,
    organization_id: &str,
    cutoff: Millis,
    max_events: usize,
) -> Result<u64> {
    let tx = client.transaction().await.map_err(db_error)?;
    let deleted = purge_in(&tx, organization_id, cutoff, max_events).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(deleted)
}

/// [`purge`] inside a transaction the caller commits.
pub(super) async fn purge_in(
    tx: &Transaction<'_>,
    organization_id: &str,
    cutoff: Millis,
    max_events: usize,
) -> Result<u64> {
    let limit = i64::try_from(max_events).unwrap_or(i64::MAX);
    let rows = tx
        .query(
            "SELECT seq, received_at, hash FROM events WHERE organization_id = $1 \
             ORDER BY seq LIMIT $2 FOR UPDATE",
            &[&organization_id, &limit],
        )
        .await
        .map_err(db_error)?;
    let (mut seqs, mut hashes): (Vec<i64>, Vec<&[u8]>) = (Vec::new(), Vec::new());
    for row in &rows {
        if row.get::<_, i64>(1) >= cutoff.0 {
            break;
        }
        seqs.push(row.get(0));
        hashes.push(row.get(2));
    }
    let Some(last) = seqs.last().copied() else {
        return Ok(0);
    };
    tx.execute(
        "INSERT INTO retired_leaves (organization_id, seq, hash) \
         SELECT $1::text, u.seq, u.hash FROM unnest($2::bigint[], $3::bytea[]) AS u(seq, hash)",
        &[&organization_id, &seqs, &hashes],
    )
    .await
    .map_err(db_error)?;
    let deleted = tx
        .execute(
            "DELETE FROM events WHERE organization_id = $1 AND seq <= $2",
            &[&organization_id, &last],
        )
        .await
        .map_err(db_error)?;
    Ok(deleted)
}

pub(super) async fn retired_leaves(
    client: &impl GenericClient,
    organization_id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, Hash)>> {
    let [from, to] = [from, to].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let rows = client
        .query(
            "SELECT seq, hash FROM retired_leaves WHERE organization_id = $1 AND seq >= $2 \
             AND seq < $3 ORDER BY seq",
            &[&organization_id, &from, &to],
        )
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let hash: Hash = row
                .get::<_, &[u8]>(1)
                .try_into()
                .map_err(|_| StoreError::Internal("a retired leaf hash is not 32 bytes".into()))?;
            Ok((row.get::<_, i64>(0) as u64, hash))
        })
        .collect()
}

pub(super) async fn first_retained_seq(
    client: &impl GenericClient,
    organization_id: &str,
) -> Result<u64> {
    let row = client
        .query_one(
            "SELECT max(seq) FROM retired_leaves WHERE organization_id = $1",
            &[&organization_id],
        )
        .await
        .map_err(db_error)?;
    Ok(row.get::<_, Option<i64>>(0).map_or(0, |seq| seq as u64 + 1))
}
