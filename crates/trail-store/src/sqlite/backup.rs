//! Online backup of `trail.db`: `VACUUM INTO` writes a compacted copy from one read transaction,
//! so the copy is one consistent snapshot (every transaction committed before it began, none
//! after) while the writer goes on committing: in WAL mode a reader never blocks it.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::schema::{internal, prepare};
use crate::{Result, StoreError};

/// Writes a consistent copy of the store in `data_dir` to `dest` (which must not exist). Safe
/// while `trail serve` writes to the same store.
pub fn snapshot(data_dir: &Path, dest: &Path) -> Result<()> {
    let conn = open(data_dir)?;
    let dest = dest
        .to_str()
        .ok_or_else(|| StoreError::Internal(format!("{} is not UTF-8", dest.display())))?;
    conn.execute("VACUUM INTO ?1", [dest]).map_err(internal)?;
    Ok(())
}

/// The bytes of live pages in the store: about the size [`snapshot`] writes, for progress bars.
pub fn live_bytes(data_dir: &Path) -> Result<u64> {
    let conn = open(data_dir)?;
    let pragma = |name: &str| -> Result<u64> {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, i64>(0))
            .map(|v| v.max(0) as u64)
            .map_err(internal)
    };
    let pages = pragma("page_count")?.saturating_sub(pragma("freelist_count")?);
    Ok(pages * pragma("page_size")?)
}

/// A connection to an existing store, read-write at the file level (to share the WAL index, as
/// the server's readers do) but `query_only`-free so that `VACUUM INTO` may write its target.
fn open(data_dir: &Path) -> Result<Connection> {
    let path = data_dir.join("trail.db");
    if !path.is_file() {
        return Err(StoreError::NotFound);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&path, flags).map_err(internal)?;
    prepare(&conn)?;
    Ok(conn)
}
