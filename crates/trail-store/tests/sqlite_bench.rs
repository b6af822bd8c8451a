//! A quick measurement of the SQLite store (ignored by default): durable append throughput in
//! batches of 1000, bytes per event on disk, and search/count latencies.
//!
//! `TRAIL_BENCH_EVENTS=200000 cargo test -p trail-store --release --test sqlite_bench -- --ignored --nocapture`

mod bench_events;

use std::time::Instant;

use bench_events::{DAY_MS, next, typical};
use trail_core::Millis;
use trail_core::event::NewEvent;
use trail_core::query::{Condition, Field, Filter, Matcher, Search};
use trail_store::Store;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

fn search(conditions: Vec<Condition>, from: Option<Millis>) -> Search {
    Search {
        filter: Filter { conditions },
        from,
        limit: 50,
        ..Search::default()
    }
}

fn eq(field: Field, value: &str) -> Condition {
    Condition {
        field,
        negated: false,
        matchers: vec![Matcher::Eq(value.into())],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test"]
async fn measure() {
    let total: usize = std::env::var("TRAIL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    let org = store.create_organization("Bench").await.unwrap().id;
    let now = Millis::now();
    let span = 180 * DAY_MS;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let started = Instant::now();
    let mut appended = 0;
    while appended < total {
        // The organization's history arrives in time order over `span`.
        let batch: Vec<NewEvent> = (0..1000)
            .map(|i| {
                let elapsed = span * (appended + i) as i64 / total as i64;
                typical(next(&mut state), Millis(now.0 - span + elapsed))
            })
            .collect();
        appended += store.append(&org, batch).await.unwrap().len();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "append: {appended} events in {seconds:.2} s = {:.0} events/s (batches of 1000, one at a time)",
        appended as f64 / seconds
    );

    let db = dir.path().join("trail.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let bytes = std::fs::metadata(&db).unwrap().len();
    println!(
        "disk: {bytes} bytes = {:.0} bytes/event",
        bytes as f64 / appended as f64
    );
    let mut stat = conn
        .prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        .unwrap();
    let rows = stat
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap();
    for row in rows {
        let (name, size) = row.unwrap();
        println!(
            "  {name:<28} {:>7.1} bytes/event",
            size as f64 / appended as f64
        );
    }

    if std::env::var("TRAIL_BENCH_ANALYZE").is_ok() {
        let t = Instant::now();
        conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")
            .unwrap();
        println!("analyze: {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
    }
    let from = Some(Millis(now.0 - 90 * DAY_MS));
    let cases = [
        ("no filter", search(vec![], from)),
        (
            "action",
            search(vec![eq(Field::Action, "member.invited")], from),
        ),
        (
            "actor",
            search(vec![eq(Field::Actor, "user7@example.com")], from),
        ),
        (
            "action+source",
            search(
                vec![eq(Field::Action, "user.login"), eq(Field::Source, "api")],
                from,
            ),
        ),
        (
            "outcome+country",
            search(
                vec![eq(Field::Outcome, "failure"), eq(Field::Country, "JP")],
                from,
            ),
        ),
        (
            "text",
            search(
                vec![Condition {
                    field: Field::Text,
                    negated: false,
                    matchers: vec![Matcher::Contains("Number42".into())],
                }],
                from,
            ),
        ),
    ];
    for (name, case) in &cases {
        let mut times = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let page = store.search(&org, case).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!page.events.is_empty(), "{name}");
        }
        times.sort_by(f64::total_cmp);
        let t = Instant::now();
        let count = store.count(&org, case).await.unwrap();
        let count_ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "search {name:<16} p50 {:>6.2} ms  p99 {:>6.2} ms   count {count:>8} in {count_ms:>7.1} ms",
            times[25], times[49]
        );
    }
    store.close().await;
}
