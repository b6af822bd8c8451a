//! Search and count latency: every query of the mix, several runs each, on the store and as SQL on
//! the baseline table holding the same events.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use trail_core::Millis;
use trail_core::query::Field;
use trail_store::Store;

use super::baseline::Baseline;
use super::queries::{MIX, ninety_days_before};
use super::report::{Latency, QueryTiming, SearchFigures};

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The store's side of a run of the mix: search, count and facets latencies and each query's
/// timings.
pub struct StoreTimes {
    pub search: Latency,
    pub count: Latency,
    pub facets: Latency,
    pub per_query: Vec<QueryTiming>,
}

/// The fields the mix's facets count, one per query in turn: a few values (actions) and many
/// (actors).
const FACET_FIELDS: [Field; 2] = [Field::Action, Field::ActorId];

/// Runs the mix `runs` times on the store and `baseline_runs` times on the baseline, round-robin
/// so that no query runs twice in a row.
pub async fn run(
    store: Arc<dyn Store>,
    org: &str,
    store_events: u64,
    baseline: Baseline,
    now: Millis,
    runs: usize,
    baseline_runs: usize,
) -> anyhow::Result<(Baseline, SearchFigures)> {
    let times = time_store(store.as_ref(), org, now, runs).await?;
    let (baseline, baseline_search, baseline_count, timings) =
        tokio::task::spawn_blocking(move || {
            run_baseline(
                baseline,
                now,
                baseline_runs.max(1),
                store_events,
                times.per_query,
            )
        })
        .await
        .context("the baseline search thread panicked")??;
    let figures = SearchFigures {
        store_events,
        queries: MIX.len(),
        runs_per_query: runs.max(1),
        search: times.search,
        count: times.count,
        facets: Some(times.facets),
        baseline_search,
        baseline_count,
        per_query: timings,
    };
    Ok((baseline, figures))
}

/// Runs every query of the mix `runs` times on `store`, timing search (one page of 50), count and
/// the ten most frequent values of a field (actions and actor ids in turn).
pub async fn time_store(
    store: &dyn Store,
    org: &str,
    now: Millis,
    runs: usize,
) -> anyhow::Result<StoreTimes> {
    let mut timings: Vec<QueryTiming> = MIX
        .iter()
        .map(|q| QueryTiming {
            query: q.text.to_owned(),
            matches: 0,
            search_max_ms: 0.0,
            count_max_ms: 0.0,
            facets_max_ms: 0.0,
            baseline_search_max_ms: 0.0,
            baseline_count_max_ms: 0.0,
        })
        .collect();
    let (mut searches, mut counts, mut facets) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        for (n, (query, timing)) in MIX.iter().zip(&mut timings).enumerate() {
            let search = query.search(now);
            let started = Instant::now();
            let page = store
                .search(org, &search)
                .await
                .with_context(|| format!("search `{}`", query.text))?;
            let took = ms(started);
            searches.push(took);
            timing.search_max_ms = timing.search_max_ms.max(took);
            let started = Instant::now();
            timing.matches = store
                .count(org, &search)
                .await
                .with_context(|| format!("count `{}`", query.text))?;
            let took = ms(started);
            counts.push(took);
            timing.count_max_ms = timing.count_max_ms.max(took);
            let field = &FACET_FIELDS[n % FACET_FIELDS.len()];
            let started = Instant::now();
            let values = store
                .facets(org, &search, field, 10)
                .await
                .with_context(|| format!("facets of `{}`", query.text))?;
            let took = ms(started);
            facets.push(took);
            timing.facets_max_ms = timing.facets_max_ms.max(took);
            anyhow::ensure!(
                values.iter().map(|v| v.count).max().unwrap_or(0) <= timing.matches,
                "`{}`: a facet counts more events than match",
                query.text
            );
            anyhow::ensure!(
                page.events.len() as u64 == timing.matches.min(50),
                "`{}`: a page of {} events, yet {} match",
                query.text,
                page.events.len(),
                timing.matches
            );
        }
    }
    Ok(StoreTimes {
        search: Latency::of(searches),
        count: Latency::of(counts),
        facets: Latency::of(facets),
        per_query: timings,
    })
}

type BaselineTimes = (Baseline, Latency, Latency, Vec<QueryTiming>);

fn run_baseline(
    baseline: Baseline,
    now: Millis,
    runs: usize,
    store_events: u64,
    mut timings: Vec<QueryTiming>,
) -> anyhow::Result<BaselineTimes> {
    let from = ninety_days_before(now).0;
    let (mut searches, mut counts) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        for (query, timing) in MIX.iter().zip(&mut timings) {
            let started = Instant::now();
            baseline.search(query, from, 50)?;
            let took = ms(started);
            searches.push(took);
            timing.baseline_search_max_ms = timing.baseline_search_max_ms.max(took);
            let started = Instant::now();
            let count = baseline.count(query, from)?;
            let took = ms(started);
            counts.push(took);
            timing.baseline_count_max_ms = timing.baseline_count_max_ms.max(took);
            // Holding the same events, both sides must agree.
            if baseline.rows() == store_events && count != timing.matches {
                anyhow::bail!(
                    "`{}`: the store counts {} events, the baseline {count}",
                    query.text,
                    timing.matches
                );
            }
        }
    }
    Ok((
        baseline,
        Latency::of(searches),
        Latency::of(counts),
        timings,
    ))
}
