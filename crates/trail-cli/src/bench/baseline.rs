//! The naive baseline every figure is compared with: plain prepared INSERTs into one SQLite table with
//! a column per filter field, the event JSON, and a B-tree index per filtered column (WAL,
//! `synchronous=FULL`, one transaction per 1,000 rows), searched with plain SQL.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params, params_from_iter};

use super::queries::Query;
use super::workload::Row;

/// The baseline indexes: action, actor id, occurred_at and source.
const NARROW_INDEXES: [&str; 4] = ["action", "actor_id", "occurred_at", "source"];
/// Every column a filter can name.
const WIDE_INDEXES: [&str; 13] = [
    "action",
    "area",
    "actor_id",
    "actor_email",
    "actor_role",
    "actor_type",
    "resource_type",
    "resource_id",
    "source",
    "outcome",
    "ip",
    "country",
    "occurred_at",
];

pub struct Baseline {
    conn: Connection,
    path: PathBuf,
    rows: u64,
}

impl Baseline {
    /// A fresh baseline database in `dir`, with the four issue indexes or, when `wide`, an index on
    /// every filter column.
    pub fn create(dir: &Path, wide: bool) -> anyhow::Result<Baseline> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join("baseline.db");
        let conn =
            Connection::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE events (
                 id TEXT NOT NULL, action TEXT NOT NULL, area TEXT NOT NULL,
                 actor_id TEXT NOT NULL, actor_email TEXT, actor_role TEXT, actor_type TEXT NOT NULL,
                 resource_type TEXT, resource_id TEXT, source TEXT, outcome TEXT NOT NULL,
                 ip TEXT, country TEXT, occurred_at INTEGER NOT NULL, event TEXT NOT NULL);",
        )
        .context("cannot create the baseline table")?;
        let indexes: &[&str] = if wide { &WIDE_INDEXES } else { &NARROW_INDEXES };
        for column in indexes {
            conn.execute_batch(&format!(
                "CREATE INDEX events_{column} ON events ({column});"
            ))
            .context("cannot create a baseline index")?;
        }
        Ok(Baseline {
            conn,
            path,
            rows: 0,
        })
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Inserts `rows` in one transaction (durable on return).
    pub fn insert(&mut self, rows: &[Row]) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (id, action, area, actor_id, actor_email, actor_role, actor_type,
                   resource_type, resource_id, source, outcome, ip, country, occurred_at, event)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?;
            for r in rows {
                insert.execute(params![
                    r.id,
                    r.action,
                    r.area,
                    r.actor_id,
                    r.actor_email,
                    r.actor_role,
                    r.actor_type,
                    r.resource_type,
                    r.resource_id,
                    r.source,
                    r.outcome,
                    r.ip,
                    r.country,
                    r.occurred_at,
                    r.json
                ])?;
            }
        }
        tx.commit()
            .context("cannot commit a baseline transaction")?;
        self.rows += rows.len() as u64;
        Ok(())
    }

    /// Bytes on disk after a WAL checkpoint: the database file plus what is left of the WAL.
    pub fn size_bytes(&self) -> anyhow::Result<u64> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .context("cannot checkpoint the baseline")?;
        let mut total = 0;
        for suffix in ["", "-wal"] {
            let file = PathBuf::from(format!("{}{suffix}", self.path.display()));
            total += std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        }
        Ok(total)
    }

    /// The newest `limit` events matching `query` since `from`, parsed like the store parses its own.
    pub fn search(&self, query: &Query, from: i64, limit: usize) -> anyhow::Result<usize> {
        let (clause, values) = query.sql_where();
        let mut values: Vec<SqlValue> = values.into_iter().map(SqlValue::Text).collect();
        values.push(SqlValue::Integer(from));
        let sql = format!(
            "SELECT event FROM events WHERE {clause} AND occurred_at >= ?
             ORDER BY occurred_at DESC LIMIT {limit}"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(params_from_iter(values.iter()))?;
        let mut found = 0;
        while let Some(row) = rows.next()? {
            let text: String = row.get(0)?;
            let _: serde_json::Value = serde_json::from_str(&text)?;
            found += 1;
        }
        Ok(found)
    }

    /// How many events match `query` since `from`.
    pub fn count(&self, query: &Query, from: i64) -> anyhow::Result<u64> {
        let (clause, values) = query.sql_where();
        let mut values: Vec<SqlValue> = values.into_iter().map(SqlValue::Text).collect();
        values.push(SqlValue::Integer(from));
        let sql = format!("SELECT count(*) FROM events WHERE {clause} AND occurred_at >= ?");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let count: i64 = statement.query_row(params_from_iter(values.iter()), |row| row.get(0))?;
        Ok(count as u64)
    }
}
