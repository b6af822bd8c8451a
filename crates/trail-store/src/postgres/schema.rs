//! The versioned migrations in `migrations/postgres/`, applied at start in one transaction that
//! holds a transaction-level advisory lock, so that nodes starting together apply them once.

use deadpool_postgres::Client;
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
    (
        4,
        include_str!("../../migrations/postgres/0004_exports.sql"),
    ),
];

/// The advisory lock key that serialises migrations ("trail" + 1 in ASCII).
const MIGRATION_LOCK: i64 = 0x7472_6169_6c00_0001;

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
    let current: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(db_error)?
        .get(0);
    let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
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
