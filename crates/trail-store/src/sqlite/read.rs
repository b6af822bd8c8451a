//! The read side: a small pool of connections used from `spawn_blocking`, a cache of each
//! organization's id and dictionary, and the queries behind `search`, `count`, `facets` and the
//! event lookups.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, params_from_iter};
use tokio::sync::Semaphore;

use super::schema::{internal, open_reader};
use crate::{Result, StoreError};

/// Read connections and what they share.
pub(super) struct Readers {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    path: PathBuf,
    cache_kib: i64,
    mmap_bytes: i64,
    org_keys: Mutex<HashMap<String, i64>>,
    dicts: Mutex<HashMap<i64, Vec<String>>>,
}

impl Readers {
    pub fn new(path: PathBuf, connections: usize, cache_kib: i64, mmap_bytes: i64) -> Readers {
        Readers {
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(connections.max(1)),
            path,
            cache_kib,
            mmap_bytes,
            org_keys: Mutex::new(HashMap::new()),
            dicts: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `work` on a pooled connection on the blocking pool, recording its time under `op`.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        op: &'static str,
        work: impl FnOnce(&Readers, &Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        let readers = Arc::clone(self);
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let idle = readers.idle.lock().expect("pool lock").pop();
            let conn = match idle {
                Some(conn) => conn,
                None => open_reader(&readers.path, readers.cache_kib, readers.mmap_bytes)?,
            };
            let result = work(&readers, &conn);
            readers.idle.lock().expect("pool lock").push(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?;
        metrics::histogram!("trail_store_query_seconds", "op" => op)
            .record(started.elapsed().as_secs_f64());
        result
    }

    /// Stops handing out connections; waiting and later reads answer `Unavailable`.
    pub fn close(&self) {
        self.permits.close();
        self.idle.lock().expect("pool lock").clear();
    }

    /// The internal key of an organization.
    pub fn org_key(&self, conn: &Connection, organization_id: &str) -> Result<i64> {
        if let Some(key) = self
            .org_keys
            .lock()
            .expect("cache lock")
            .get(organization_id)
        {
            return Ok(*key);
        }
        let key: i64 = conn
            .prepare_cached("SELECT org FROM organizations WHERE id = ?")
            .and_then(|mut s| s.query_row([organization_id], |r| r.get(0)).optional())
            .map_err(internal)?
            .ok_or(StoreError::NotFound)?;
        self.org_keys
            .lock()
            .expect("cache lock")
            .insert(organization_id.to_owned(), key);
        Ok(key)
    }

    /// Runs `work` with the organization's dictionary, first reading entries added since the last
    /// call (they are append-only, with dense ids, so the cache never goes stale).
    pub fn with_dict<T>(
        &self,
        conn: &Connection,
        org: i64,
        work: impl FnOnce(&[String]) -> T,
    ) -> Result<T> {
        let mut dicts = self.dicts.lock().expect("cache lock");
        let dict = dicts.entry(org).or_default();
        let mut statement = conn
            .prepare_cached("SELECT value FROM dict WHERE org = ? AND id >= ? ORDER BY id")
            .map_err(internal)?;
        let added = statement
            .query_map((org, dict.len() as i64), |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(internal)?;
        dict.extend(added);
        Ok(work(dict))
    }
}

/// Runs `sql` and maps each row.
pub(super) fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: &[rusqlite::types::Value],
    mut map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(internal)?;
    let rows = statement
        .query_map(params_from_iter(params), |row| map(row))
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(internal)
}
