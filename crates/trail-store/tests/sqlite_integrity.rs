//! What only the embedded store has: the Merkle tree rebuilt from stored nodes when the store is
//! opened again, and the read-only open that `trail verify` uses.

use trail_core::merkle::{Hash, root_from_leaves};
use trail_store::conformance::fixtures::event;
use trail_store::proofs::root_at;
use trail_store::sqlite::{SqliteOptions, SqliteStore};
use trail_store::{Store, StoreError};

async fn leaves(store: &dyn Store, org: &str) -> Vec<Hash> {
    let events = store.events_by_seq(org, 0, u64::MAX).await.unwrap();
    events
        .iter()
        .map(|e| hex::decode(&e.hash).unwrap().try_into().unwrap())
        .collect()
}

async fn append(store: &dyn Store, org: &str, count: usize) {
    let events = (0..count).map(|i| event(&format!("a.e{i}"))).collect();
    store.append(org, events).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_continues_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    let org = store.create_organization("Acme").await.unwrap().id;
    append(&store, &org, 43).await;
    store.close().await;

    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    append(&store, &org, 250).await;
    let leaves = leaves(&store, &org).await;
    assert_eq!(leaves.len(), 293);
    for size in [43, 64, 256, 293] {
        let root = root_at(&store, &org, size as u64).await.unwrap();
        assert_eq!(root, root_from_leaves(&leaves[..size]), "size {size}");
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_store_reads_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let missing = SqliteStore::open_read_only(dir.path(), SqliteOptions::default());
    assert!(matches!(missing, Err(StoreError::NotFound)));

    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    let org = store.create_organization("Acme").await.unwrap().id;
    append(&store, &org, 5).await;
    store.close().await;

    let reader = SqliteStore::open_read_only(dir.path(), SqliteOptions::default()).unwrap();
    assert_eq!(reader.head(&org).await.unwrap().size, 5);
    assert_eq!(reader.events_by_seq(&org, 0, 10).await.unwrap().len(), 5);
    let write = reader.create_organization("Globex").await;
    assert!(
        matches!(write, Err(StoreError::Unavailable(_))),
        "{write:?}"
    );
    reader.close().await;
}
