//! Conformance: appending — the seq/prev/hash chain, all-or-nothing batches, idempotent client
//! ids, concurrency, tenant isolation and shutdown.

use trail_core::canonical::leaf_hash;
use trail_core::event::{Event, GENESIS_PREV};
use trail_core::query::{Field, Matcher, Search};

use super::fixtures::{at, client_event, cond, dataset, event, org_with_dataset, search_for};
use crate::{Store, StoreError};

/// Checks that `events` are seqs `0..n` in order, each chained to the previous and hashed right.
pub fn assert_valid_chain(events: &[Event]) {
    let mut prev = GENESIS_PREV.to_owned();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as u64, "seq");
        assert_eq!(event.prev, prev, "prev of seq {i}");
        assert_eq!(hex::encode(leaf_hash(event)), event.hash, "hash of seq {i}");
        prev = event.hash.clone();
    }
}

pub async fn append_chains_seq_prev_and_hash(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let head = store.head(&org).await.unwrap();
    assert_eq!((head.size, head.last_hash.as_str()), (0, GENESIS_PREV));
    let first = store
        .append(&org, vec![event("a.one"), event("a.two")])
        .await
        .unwrap();
    let second = store.append(&org, vec![event("a.three")]).await.unwrap();
    let seqs: Vec<u64> = first.iter().chain(&second).map(|a| a.seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
    let events = store.events_by_seq(&org, 0, 10).await.unwrap();
    assert_valid_chain(&events);
    for (appended, stored) in first.iter().chain(&second).zip(&events) {
        assert_eq!(
            (&appended.id, &appended.hash),
            (&stored.data.id, &stored.hash)
        );
    }
    let head = store.head(&org).await.unwrap();
    assert_eq!((head.size, head.last_hash), (3, events[2].hash.clone()));
}

pub async fn appended_events_round_trip(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let mut sent = dataset();
    sent.push(event("plain.event"));
    let appended = store.append(&org, sent.clone()).await.unwrap();
    for (new, appended) in sent.into_iter().zip(appended) {
        let stored = store.get_event(&org, &appended.id).await.unwrap();
        let expected = Event::seal(&org, appended.seq, &stored.prev, new);
        assert_eq!(stored, expected);
        assert_eq!(stored.hash, appended.hash);
    }
    assert_valid_chain(&store.events_by_seq(&org, 0, 100).await.unwrap());
    assert!(matches!(
        store.get_event(&org, "evt_missing").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn append_to_unknown_organization_is_not_found(store: &dyn Store) {
    let result = store.append("org_missing", vec![event("a.b")]).await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    assert!(matches!(
        store.head("org_missing").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn batch_is_all_or_nothing(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    store
        .append(&org, vec![client_event("x1", "a.b")])
        .await
        .unwrap();
    // The last event reuses x1 with another body: nothing of the batch may be stored.
    let batch = vec![
        event("a.one"),
        client_event("x2", "a.two"),
        client_event("x1", "a.other"),
    ];
    let result = store.append(&org, batch).await;
    assert!(
        matches!(result, Err(StoreError::IdConflict { ref id }) if id == "x1"),
        "{result:?}"
    );
    assert_eq!(store.head(&org).await.unwrap().size, 1);
    assert!(matches!(
        store.get_event(&org, "x2").await,
        Err(StoreError::NotFound)
    ));
    // The log goes on without a gap.
    let next = store
        .append(&org, vec![client_event("x2", "a.two")])
        .await
        .unwrap();
    assert_eq!(next[0].seq, 1);
    assert_valid_chain(&store.events_by_seq(&org, 0, 10).await.unwrap());
}

pub async fn idempotent_repeat_returns_original(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let original = store.append(&org, dataset()).await.unwrap();
    let mut repeat = dataset();
    repeat.push(client_event("e6", "a.new"));
    let again = store.append(&org, repeat).await.unwrap();
    assert_eq!(&again[..5], &original[..]);
    assert_eq!(again[5].seq, 5, "only the new event was written");
    assert_eq!(store.head(&org).await.unwrap().size, 6);
    // A later received_at is not part of the client's body.
    let mut later = client_event("e6", "a.new");
    later.received_at = later.received_at.plus_ms(60_000);
    assert_eq!(store.append(&org, vec![later]).await.unwrap()[0], again[5]);
}

pub async fn id_conflict_rejects_whole_batch(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let mut changed = client_event("e3", "scan.started");
    changed.data.description = Some("different".into());
    let result = store.append(&org, vec![event("a.ok"), changed]).await;
    assert!(
        matches!(result, Err(StoreError::IdConflict { ref id }) if id == "e3"),
        "{result:?}"
    );
    assert_eq!(store.head(&org).await.unwrap().size, 5);
    // The same id in another organization is a different event.
    let other = store.create_organization("Other").await.unwrap().id;
    let appended = store
        .append(&other, vec![client_event("e3", "x.y")])
        .await
        .unwrap();
    assert_eq!(appended[0].seq, 0);
}

pub async fn defaulted_occurred_at_repeat_is_idempotent(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let mut first = at(client_event("retry", "a.b"), 1_000);
    first.occurred_at_defaulted = true;
    let original = store.append(&org, vec![first]).await.unwrap();
    let mut retry = at(client_event("retry", "a.b"), 9_000);
    retry.occurred_at_defaulted = true;
    assert_eq!(store.append(&org, vec![retry]).await.unwrap(), original);
    // An explicit, different occurred_at is a different body.
    let explicit = at(client_event("retry", "a.b"), 9_000);
    let result = store.append(&org, vec![explicit]).await;
    assert!(
        matches!(result, Err(StoreError::IdConflict { .. })),
        "{result:?}"
    );
    assert_eq!(store.head(&org).await.unwrap().size, 1);
}

pub async fn duplicate_ids_within_one_batch(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let same = vec![
        client_event("d", "a.b"),
        event("a.c"),
        client_event("d", "a.b"),
    ];
    let appended = store.append(&org, same).await.unwrap();
    assert_eq!(appended[0], appended[2]);
    assert_eq!(appended[1].seq, 1);
    assert_eq!(store.head(&org).await.unwrap().size, 2);
    let different = vec![client_event("f", "a.b"), client_event("f", "a.c")];
    let result = store.append(&org, different).await;
    assert!(
        matches!(result, Err(StoreError::IdConflict { ref id }) if id == "f"),
        "{result:?}"
    );
    assert_eq!(store.head(&org).await.unwrap().size, 2);
}

/// 16 appenders on their own threads, 25 batches each, into two organizations.
pub async fn concurrent_appends_are_gap_free(store: &dyn Store) {
    const APPENDERS: usize = 16;
    const BATCHES: usize = 25;
    let orgs = [
        store.create_organization("A").await.unwrap().id,
        store.create_organization("B").await.unwrap().id,
    ];
    let runtime = tokio::runtime::Handle::current();
    let seqs: Vec<Vec<(usize, u64)>> = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..APPENDERS)
                .map(|worker| {
                    let (orgs, runtime) = (&orgs, &runtime);
                    scope.spawn(move || {
                        let mut seqs = Vec::new();
                        for batch in 0..BATCHES {
                            let org = (worker + batch) % 2;
                            let events = (0..1 + batch % 4).map(|_| event("load.test")).collect();
                            let appended = runtime.block_on(store.append(&orgs[org], events));
                            seqs.extend(appended.expect("append").iter().map(|a| (org, a.seq)));
                        }
                        seqs
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("appender"))
                .collect()
        })
    });
    for (index, org) in orgs.iter().enumerate() {
        let mut mine: Vec<u64> = seqs
            .iter()
            .flatten()
            .filter(|(o, _)| *o == index)
            .map(|(_, s)| *s)
            .collect();
        mine.sort_unstable();
        let expected: Vec<u64> = (0..mine.len() as u64).collect();
        assert_eq!(mine, expected, "no gap and no duplicate");
        let events = store.events_by_seq(org, 0, u64::MAX).await.unwrap();
        assert_eq!(events.len(), mine.len());
        assert_valid_chain(&events);
    }
}

pub async fn tenants_are_isolated(store: &dyn Store) {
    let acme = org_with_dataset(store).await;
    let beta = store.create_organization("Beta").await.unwrap().id;
    let mine = store.append(&beta, vec![event("beta.only")]).await.unwrap();
    assert_eq!(mine[0].seq, 0, "each organization has its own log");
    let acme_event = store.get_event(&acme, "e1").await.unwrap();
    assert!(matches!(
        store.get_event(&beta, "e1").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_event(&acme, &mine[0].id).await,
        Err(StoreError::NotFound)
    ));
    let all = Search {
        limit: 100,
        ..Search::default()
    };
    let page = store.search(&beta, &all).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].organization_id, beta);
    let e1 = search_for(vec![cond(Field::Id, false, vec![Matcher::Eq("e1".into())])]);
    assert!(store.search(&beta, &e1).await.unwrap().events.is_empty());
    let text = search_for(vec![cond(
        Field::Text,
        false,
        vec![Matcher::Contains("alice".into())],
    )]);
    assert!(store.search(&beta, &text).await.unwrap().events.is_empty());
    assert_eq!(store.count(&beta, &all).await.unwrap(), 1);
    let facets = store.facets(&beta, &all, &Field::Action, 10).await.unwrap();
    assert_eq!(facets.len(), 1);
    assert_eq!(facets[0].value, "beta.only");
    assert_eq!(store.events_by_seq(&beta, 0, 100).await.unwrap().len(), 1);
    assert_eq!(acme_event.organization_id, acme);
    assert_eq!(store.head(&acme).await.unwrap().size, 5);
}

pub async fn close_makes_store_unavailable(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    // An append racing with close either completes or is refused; never lost silently.
    let (appended, ()) = tokio::join!(store.append(&org, vec![event("a.b")]), store.close());
    assert!(
        matches!(appended, Ok(_) | Err(StoreError::Unavailable(_))),
        "{appended:?}"
    );
    let after = store.append(&org, vec![event("a.b")]).await;
    assert!(
        matches!(after, Err(StoreError::Unavailable(_))),
        "{after:?}"
    );
    let search = Search {
        limit: 10,
        ..Search::default()
    };
    assert!(matches!(
        store.search(&org, &search).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.create_organization("x").await,
        Err(StoreError::Unavailable(_))
    ));
}
