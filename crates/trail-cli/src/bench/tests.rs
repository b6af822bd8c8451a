//! A smoke run of the whole benchmark on a few thousand events (no timing is asserted), and the
//! query mix checked against the generator so that every query finds something.

use trail_core::Millis;

use super::baseline::Baseline;
use super::queries::{MIX, ninety_days_before};
use super::{Args, measure, workload};

fn args(events: usize, search_events: usize) -> Args {
    Args {
        events,
        search_events,
        connections: 2,
        store_tasks: 2,
        runs: 1,
        baseline_runs: 1,
        days: 120,
        seed: 9,
        skip_http: false,
        skip_streams: false,
        stream_batch_events: 1000,
        skip_store: false,
        skip_search: false,
        skip_wide_baseline: false,
        skip_baseline_fill: false,
        skip_verify: false,
        skip_validation: false,
        database_url: None,
        naive_events: 100,
        keep: None,
        index_placement: true,
        json: false,
        search_store: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stage_runs_on_a_small_workload() {
    let report = measure(&args(2_000, 3_000)).await.unwrap();
    for rate in [
        &report.baseline,
        &report.baseline_wide,
        &report.http,
        &report.store,
    ] {
        assert_eq!(rate.as_ref().unwrap().events, 2_000);
    }
    assert_eq!(report.fill.as_ref().unwrap().events, 1_000);
    let search = report.search.as_ref().unwrap();
    assert_eq!(
        (search.store_events, search.search.samples),
        (3_000, MIX.len())
    );
    let size = report.size.as_ref().unwrap();
    assert_eq!((size.store_events, size.baseline_rows), (3_000, 3_000));
    assert!(size.store_bytes > 0 && size.baseline_bytes > 0);
    assert!(report.render().contains("HTTP batch ingest"));
    let streams = report.streams.as_ref().unwrap();
    assert_eq!(streams.events, 2_000);
    assert!(streams.lag_p50_ms <= streams.lag_p99_ms && streams.replay_per_second > 0.0);
    assert!(report.render().contains("stream lag"));
    let validation = report.validation.as_ref().unwrap();
    assert!(validation.events > 1_000 && validation.schema_check_ns > 0.0);
    assert!(report.render().contains("schema check, enforce"));
    let verify = report.verify.as_ref().unwrap();
    assert_eq!(
        (verify.verify.events, verify.sha256_only.events),
        (3_000, 3_000)
    );
    assert!(verify.leaf_bytes_per_event > 100.0);
    // The prototype checks its counts against the baseline itself; here: every placement ran.
    let placement = report.placement.as_ref().unwrap();
    assert_eq!(placement.variants.len(), 3);
    for variant in &placement.variants {
        assert_eq!(variant.events, 2_000, "{}", variant.placement);
        assert!(variant.rows_per_event > 0.0 && variant.index_bytes_per_event > 0.0);
    }
}

/// The PostgreSQL stages on the same small workload; `measure` itself fails if PostgreSQL and the
/// embedded store disagree on any query's count over the same events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stages_run_on_the_same_events_and_agree() {
    let Some(url) = trail_store::conformance::postgres_db::test_database_url() else {
        return;
    };
    let mut args = args(1_500, 2_500);
    args.skip_http = true;
    args.skip_wide_baseline = true;
    args.database_url = Some(url);
    let report = measure(&args).await.unwrap();
    let pg = report.postgres.as_ref().unwrap();
    assert_eq!((pg.store.events, pg.naive.events), (1_500, 100));
    assert_eq!(pg.stored_events, 2_500);
    assert_eq!(pg.search.as_ref().unwrap().samples, MIX.len());
    let sqlite = &report.search.as_ref().unwrap().per_query;
    assert!(
        sqlite
            .iter()
            .zip(&pg.per_query)
            .all(|(a, b)| a.matches == b.matches)
    );
    assert!(report.render().contains("PostgreSQL Store::append"));
}

#[test]
fn every_query_of_the_mix_matches_demo_events() {
    let now = Millis::parse_rfc3339("2026-11-21T10:17:42.123Z").unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let mut baseline = Baseline::create(dir.path(), false).unwrap();
    let mut events = crate::demo::generate(1, 20_000, 120, now);
    for batch in workload::prepare_all(&mut events, 20_000, now, false).unwrap() {
        baseline.insert(&batch.rows).unwrap();
    }
    let from = ninety_days_before(now).0;
    for query in &MIX {
        let count = baseline.count(query, from).unwrap();
        assert!(count > 0, "`{}` matches nothing", query.text);
        assert_eq!(
            baseline.search(query, from, 50).unwrap() as u64,
            count.min(50)
        );
    }
}
