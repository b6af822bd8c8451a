//! The read side: a small pool of connections used from `spawn_blocking`, a cache of each
//! organization's internal key, and the index runs' directories.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension};
use tokio::sync::Semaphore;

use super::block::BlockDirectories;
use super::runs::Directories;
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
    /// The index runs' page directories, shared with the writer.
    pub directories: Arc<Directories>,
    /// The organizations' block directories and the time columns read last.
    pub blocks: BlockDirectories,
}

impl Readers {
    pub fn new(
        path: PathBuf,
        connections: usize,
        (cache_kib, mmap_bytes): (i64, i64),
        directories: Arc<Directories>,
    ) -> Readers {
        Readers {
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(connections.max(1)),
            path,
            cache_kib,
            mmap_bytes,
            org_keys: Mutex::new(HashMap::new()),
            directories,
            blocks: BlockDirectories::default(),
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
}
