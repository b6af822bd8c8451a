//! `trail bench`: measures, in one run, durable HTTP ingest, `Store::append`, search and count
//! latency and bytes on disk, each against a naive SQLite baseline measured in the same run on the
//! same demo events. Build with `cargo run --release -p trail-cli -- bench`.

mod baseline;
mod http;
mod ingest;
mod placement;
mod postgres;
mod queries;
mod report;
mod search;
mod streams;
#[cfg(test)]
mod tests;
mod validation;
mod verify;
mod workload;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use trail_core::Millis;
use trail_store::Store;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

use self::baseline::Baseline;
use self::report::{Report, SizeFigures};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Events ingested by each timed ingest stage.
    #[arg(long, default_value_t = 500_000)]
    pub events: usize,
    /// Events in the store that search and count run against.
    #[arg(long, default_value_t = 1_000_000)]
    pub search_events: usize,
    /// Concurrent HTTP/1.1 connections posting batches.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Concurrent tasks calling `Store::append`.
    #[arg(long, default_value_t = 4)]
    pub store_tasks: usize,
    /// Runs of each query of the mix on the store.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Runs of each query of the mix as SQL on the baseline (a full scan there can take seconds).
    #[arg(long, default_value_t = 3)]
    pub baseline_runs: usize,
    /// Days of history the events span, ending now (searches cover the last 90).
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Seed of the demo generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Skip the HTTP ingest stage (and the stream stage, which compares with it).
    #[arg(long)]
    pub skip_http: bool,
    /// Skip SIEM stream delivery to a local HEC receiver while ingest runs.
    #[arg(long)]
    pub skip_streams: bool,
    /// Events per stream batch in the stream stage (`streams.batch_events`).
    #[arg(long, default_value_t = trail_server::streams::StreamSettings::default().batch_events)]
    pub stream_batch_events: usize,
    /// Skip timing `Store::append` (the store is still filled when searching).
    #[arg(long)]
    pub skip_store: bool,
    /// Skip search, count and the fill they need.
    #[arg(long)]
    pub skip_search: bool,
    /// Fill the search store past `--events` without growing the baseline beside it (the
    /// baseline's random index inserts limit a ten-million-event fill); its SQL search and count
    /// then run over the `--events` rows only, and no count is compared.
    #[arg(long)]
    pub skip_baseline_fill: bool,
    /// Skip the baseline variant with every filter column indexed.
    #[arg(long)]
    pub skip_wide_baseline: bool,
    /// Skip timing `trail verify` over the filled store.
    #[arg(long)]
    pub skip_verify: bool,
    /// Skip measuring the event-type catalogue's schema check and display text per event.
    #[arg(long)]
    pub skip_validation: bool,
    /// Also measure PostgreSQL on the same events, in a database of its own created on this
    /// server (`postgres://user@host:5432/db`) and dropped afterwards unless `--keep` is given.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Events of PostgreSQL's naive one-INSERT-per-event baseline (it is slow: a commit each).
    #[arg(long, default_value_t = 20_000)]
    pub naive_events: usize,
    /// Keep the data in this directory (which must be empty or absent) instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Also run the index-placement prototype of docs/storage.md on the `--events` prepared events
    /// (term rows vs run pages in the database vs segment files).
    #[arg(long)]
    pub index_placement: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only time the search mix (search, count, facets; `--runs` times, no baseline) on an
    /// existing store: the `store` directory of a `--keep` run. For profiling the read path.
    #[arg(long, value_name = "DIR")]
    pub search_store: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if let Some(dir) = &args.search_store {
        return search_only(dir, args.runs).await;
    }
    let report = measure(&args).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "trail bench: {} events per ingest stage, search over {} events, seed {}, {} days, {} cores",
            args.events, args.search_events, args.seed, args.days, report.cores
        );
        println!("{}", report.render());
        if let Some(slowest) = report.render_slowest() {
            println!("\n{slowest}");
        }
        if let Some(placement) = &report.placement {
            println!("\n{}", placement.render());
        }
    }
    Ok(())
}

/// The search mix alone on an existing store, its first organization.
async fn search_only(dir: &Path, runs: usize) -> anyhow::Result<()> {
    let store = SqliteStore::open(dir, SqliteOptions::default())?;
    let org = store
        .list_organizations()
        .await?
        .into_iter()
        .next()
        .context("the store has no organization")?;
    let size = store.head(&org.id).await?.size;
    let times = search::time_store(&store, &org.id, Millis::now(), runs).await?;
    store.close().await;
    let ms = |l: &report::Latency| format!("{:.1}/{:.1}/{:.1} ms", l.p50_ms, l.p95_ms, l.p99_ms);
    println!("search mix over {size} events, {runs} runs, p50/p95/p99");
    println!("  search {}", ms(&times.search));
    println!("  count  {}", ms(&times.count));
    println!("  facets {}", ms(&times.facets));
    for q in &times.per_query {
        println!(
            "  {:<52} {:>9} matches, max search {:>7.1} count {:>7.1} facets {:>7.1} ms",
            q.query, q.matches, q.search_max_ms, q.count_max_ms, q.facets_max_ms
        );
    }
    Ok(())
}

/// A progress line on stderr, stamped with the seconds since the benchmark started.
fn note(started: Instant, message: &str) {
    eprintln!(
        "bench [{:>6.1}s] {message}",
        started.elapsed().as_secs_f64()
    );
}

/// Runs every stage the arguments ask for and gathers the figures.
pub async fn measure(args: &Args) -> anyhow::Result<Report> {
    let started = Instant::now();
    let note = |message: &str| note(started, message);
    let temp = tempfile::TempDir::new().context("cannot create a temporary directory")?;
    let root = match &args.keep {
        Some(dir) => {
            let empty = std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
            anyhow::ensure!(empty, "--keep {} is not empty", dir.display());
            dir.clone()
        }
        None => temp.path().to_owned(),
    };
    let mut report = Report {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        seed: args.seed,
        days: args.days,
        connections: args.connections,
        store_tasks: args.store_tasks,
        ..Report::default()
    };
    let now = Millis::now();
    let total = if args.skip_search {
        args.events
    } else {
        args.events.max(args.search_events)
    };
    if !args.skip_validation {
        note("event-type schema check and display text per event");
        report.validation = Some(validation::measure(args.seed, now)?);
    }
    let mut events = crate::demo::generate(args.seed, total, args.days, now);
    note(&format!("preparing {} events", args.events));
    let mut batches = workload::prepare_all(&mut events, args.events, now, !args.skip_http)?;
    let bodies: Vec<Vec<u8>> = batches
        .iter_mut()
        .map(|b| std::mem::take(&mut b.body))
        .collect();
    let (store_batches, rows) = ingest::split(batches);
    let postgres_batches = args.database_url.as_ref().map(|_| store_batches.clone());

    if !args.skip_wide_baseline {
        note("baseline with every filter column indexed");
        let wide = Baseline::create(&root.join("baseline-wide"), true)?;
        let (_, rate) = ingest::baseline(wide, rows.clone()).await?;
        report.baseline_wide = Some(rate);
    }
    note("baseline with four indexes");
    let narrow = Baseline::create(&root.join("baseline"), false)?;
    let (mut baseline, rate) = ingest::baseline(narrow, rows).await?;
    report.baseline = Some(rate);

    if args.index_placement {
        note("index placement prototype");
        report.placement = Some(placement::measure(
            &root,
            &store_batches,
            &baseline,
            now,
            args.runs,
        )?);
    }

    let stream_bodies = (!args.skip_http && !args.skip_streams).then(|| bodies.clone());
    if !args.skip_http {
        note(&format!(
            "HTTP ingest over {} connections",
            args.connections
        ));
        let rate = http::ingest(
            &root.join("http"),
            bodies,
            args.events as u64,
            args.connections,
        )
        .await?;
        report.http = Some(rate);
    }
    if let Some(bodies) = stream_bodies {
        note("HTTP ingest with a Splunk HEC stream delivering, then a replay of the whole log");
        report.streams = Some(
            streams::measure(
                &root.join("streams"),
                bodies,
                args.events as u64,
                args.connections,
                args.stream_batch_events,
            )
            .await?,
        );
    }

    note("Store::append");
    let store_dir = root.join("store");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&store_dir, SqliteOptions::default())?);
    let org = store.create_organization("Bench Inc").await?.id;
    let rate = ingest::store(store.clone(), &org, store_batches, args.store_tasks).await?;
    if !args.skip_store {
        report.store = Some(rate);
    }

    let mut stored = args.events as u64;
    if !args.skip_search {
        if total > args.events {
            note(&format!(
                "filling the store and the baseline to {total} events"
            ));
            let tasks = args.store_tasks;
            let rate = if args.skip_baseline_fill {
                ingest::fill(store.clone(), &org, None, events, now, tasks)
                    .await?
                    .1
            } else {
                let (grown, rate) =
                    ingest::fill(store.clone(), &org, Some(baseline), events, now, tasks).await?;
                baseline = grown.context("the fill lost the baseline")?;
                rate
            };
            stored += rate.events;
            report.fill = Some(rate);
        }
        note(&format!(
            "search and count, {} runs of {} queries",
            args.runs,
            queries::MIX.len()
        ));
        let (searched, figures) = search::run(
            store.clone(),
            &org,
            stored,
            baseline,
            now,
            args.runs,
            args.baseline_runs,
        )
        .await?;
        baseline = searched;
        report.search = Some(figures);
    }

    note("closing the store; sizes on disk");
    store.close().await;
    let store_bytes = settled_size(&store_dir)?;
    let baseline_bytes = baseline.size_bytes()?;
    report.size = Some(SizeFigures {
        store_events: stored,
        store_bytes,
        store_bytes_per_event: store_bytes as f64 / stored.max(1) as f64,
        baseline_rows: baseline.rows(),
        baseline_bytes,
        baseline_bytes_per_row: baseline_bytes as f64 / baseline.rows().max(1) as f64,
    });
    if !args.skip_verify {
        note(&format!("trail verify over {stored} events"));
        report.verify = Some(verify::measure(&store_dir, &org).await?);
    }
    if let (Some(url), Some(batches)) = (&args.database_url, postgres_batches) {
        // The same generated events: the prepared ones, then the rest up to the search size.
        let rest = (!args.skip_search).then(|| {
            let all = crate::demo::generate(args.seed, total, args.days, now);
            Box::new(all.skip(args.events)) as Box<dyn Iterator<Item = serde_json::Value> + Send>
        });
        let plan = postgres::Plan {
            batches,
            rest,
            now,
            tasks: args.store_tasks,
            naive_events: args.naive_events,
            runs: args.runs,
            expected: report.search.as_ref().map(|s| s.per_query.as_slice()),
            keep: args.keep.is_some(),
        };
        report.postgres = Some(postgres::measure(url, plan, note).await?);
    }
    if let Some(dir) = &args.keep {
        note(&format!("data kept in {}", dir.display()));
    }
    Ok(report)
}

/// Bytes of a closed store's directory after folding any WAL back into the database.
fn settled_size(dir: &Path) -> anyhow::Result<u64> {
    let db = dir.join("trail.db");
    if db.exists() {
        let conn =
            rusqlite::Connection::open(&db).context("cannot reopen the store to checkpoint it")?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let meta = entry?.metadata()?;
        if meta.is_file() {
            total += meta.len();
        }
    }
    Ok(total)
}
