//! The versioned migrations in `migrations/postgres/`, applied at start in one transaction that
//! holds a transaction-level advisory lock, so that nodes starting together apply them once.

use deadpool_postgres::{Client, GenericClient};
use trail_core::Millis;

use super::error::db_error;
use crate::{Result, StoreError};

/// `(version, sql)`, in order. A released migration is never edited; a change is a new file.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_integrity.sql"),
    ),
    (3, include_str!("../../migrations/postgres/0003_access.sql")),
    (
        4,
        include_str!("../../migrations/postgres/0004_exports.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_retention.sql"),
    ),
    (6, include_str!("../../migrations/postgres/0006_leases.sql")),
    (7, include_str!("../../migrations/postgres/0007_views.sql")),
    (
        8,
        include_str!("../../migrations/postgres/0008_event_types.sql"),
    ),
    (
        9,
        include_str!("../../migrations/postgres/0009_streams.sql"),
    ),
    (
        11,
        include_str!("../../migrations/postgres/0011_idempotency.sql"),
    ),
];

/// The advisory lock key that serialises migrations ("trail" + 1 in ASCII).
const MIGRATION_LOCK: i64 = 0x7472_6169_6c00_0001;

/// The schema version this build writes.
fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Checks, without changing anything, that the database holds exactly the schema this build
/// knows (for read-only use such as `trail verify`, which must not migrate what it inspects).
pub(super) async fn check_current(client: &Client) -> Result<()> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(db_error)?
        .get(0);
    if !exists {
        return Err(StoreError::NotFound);
    }
    let current = current_version(client).await?;
    let latest = latest();
    match current.cmp(&latest) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(StoreError::Internal(format!(
            "the database schema is at version {current}, this build of Trail reads version \
             {latest}: start `trail serve` on it once to migrate"
        ))),
        std::cmp::Ordering::Greater => Err(StoreError::Internal(format!(
            "the database schema is at version {current}, newer than this build of Trail \
             (version {latest}): use a newer trail"
        ))),
    }
}

/// The highest migration applied (0 for none); `schema_migrations` must exist.
async fn current_version(client: &impl GenericClient) -> Result<i64> {
    let sql = "SELECT coalesce(max(version), 0) FROM schema_migrations";
    let row = client.query_one(sql, &[]).await.map_err(db_error)?;
    Ok(row.get(0))
}

pub(super) async fn migrate(client: &mut Client) -> Result<()> {
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_error)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version bigint PRIMARY KEY,
             applied_at bigint NOT NULL
         )",
    )
    .await
    .map_err(db_error)?;
    let current = current_version(&tx).await?;
    let latest = latest();
    if current > latest {
        tracing::warn!(
            current,
            latest,
            "The database schema is newer than this build of Trail"
        );
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tracing::info!(version, "Applying PostgreSQL migration");
        tx.batch_execute(sql).await.map_err(|e| match db_error(e) {
            StoreError::Internal(m) => StoreError::Internal(format!("migration {version}: {m}")),
            other => other,
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &Millis::now().0],
        )
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}
