//! Storage engine v2 on SQLite, beyond the conformance suite: a store written by the v1 engine
//! converts on open and answers exactly as before; runs merge into tiers; `reindex` rebuilds the
//! index from the block log with answers identical to the model's.

use std::path::Path;

use rand::SeedableRng;
use rand::rngs::StdRng;
use trail_core::event::Event;
use trail_store::conformance::fixtures::client_event;
use trail_store::conformance::{answers_match_the_model, random_event};
use trail_store::sqlite::{SqliteOptions, SqliteStore};
use trail_store::{LogHead, Store};

fn options() -> SqliteOptions {
    SqliteOptions {
        read_connections: 2,
        cache_kib: 2 * 1024,
        ..SqliteOptions::default()
    }
}

/// Runs of the index by tier: `(tier, count)`.
fn tiers(dir: &Path) -> Vec<(i64, i64)> {
    let db = rusqlite::Connection::open(dir.join("trail.db")).unwrap();
    let mut statement = db
        .prepare("SELECT tier, count(*) FROM runs GROUP BY tier ORDER BY tier")
        .unwrap();
    let rows = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// A store written by the v1 engine (one row per event; `tests/fixtures/v1/trail.db`, made by
/// the code of commit 5deffe8): two organizations of 301 events, the second with 37 removed by
/// retention, and what that code answered (`expected.json`: every event and the head).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v1_store_converts_on_open_and_answers_as_before() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("trail.db"), dir.path().join("trail.db")).unwrap();
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(fixture.join("expected.json")).unwrap()).unwrap();

    let store = SqliteStore::open(dir.path(), options()).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    for (org, answers) in &expected {
        let events: Vec<Event> = serde_json::from_value(answers["events"].clone()).unwrap();
        let head: LogHead = LogHead {
            size: answers["head"]["size"].as_u64().unwrap(),
            last_hash: answers["head"]["last_hash"].as_str().unwrap().to_owned(),
        };
        assert_eq!(store.head(org).await.unwrap(), head);
        assert_eq!(
            store.events_by_seq(org, 0, u64::MAX).await.unwrap(),
            events,
            "{org}"
        );
        let first = events[0].seq;
        assert_eq!(store.first_retained_seq(org).await.unwrap(), first);
        assert_eq!(
            store.retired_leaves(org, 0, first).await.unwrap().len() as u64,
            first
        );
        let order = store.get_event(org, "order-7").await.unwrap();
        assert_eq!(order, *events.last().unwrap());
        answers_match_the_model(&store, org, &events, &mut rng, 60, org).await;

        // The log goes on: a retried client id is still recognized, and new events chain on.
        let again = store
            .append(org, vec![client_event("order-7", "order.placed")])
            .await
            .unwrap();
        assert_eq!(again[0].seq, order.seq);
        let next = store
            .append(org, vec![random_event(&mut rng, 1)])
            .await
            .unwrap();
        assert_eq!(next[0].seq, head.size);
        let appended = store
            .events_by_seq(org, head.size, head.size + 1)
            .await
            .unwrap();
        assert_eq!(appended[0].prev, head.last_hash);
    }
    store.close().await;
    let db = rusqlite::Connection::open(dir.path().join("trail.db")).unwrap();
    let v1_tables: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('events', 'dict', 'event_targets')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v1_tables, 0, "the v1 tables are dropped once converted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_merge_in_tiers_and_reindex_rebuilds_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), options()).unwrap();
    let org = store.create_organization("Acme").await.unwrap().id;
    let mut rng = StdRng::seed_from_u64(11);
    // 40 group commits: more than 16 tier-0 runs, so some are merged.
    for request in 0..40 {
        let events = (0..7)
            .map(|i| random_event(&mut rng, request * 7 + i))
            .collect();
        store.append(&org, events).await.unwrap();
    }
    let stored = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    assert_eq!(stored.len(), 280);
    let before = tiers(dir.path());
    assert!(
        before.iter().any(|(tier, _)| *tier >= 1),
        "no run was merged: {before:?}"
    );
    assert!(before.iter().all(|(_, count)| *count < 16), "{before:?}");
    answers_match_the_model(
        &store,
        &org,
        &stored,
        &mut StdRng::seed_from_u64(1),
        80,
        "merged",
    )
    .await;
    store.close().await;

    // Drop the index entirely, rebuild it from the blocks, and ask the same searches again.
    let db = rusqlite::Connection::open(dir.path().join("trail.db")).unwrap();
    db.execute_batch("DELETE FROM run_pages; DELETE FROM runs;")
        .unwrap();
    drop(db);
    let indexed = SqliteStore::reindex(dir.path(), &options()).unwrap();
    assert_eq!(indexed, 280);
    let store = SqliteStore::open(dir.path(), options()).unwrap();
    assert_eq!(
        store.events_by_seq(&org, 0, u64::MAX).await.unwrap(),
        stored
    );
    answers_match_the_model(
        &store,
        &org,
        &stored,
        &mut StdRng::seed_from_u64(1),
        80,
        "reindexed",
    )
    .await;
    let id = &stored[123].data.id;
    assert_eq!(store.get_event(&org, id).await.unwrap(), stored[123]);
    store.close().await;
}
