//! The PostgreSQL half of `trail bench --database-url URL`, run after the embedded store's stages
//! on the same prepared events: `Store::append` from the same concurrent tasks, a naive baseline of
//! one `INSERT` (so one transaction) per event into an equivalent table with the same indexes, and
//! the same search mix over the same events, whose counts must agree with the embedded store's.
//! Everything happens in a database of its own (`trail_bench_…`), dropped at the end unless
//! `--keep` is given.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::Value;
use trail_core::Millis;
use trail_core::event::NewEvent;
use trail_store::Store;
use trail_store::postgres::{PostgresOptions, PostgresStore, with_dbname};

use super::ingest;
use super::report::{PostgresFigures, QueryTiming, Rate};
use super::search;

/// A database created for one benchmark run on the server `url` names.
pub struct BenchDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl BenchDatabase {
    pub async fn create(admin_url: &str) -> anyhow::Result<BenchDatabase> {
        let name = format!("trail_bench_{}", &trail_core::ids::new_event_id()[4..]);
        let admin = connect(admin_url).await?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("cannot create the benchmark database {name}"))?;
        Ok(BenchDatabase {
            url: with_dbname(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    pub async fn drop_database(self) -> anyhow::Result<()> {
        let admin = connect(&self.admin_url).await?;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        admin.batch_execute(&sql).await?;
        Ok(())
    }
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| "cannot connect to the --database-url server".to_owned())?;
    tokio::spawn(connection);
    Ok(client)
}

/// What the PostgreSQL stages need from the embedded store's run.
pub struct Plan<'a> {
    pub batches: Vec<Vec<NewEvent>>,
    /// The generated events after the prepared ones, to fill to the search size (`None`: no search).
    pub rest: Option<Box<dyn Iterator<Item = Value> + Send>>,
    pub now: Millis,
    pub tasks: usize,
    pub naive_events: usize,
    pub runs: usize,
    /// The embedded store's per-query matches over the same events, which PostgreSQL must repeat.
    pub expected: Option<&'a [QueryTiming]>,
    /// Keep the database (it is also kept when a stage fails, to look at).
    pub keep: bool,
}

pub async fn measure(
    url: &str,
    plan: Plan<'_>,
    note: impl Fn(&str),
) -> anyhow::Result<PostgresFigures> {
    let keep = plan.keep;
    let database = BenchDatabase::create(url).await?;
    note(&format!("PostgreSQL: database {}", database.name));
    let result = stages(&database, plan, &note).await;
    if result.is_ok() && !keep {
        database.drop_database().await?;
    } else {
        note(&format!(
            "PostgreSQL data kept in database {}",
            database.name
        ));
    }
    result
}

async fn stages(
    database: &BenchDatabase,
    plan: Plan<'_>,
    note: &impl Fn(&str),
) -> anyhow::Result<PostgresFigures> {
    let options = PostgresOptions {
        pool_size: (plan.tasks * 2).max(4),
        ..PostgresOptions::default()
    };
    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&database.url, options).await?);
    let org = store.create_organization("Bench Inc").await?.id;
    let events: u64 = plan.batches.iter().map(|b| b.len() as u64).sum();
    note(&format!("PostgreSQL: Store::append of {events} events"));
    let append = ingest::store(store.clone(), &org, plan.batches, plan.tasks).await?;

    let naive_events = (plan.naive_events as u64).min(events);
    note(&format!(
        "PostgreSQL: naive baseline, {naive_events} single-row INSERTs"
    ));
    let naive = naive_baseline(&database.url, &org, naive_events).await?;

    let mut figures = PostgresFigures {
        store: append,
        naive,
        fill: None,
        stored_events: events,
        search: None,
        count: None,
        per_query: Vec::new(),
    };
    if let Some(rest) = plan.rest {
        note("PostgreSQL: filling to the search size");
        let (_, fill) = ingest::fill(store.clone(), &org, None, rest, plan.now, plan.tasks).await?;
        figures.stored_events += fill.events;
        figures.fill = Some(fill);
        // Fresh statistics, as a production database's autovacuum would have them.
        connect(&database.url)
            .await?
            .batch_execute("VACUUM ANALYZE")
            .await?;
        note("PostgreSQL: search and count");
        let times = search::time_store(store.as_ref(), &org, plan.now, plan.runs).await?;
        if let Some(expected) = plan.expected {
            for (ours, theirs) in times.per_query.iter().zip(expected) {
                anyhow::ensure!(
                    ours.matches == theirs.matches,
                    "`{}`: PostgreSQL counts {} events, the embedded store {}",
                    ours.query,
                    ours.matches,
                    theirs.matches
                );
            }
        }
        figures.search = Some(times.search);
        figures.count = Some(times.count);
        figures.per_query = times.per_query;
    }
    store.close().await;
    Ok(figures)
}

/// One `INSERT`, and so one durable transaction, per event into `naive_events`, a table with the
/// same columns and indexes as `events` (`LIKE events INCLUDING ALL`), copying rows the store wrote.
async fn naive_baseline(url: &str, org: &str, count: u64) -> anyhow::Result<Rate> {
    let client = connect(url).await?;
    client
        .batch_execute("CREATE TABLE naive_events (LIKE events INCLUDING ALL)")
        .await?;
    let insert = client
        .prepare(
            "INSERT INTO naive_events SELECT * FROM events WHERE organization_id = $1 AND seq = $2",
        )
        .await?;
    let started = Instant::now();
    for seq in 0..count as i64 {
        client.execute(&insert, &[&org, &seq]).await?;
    }
    Ok(Rate::new(count, started.elapsed()))
}
