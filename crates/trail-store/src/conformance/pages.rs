//! Conformance: ordering and keyset pagination (also while events arrive), `count`, `facets` and
//! `events_by_seq`.

use std::collections::HashSet;

use trail_core::event::Event;
use trail_core::query::{Field, Matcher, Order, Search, SortKey};

use super::append::assert_valid_chain;
use super::fixtures::{at, cond, event, org_with_dataset, search_for};
use crate::{FacetValue, Store};

/// Events whose occurred times repeat (7 distinct values) and arrive out of time order.
async fn org_with_ties(store: &dyn Store, n: usize) -> String {
    let org = store.create_organization("Acme").await.unwrap().id;
    let events = (0..n)
        .map(|i| {
            at(
                event(if i % 2 == 0 {
                    "even.event"
                } else {
                    "odd.event"
                }),
                ((i * 3) % 7) as i64 * 1000,
            )
        })
        .collect();
    store.append(&org, events).await.unwrap();
    org
}

fn position(event: &Event, sort: SortKey) -> (i64, u64) {
    match sort {
        SortKey::OccurredAt => (event.data.occurred_at.0, event.seq),
        SortKey::Seq => (0, event.seq),
    }
}

/// Walks every page of `search`, calling `between` after each page; returns the events in order.
async fn walk(
    store: &dyn Store,
    org: &str,
    mut search: Search,
    between: impl AsyncFn(usize),
) -> Vec<Event> {
    let mut seen = Vec::new();
    for page_number in 0.. {
        let page = store.search(org, &search).await.unwrap();
        assert!(page.events.len() <= search.limit);
        let last = page.events.last().map(|e| (e.data.occurred_at, e.seq));
        seen.extend(page.events);
        between(page_number).await;
        match page.next_cursor {
            Some(cursor) => {
                assert_eq!(
                    Some((cursor.occurred_at, cursor.seq)),
                    last,
                    "cursor is the last event"
                );
                search.cursor = Some(cursor);
            }
            None => break,
        }
        assert!(page_number < 1000, "pagination does not end");
    }
    seen
}

pub async fn pages_walk_every_event_once(store: &dyn Store) {
    let org = org_with_ties(store, 57).await;
    for sort in [SortKey::OccurredAt, SortKey::Seq] {
        for order in [Order::Desc, Order::Asc] {
            let search = Search {
                order,
                sort,
                limit: 10,
                ..Search::default()
            };
            let events = walk(store, &org, search, async |_| {}).await;
            let mut expected: Vec<(i64, u64)> = (0..57u64)
                .map(|seq| (((seq * 3) % 7) as i64 * 1000 + super::fixtures::T0.0, seq))
                .map(|p| if sort == SortKey::Seq { (0, p.1) } else { p })
                .collect();
            expected.sort_unstable();
            if order == Order::Desc {
                expected.reverse();
            }
            let got: Vec<_> = events.iter().map(|e| position(e, sort)).collect();
            assert_eq!(got, expected, "{sort:?} {order:?}");
        }
    }
    // A page exactly as long as what is left has no next cursor.
    let exact = Search {
        limit: 57,
        ..Search::default()
    };
    assert!(
        store
            .search(&org, &exact)
            .await
            .unwrap()
            .next_cursor
            .is_none()
    );
    let filtered = Search {
        limit: 4,
        ..search_for(vec![cond(
            Field::Action,
            false,
            vec![Matcher::Eq("odd.event".into())],
        )])
    };
    let odd = walk(store, &org, filtered, async |_| {}).await;
    assert_eq!(odd.len(), 28);
    assert!(odd.iter().all(|e| e.seq % 2 == 1));
}

pub async fn pages_are_stable_while_appending(store: &dyn Store) {
    let org = org_with_ties(store, 40).await;
    for sort in [SortKey::OccurredAt, SortKey::Seq] {
        for order in [Order::Desc, Order::Asc] {
            let search = Search {
                order,
                sort,
                limit: 7,
                ..Search::default()
            };
            let before = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
            let events = walk(store, &org, search, async |page| {
                // Late and new events, before and after every page's position.
                let late = at(event("late.event"), (page as i64 % 7) * 1000 + 500);
                let future = at(event("new.event"), 10_000 + page as i64);
                store.append(&org, vec![late, future]).await.unwrap();
            })
            .await;
            let mut seqs = HashSet::new();
            for event in &events {
                assert!(
                    seqs.insert(event.seq),
                    "seq {} twice ({sort:?} {order:?})",
                    event.seq
                );
            }
            for event in &before {
                assert!(
                    seqs.contains(&event.seq),
                    "seq {} skipped ({sort:?} {order:?})",
                    event.seq
                );
            }
            let positions: Vec<_> = events.iter().map(|e| position(e, sort)).collect();
            let mut sorted = positions.clone();
            sorted.sort_unstable();
            if order == Order::Desc {
                sorted.reverse();
            }
            assert_eq!(
                positions, sorted,
                "pages keep their order ({sort:?} {order:?})"
            );
        }
    }
}

pub async fn count_agrees_with_search(store: &dyn Store) {
    let org = org_with_ties(store, 30).await;
    let all = Search {
        limit: 1000,
        ..Search::default()
    };
    assert_eq!(store.count(&org, &all).await.unwrap(), 30);
    let even = search_for(vec![cond(
        Field::Action,
        false,
        vec![Matcher::Eq("even.event".into())],
    )]);
    let found = store.search(&org, &even).await.unwrap().events.len() as u64;
    assert_eq!(store.count(&org, &even).await.unwrap(), found);
    assert_eq!(found, 15);
    let mut window = Search {
        limit: 1,
        ..even.clone()
    };
    window.from = Some(super::fixtures::T0.plus_ms(1000));
    window.to = Some(super::fixtures::T0.plus_ms(3000));
    let in_window = store
        .search(
            &org,
            &Search {
                limit: 1000,
                ..window.clone()
            },
        )
        .await
        .unwrap();
    assert!(
        in_window
            .events
            .iter()
            .all(|e| e.data.action == "even.event")
    );
    assert_eq!(
        store.count(&org, &window).await.unwrap(),
        in_window.events.len() as u64,
        "count ignores limit"
    );
    let empty = store.create_organization("Empty").await.unwrap().id;
    assert_eq!(store.count(&empty, &all).await.unwrap(), 0);
}

fn facet(value: &str, count: u64) -> FacetValue {
    FacetValue {
        value: value.into(),
        count,
    }
}

pub async fn facets_most_frequent_first(store: &dyn Store) {
    let org = org_with_dataset(store).await;
    let all = Search {
        limit: 50,
        ..Search::default()
    };
    let areas = store.facets(&org, &all, &Field::Area, 10).await.unwrap();
    let expected = [
        facet("members", 2),
        facet("api_key", 1),
        facet("scans", 1),
        facet("user", 1),
    ];
    assert_eq!(areas, expected);
    let areas = store.facets(&org, &all, &Field::Area, 2).await.unwrap();
    assert_eq!(areas, expected[..2]);
    let failures = search_for(vec![cond(
        Field::Outcome,
        false,
        vec![Matcher::Eq("failure".into())],
    )]);
    let failed_areas = store
        .facets(&org, &failures, &Field::Area, 10)
        .await
        .unwrap();
    assert_eq!(failed_areas, [facet("members", 1), facet("user", 1)]);
    let sources = store.facets(&org, &all, &Field::Source, 10).await.unwrap();
    assert_eq!(
        sources,
        [
            facet("web_ui", 2),
            facet("api", 1),
            facet("background_task", 1)
        ]
    );
    let actors = store.facets(&org, &all, &Field::ActorId, 10).await.unwrap();
    assert_eq!(actors[0], facet("usr_1", 2));
    assert_eq!(actors.len(), 4);
    // The fields the HTTP API lets callers facet (`trail_server::services::search::FACET_FIELDS`).
    let faceted = [
        Field::Action,
        Field::Area,
        Field::ActorId,
        Field::ActorEmail,
        Field::ActorRole,
        Field::ActorType,
        Field::Source,
        Field::Outcome,
        Field::Country,
    ];
    for field in faceted {
        let values = store.facets(&org, &all, &field, 10).await.unwrap();
        assert!(!values.is_empty(), "{field:?}");
        let counts: Vec<u64> = values.iter().map(|v| v.count).collect();
        assert!(
            counts.windows(2).all(|w| w[0] >= w[1]),
            "{field:?} {values:?}"
        );
    }
    let empty = store.create_organization("Empty").await.unwrap().id;
    assert!(
        store
            .facets(&empty, &all, &Field::Action, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn events_by_seq_in_order(store: &dyn Store) {
    let org = org_with_ties(store, 25).await;
    let middle = store.events_by_seq(&org, 5, 12).await.unwrap();
    let seqs: Vec<u64> = middle.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (5..12).collect::<Vec<_>>());
    assert!(store.events_by_seq(&org, 25, 30).await.unwrap().is_empty());
    assert!(store.events_by_seq(&org, 7, 7).await.unwrap().is_empty());
    let all = store.events_by_seq(&org, 0, 1_000).await.unwrap();
    assert_eq!(all.len(), 25);
    assert_valid_chain(&all);
    assert_eq!(&all[5..12], &middle[..]);
}
