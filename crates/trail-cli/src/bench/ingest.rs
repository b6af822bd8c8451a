//! Timed ingest stages: the baseline's INSERTs, `Store::append` from concurrent tasks, and the fill
//! that grows the store (and the baseline) to the search size while generating events.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::Value;
use tokio::task::JoinSet;
use trail_core::Millis;
use trail_core::event::NewEvent;
use trail_store::Store;

use super::baseline::Baseline;
use super::report::Rate;
use super::workload::{self, Batch, Row};

/// Inserts every prepared batch's rows into `baseline`, one transaction each, on a blocking thread.
pub async fn baseline(
    mut baseline: Baseline,
    rows: Vec<Vec<Row>>,
) -> anyhow::Result<(Baseline, Rate)> {
    tokio::task::spawn_blocking(move || {
        let count: usize = rows.iter().map(Vec::len).sum();
        let started = Instant::now();
        for batch in &rows {
            baseline.insert(batch)?;
        }
        let rate = Rate::new(count as u64, started.elapsed());
        Ok((baseline, rate))
    })
    .await
    .context("the baseline thread panicked")?
}

/// Appends the prepared batches from `tasks` concurrent tasks, each taking every `tasks`-th batch.
pub async fn store(
    store: Arc<dyn Store>,
    org: &str,
    batches: Vec<Vec<NewEvent>>,
    tasks: usize,
) -> anyhow::Result<Rate> {
    let tasks = tasks.max(1);
    let count: usize = batches.iter().map(Vec::len).sum();
    let mut lanes: Vec<Vec<Vec<NewEvent>>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, batch) in batches.into_iter().enumerate() {
        lanes[i % tasks].push(batch);
    }
    let started = Instant::now();
    let mut running = JoinSet::new();
    for lane in lanes {
        let store = store.clone();
        let org = org.to_owned();
        running.spawn(async move {
            for batch in lane {
                store.append(&org, batch).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = running.join_next().await {
        done.context("an append task panicked")??;
    }
    Ok(Rate::new(count as u64, started.elapsed()))
}

/// Splits prepared batches into the store's and the baseline's shares (bodies are dropped).
pub fn split(batches: Vec<Batch>) -> (Vec<Vec<NewEvent>>, Vec<Vec<Row>>) {
    batches.into_iter().map(|b| (b.events, b.rows)).unzip()
}

/// Grows the store (and the baseline, when given) with the rest of `events`: a generator thread
/// prepares batches, up to `tasks` appends run at once, and a baseline thread inserts the same rows.
pub async fn fill(
    store: Arc<dyn Store>,
    org: &str,
    baseline: Option<Baseline>,
    events: impl Iterator<Item = Value> + Send + 'static,
    now: Millis,
    tasks: usize,
) -> anyhow::Result<(Option<Baseline>, Rate)> {
    let (batch_tx, mut batch_rx) = tokio::sync::mpsc::channel::<Batch>(16);
    let generator = std::thread::spawn(move || -> anyhow::Result<()> {
        let mut events = events;
        while let Some(values) = workload::next_values(&mut events) {
            if batch_tx
                .blocking_send(workload::prepare(values, now, false)?)
                .is_err()
            {
                break;
            }
        }
        Ok(())
    });
    let (row_tx, row_rx) = std::sync::mpsc::sync_channel::<Vec<Row>>(16);
    let inserter = std::thread::spawn(move || -> anyhow::Result<Option<Baseline>> {
        let mut baseline = baseline;
        for rows in row_rx {
            if let Some(baseline) = &mut baseline {
                baseline.insert(&rows)?;
            }
        }
        Ok(baseline)
    });
    let started = Instant::now();
    let mut count = 0u64;
    let mut running = JoinSet::new();
    while let Some(batch) = batch_rx.recv().await {
        count += batch.events.len() as u64;
        if row_tx.send(batch.rows).is_err() {
            break; // The inserter failed; its error is reported below.
        }
        while running.len() >= tasks.max(1) {
            if let Some(done) = running.join_next().await {
                done.context("an append task panicked")??;
            }
        }
        let (store, org, events) = (store.clone(), org.to_owned(), batch.events);
        running.spawn(async move { store.append(&org, events).await.map(|_| ()) });
    }
    while let Some(done) = running.join_next().await {
        done.context("an append task panicked")??;
    }
    let rate = Rate::new(count, started.elapsed());
    drop(row_tx);
    generator
        .join()
        .map_err(|_| anyhow::anyhow!("the generator thread panicked"))??;
    let baseline = inserter
        .join()
        .map_err(|_| anyhow::anyhow!("the baseline thread panicked"))??;
    Ok((baseline, rate))
}
