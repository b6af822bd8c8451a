//! The storage conformance suite on the embedded SQLite store, a fresh data directory per test.

use trail_store::sqlite::{SqliteOptions, SqliteStore};

async fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteOptions {
        read_connections: 2,
        cache_kib: 2 * 1024,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(dir.path(), options).expect("open store");
    (store, dir)
}

trail_store::conformance_tests!(fresh());

mod integrity {
    use super::fresh;

    trail_store::integrity_conformance_tests!(fresh());
}
