//! Opening connections to `trail.db`: pragmas, SQL functions, and the versioned migrations in
//! `migrations/sqlite/`, applied in one transaction at open.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

/// `(version, sql)`, in order. A released migration is never edited; a change is a new file.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_integrity.sql"),
    ),
    (3, include_str!("../../migrations/sqlite/0003_access.sql")),
    (4, include_str!("../../migrations/sqlite/0004_exports.sql")),
    (
        5,
        include_str!("../../migrations/sqlite/0005_retention.sql"),
    ),
    (6, include_str!("../../migrations/sqlite/0006_leases.sql")),
    (7, include_str!("../../migrations/sqlite/0007_views.sql")),
    (
        8,
        include_str!("../../migrations/sqlite/0008_event_types.sql"),
    ),
    (9, include_str!("../../migrations/sqlite/0009_streams.sql")),
    (
        10,
        include_str!("../../migrations/sqlite/0010_block_log.sql"),
    ),
    (
        11,
        include_str!("../../migrations/sqlite/0011_idempotency.sql"),
    ),
];

/// The migration that adds the block log (storage engine v2).
const BLOCK_LOG_VERSION: i64 = 10;

/// Opens the writer's connection and brings the schema up to date.
pub(super) fn open_writer(path: &Path, cache_kib: i64) -> Result<Connection> {
    let conn = Connection::open(path).map_err(internal)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = OFF;
         PRAGMA cache_size = -{cache_kib};
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = 4000;
         PRAGMA journal_size_limit = 268435456;"
    ))
    .map_err(internal)?;
    prepare(&conn)?;
    migrate(&conn)?;
    // Statistics for tables that lack them or have grown a lot since the last run.
    conn.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
        .map_err(internal)?;
    Ok(conn)
}

/// Opens a reader's connection (the database must exist). It is read-write at the file level so
/// that it can share the WAL index, and `query_only` so that it never writes.
pub(super) fn open_reader(path: &Path, cache_kib: i64, mmap_bytes: i64) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(internal)?;
    conn.execute_batch(&format!(
        "PRAGMA query_only = ON;
         PRAGMA cache_size = -{cache_kib};
         PRAGMA mmap_size = {mmap_bytes};
         PRAGMA temp_store = MEMORY;"
    ))
    .map_err(internal)?;
    prepare(&conn)?;
    Ok(conn)
}

/// A read-only open (`trail verify`) reads only the block log: a store last written by a Trail
/// before storage engine v2 must be opened once by `trail serve` (which converts it) first.
pub(super) fn require_block_log(path: &Path) -> Result<()> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(internal)?;
    let has_block_log: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)",
            [BLOCK_LOG_VERSION],
            |r| r.get(0),
        )
        .map_err(internal)?;
    let converted: bool = conn
        .query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events')",
            [],
            |r| r.get(0),
        )
        .map_err(internal)?;
    if !has_block_log || !converted {
        return Err(StoreError::Unavailable(format!(
            "{} was written by an older Trail: open it once with `trail serve` (which converts it \
             to the block log) before reading it read-only",
            path.display()
        )));
    }
    Ok(())
}

pub(super) fn prepare(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(internal)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )
    .map_err(internal)?;
    // Every migration not applied yet, not only those above the highest applied: branches number
    // theirs ahead (a store from a release with 0011 but not 0010 still needs 0010).
    let applied: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(internal)?;
    let pending: Vec<_> = MIGRATIONS
        .iter()
        .filter(|(v, _)| !applied.contains(v))
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE").map_err(internal)?;
    let applied = pending.iter().try_for_each(|(version, sql)| {
        tracing::info!(version, "Applying SQLite migration");
        conn.execute_batch(sql)?;
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
            (version, trail_core::Millis::now().0),
        )
        .map(drop)
    });
    match applied {
        Ok(()) => conn.execute_batch("COMMIT").map_err(internal),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(StoreError::Internal(format!("migration failed: {e}")))
        }
    }
}

pub(super) fn internal(e: rusqlite::Error) -> StoreError {
    StoreError::Internal(e.to_string())
}
