//! What integrity costs at ingest (ignored by default): durable `Store::append` per event, and in
//! the same run the integrity work alone (the compact-range push and the stride-4 node inserts,
//! on the same kind of table, without the commit it shares with the events), plus disk per event.
//!
//! `TRAIL_BENCH_EVENTS=200000 cargo test -p trail-store --release --test sqlite_integrity_bench -- --ignored --nocapture`

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use trail_core::merkle::{CompactRange, Hash, is_stored};
use trail_store::Store;
use trail_store::conformance::fixtures::event;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

const BATCH: usize = 1000;

fn events_to_run() -> usize {
    std::env::var("TRAIL_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// The writer's integrity work for `leaves`, one transaction per batch; returns the time spent
/// outside BEGIN and COMMIT.
fn tree_work(conn: &Connection, leaves: &[Hash]) -> Duration {
    let mut range = CompactRange::new();
    let mut spent = Duration::ZERO;
    for batch in leaves.chunks(BATCH) {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = Instant::now();
        for leaf in batch {
            range.push_with(*leaf, |id, hash| {
                if id.level > 0 && is_stored(id, 4) {
                    conn.prepare_cached(
                        "INSERT INTO tree_nodes (org, level, idx, hash) VALUES (?, ?, ?, ?)",
                    )
                    .and_then(|mut s| s.execute(params![999, id.level, id.index as i64, &hash[..]]))
                    .unwrap();
                }
            });
        }
        spent += started.elapsed();
        conn.execute_batch("COMMIT").unwrap();
    }
    spent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement, not a test: run with --ignored --nocapture"]
async fn integrity_cost_per_event_at_ingest() {
    let total = events_to_run();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    let org = store.create_organization("Acme").await.unwrap().id;
    let started = Instant::now();
    for done in (0..total).step_by(BATCH) {
        let batch = (done..(done + BATCH).min(total))
            .map(|i| event(&format!("bench.e{}", i % 50)))
            .collect();
        store.append(&org, batch).await.unwrap();
    }
    let append = started.elapsed();
    let stored = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    let leaves: Vec<Hash> = stored
        .iter()
        .map(|e| hex::decode(&e.hash).unwrap().try_into().unwrap())
        .collect();
    store.close().await;

    let conn = Connection::open(dir.path().join("trail.db")).unwrap();
    conn.execute_batch("PRAGMA synchronous = FULL").unwrap();
    let tree = tree_work(&conn, &leaves);
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM tree_nodes WHERE org = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let tree_bytes: i64 = conn
        .query_row(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'tree_nodes'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    let per_event = |d: Duration| d.as_secs_f64() * 1e6 / total as f64;
    println!("events: {total}, batches of {BATCH}");
    println!(
        "Store::append (with integrity): {:.2} µs/event",
        per_event(append)
    );
    println!(
        "integrity work alone, same run:  {:.2} µs/event ({:.1}% of append)",
        per_event(tree),
        100.0 * tree.as_secs_f64() / append.as_secs_f64()
    );
    println!(
        "tree_nodes rows: {rows} ({:.3} per event), {:.1} bytes/event on disk (both copies: {tree_bytes} B)",
        rows as f64 / total as f64,
        tree_bytes as f64 / 2.0 / total as f64
    );
    assert_eq!(
        rows as usize,
        (1..16).map(|l| total >> (4 * l)).sum::<usize>()
    );
}
