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

/// A request of 64 events or more arrives with its blocks compressed; the writer stores those as
/// they are, cuts the other events of the group (small requests, and a request that repeated a
/// client id) into blocks itself, and every event reads back, hashes to its stored leaf and is
/// found by the index as the model says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_requests_bring_their_own_blocks_and_the_rest_are_cut_by_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), options()).unwrap();
    let org = store.create_organization("Acme").await.unwrap().id;
    let mut rng = StdRng::seed_from_u64(5);
    let mut next = 0;
    let mut batch = |rng: &mut StdRng, n: usize| -> Vec<_> {
        let events = (next..next + n).map(|i| random_event(rng, i)).collect();
        next += n;
        events
    };
    let mut first = batch(&mut rng, 299);
    first.push(client_event("evt_repeated", "user.login"));
    store.append(&org, first).await.unwrap();
    // A small request and two large ones in flight together: likely one group.
    let (small, large, repeat) = {
        let small = batch(&mut rng, 5);
        let large = batch(&mut rng, 200);
        let mut repeat = batch(&mut rng, 99);
        repeat.insert(40, client_event("evt_repeated", "user.login"));
        tokio::join!(
            store.append(&org, small),
            store.append(&org, large),
            store.append(&org, repeat)
        )
    };
    assert_eq!(small.unwrap().len(), 5);
    assert_eq!(large.unwrap().len(), 200);
    let repeat = repeat.unwrap();
    assert_eq!(repeat.len(), 100);
    assert_eq!(repeat[40].seq, 299, "the repeat answers with the original");

    let stored = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    assert_eq!(stored.len(), 300 + 5 + 200 + 99);
    assert!(stored.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    let leaves = store.leaves_by_seq(&org, 0, u64::MAX).await.unwrap();
    assert_eq!(leaves.len(), stored.len());
    for (leaf, event) in leaves.iter().zip(&stored) {
        assert_eq!(leaf.recomputed, leaf.stored, "seq {}", leaf.seq);
        assert_eq!(hex::encode(leaf.stored), event.hash);
    }
    let db = rusqlite::Connection::open(dir.path().join("trail.db")).unwrap();
    let counts: Vec<(i64, i64)> = db
        .prepare("SELECT first_seq, count FROM blocks ORDER BY first_seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut expected_first = 0;
    for (first_seq, count) in &counts {
        assert_eq!(
            *first_seq, expected_first,
            "blocks are consecutive: {counts:?}"
        );
        assert!((1..=256).contains(count), "{counts:?}");
        expected_first += count;
    }
    assert_eq!(expected_first, stored.len() as i64);
    assert_eq!(
        counts[..2],
        [(0, 256), (256, 44)],
        "the first request's own blocks"
    );
    drop(db);
    answers_match_the_model(
        &store,
        &org,
        &stored,
        &mut StdRng::seed_from_u64(2),
        80,
        "own blocks",
    )
    .await;
    store.close().await;
}
