//! The export worker: runs queued jobs (at most `export_workers` at a time, each one store reader,
//! so ingest and search go on), reports progress, writes the file under `<data_dir>/exports/`
//! and expires completed jobs. Jobs live in the store: a job that was running when the server
//! stopped is queued again at the next start and runs from the beginning.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use futures_util::StreamExt;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use trail_core::Millis;
use trail_core::catalogue::compiled::Display;
use trail_core::event::Event;
use trail_core::merkle::InclusionProof;
use trail_store::proofs::inclusion_proof;
use trail_store::{ExportJob, ExportStatus, StoreError};

use super::file::{self, BundleHead, FileWriter, Layout};
use super::spec::ExportSpec;
use super::stream;
use crate::jobs::Job;
use crate::state::AppState;

/// How often the worker looks for queued and expired jobs when nothing wakes it.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Progress is written to the store at most this often.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

/// Wakes the worker when a job is queued.
#[derive(Debug, Default)]
pub struct Queue {
    wake: Arc<Notify>,
}

impl Queue {
    pub fn notify(&self) {
        self.wake.notify_one();
    }
}

/// The directory export files are written to.
pub fn export_dir(state: &AppState) -> PathBuf {
    state.settings.data_dir.join("exports")
}

/// Queues again every job left `running` by a stopped server, removing its partial file.
pub async fn requeue_interrupted(state: &AppState) -> anyhow::Result<usize> {
    let running = state.store.exports_in_status(ExportStatus::Running).await?;
    for mut job in running.iter().cloned() {
        let _ = std::fs::remove_file(export_dir(state).join(partial_name(&job.id)));
        job.status = ExportStatus::Queued;
        job.progress = 0;
        job.started_at = None;
        state.store.update_export(&job).await?;
        tracing::info!(export_id = %job.id, organization_id = %job.organization_id, "Queued again an export interrupted by a restart");
    }
    Ok(running.len())
}

/// Expires completed jobs whose time is up (deleting their file), then runs every queued job one
/// after the other; returns how many ran. Tests drain the worker with this.
pub async fn run_pending(state: &AppState) -> anyhow::Result<usize> {
    expire(state, state.clock.now()).await?;
    let mut ran = 0;
    for job in state.store.exports_in_status(ExportStatus::Queued).await? {
        if let Some(job) = claim(state, job).await? {
            run(state, job).await;
            ran += 1;
        }
    }
    Ok(ran)
}

/// Marks completed jobs past `expires_at` as expired and deletes their files.
pub async fn expire(state: &AppState, now: Millis) -> anyhow::Result<usize> {
    let mut expired = 0;
    for mut job in state
        .store
        .exports_in_status(ExportStatus::Completed)
        .await?
    {
        if job.expires_at.is_none_or(|at| at > now) {
            continue;
        }
        if let Some(name) = &job.file_name {
            let _ = std::fs::remove_file(export_dir(state).join(name));
        }
        job.status = ExportStatus::Expired;
        match state.store.update_export(&job).await {
            Ok(()) | Err(StoreError::NotFound) => expired += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(expired)
}

async fn claim(state: &AppState, mut job: ExportJob) -> anyhow::Result<Option<ExportJob>> {
    let now = state.clock.now();
    if !state
        .store
        .claim_export(&job.organization_id, &job.id, now)
        .await?
    {
        return Ok(None);
    }
    job.status = ExportStatus::Running;
    job.started_at = Some(now);
    job.progress = 0;
    job.error = None;
    Ok(Some(job))
}

/// The export worker as a background job (`exports`): each round expires what is due and starts
/// queued jobs while fewer than `export_workers` run; a queued job or a finished one wakes it.
/// Jobs cut short by the stop stay `running` in the store and are queued again at the next start.
/// Not exclusive: `Store::claim_export` gives each job to one node.
pub struct ExportJobs {
    permits: Arc<Semaphore>,
    running: Mutex<JoinSet<()>>,
    wake: Arc<Notify>,
}

impl ExportJobs {
    pub fn new(state: &AppState) -> ExportJobs {
        ExportJobs {
            permits: Arc::new(Semaphore::new(state.settings.export_workers.max(1))),
            running: Mutex::default(),
            wake: state.export_queue.wake.clone(),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, JoinSet<()>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Job for ExportJobs {
    fn name(&self) -> &'static str {
        "exports"
    }

    fn interval(&self) -> Duration {
        POLL_INTERVAL
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }

    async fn start(&self, state: &AppState) -> anyhow::Result<()> {
        requeue_interrupted(state)
            .await
            .map(drop)
            .context("queueing interrupted exports again")
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<()> {
        while self.running().try_join_next().is_some() {}
        expire(state, state.clock.now()).await?;
        for job in state.store.exports_in_status(ExportStatus::Queued).await? {
            let Ok(permit) = self.permits.clone().try_acquire_owned() else {
                break;
            };
            if let Some(job) = claim(state, job).await? {
                let state = state.clone();
                self.running().spawn(async move {
                    run(&state, job).await;
                    drop(permit);
                    // A free worker: look at the queue again.
                    state.export_queue.notify();
                });
            }
        }
        Ok(())
    }

    async fn stop(&self) {
        let mut running = std::mem::take(&mut *self.running());
        running.abort_all();
        while running.join_next().await.is_some() {}
    }
}

fn partial_name(id: &str) -> String {
    format!("{id}.partial")
}

/// Runs one claimed job to `completed` or `failed`.
async fn run(state: &AppState, mut job: ExportJob) {
    let started = Instant::now();
    let dir = export_dir(state);
    let partial = dir.join(partial_name(&job.id));
    match write(state, &mut job, &dir).await {
        Ok((name, size)) => {
            let now = state.clock.now();
            let expiry_ms = i64::try_from(state.settings.export_expiry_hours)
                .unwrap_or(i64::MAX / 3_600_000)
                .saturating_mul(3_600_000);
            job.status = ExportStatus::Completed;
            job.finished_at = Some(now);
            job.expires_at = Some(now.plus_ms(expiry_ms));
            job.file_name = Some(name.clone());
            job.file_size = Some(size);
            if let Err(e) = state.store.update_export(&job).await {
                // Deleted while it ran (or the store went away): the file has no job.
                let _ = std::fs::remove_file(dir.join(&name));
                tracing::warn!(export_id = %job.id, error = %e, "An export finished but could not be recorded");
                return;
            }
            metrics::counter!("trail_exports_completed_total").increment(1);
            tracing::info!(export_id = %job.id, organization_id = %job.organization_id, events = job.progress, bytes = size, seconds = started.elapsed().as_secs_f64(), "Export completed");
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            if matches!(e.downcast_ref::<StoreError>(), Some(StoreError::NotFound)) {
                tracing::info!(export_id = %job.id, "Export deleted while it ran; stopped it");
                return;
            }
            metrics::counter!("trail_exports_failed_total").increment(1);
            tracing::error!(export_id = %job.id, organization_id = %job.organization_id, error = %format!("{e:#}"), "Export failed");
            job.status = ExportStatus::Failed;
            job.error = Some(format!("{e:#}"));
            job.finished_at = Some(state.clock.now());
            let _ = state.store.update_export(&job).await;
        }
    }
}

/// A page on its way to the file writer, with the bundle's proofs.
type Batch = (Vec<Event>, Vec<Display>, Vec<InclusionProof>);

/// Writes the job's file; returns its name under `dir` and its size.
async fn write(
    state: &AppState,
    job: &mut ExportJob,
    dir: &std::path::Path,
) -> anyhow::Result<(String, u64)> {
    let spec: ExportSpec =
        serde_json::from_value(job.spec.clone()).context("reading the export's stored request")?;
    let search = spec
        .search(job.created_at)
        .map_err(|e| anyhow!("{}", e.message))?;
    let layout = spec.layout();
    let org = job.organization_id.clone();
    let (head, tree_size) = match layout {
        Layout::Bundle => {
            let (head, size) = bundle_head(state, job).await?;
            (Some(head), Some(size))
        }
        _ => (None, None),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let partial = dir.join(partial_name(&job.id));
    let name = file::file_name(&job.id, spec.format, spec.gzip, layout);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(2);
    let (path, format, gzip, base) = (partial.clone(), spec.format, spec.gzip, job.id.clone());
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut writer = FileWriter::create(&path, format, gzip, layout, &base)?;
        while let Some((events, displays, proofs)) = receiver.blocking_recv() {
            if let Err(e) = writer.write(&events, &displays, &proofs) {
                writer.abandon();
                return Err(e);
            }
        }
        writer.finish(head.as_ref())
    });

    let catalogue = state
        .catalogues
        .get(state.store.as_ref(), &org)
        .await
        .context("reading the event-type catalogue")?;
    let produced = async {
        let mut pages = std::pin::pin!(stream::pages(state.store.clone(), org.clone(), search));
        let mut reported = Instant::now();
        while let Some(page) = pages.next().await {
            let mut events = page?;
            let mut proofs = Vec::new();
            if let Some(size) = tree_size {
                events.retain(|e| e.seq < size);
                for event in &events {
                    proofs
                        .push(inclusion_proof(state.store.as_ref(), &org, event.seq, size).await?);
                }
            }
            job.progress += events.len() as u64;
            let displays = events.iter().map(|e| catalogue.display(&e.data)).collect();
            if sender.send((events, displays, proofs)).await.is_err() {
                break; // The writer failed; its error is reported below.
            }
            if reported.elapsed() >= PROGRESS_INTERVAL {
                state.store.update_export(job).await?;
                reported = Instant::now();
            }
        }
        anyhow::Ok(())
    }
    .await;
    drop(sender);
    let written = writer.await.context("the export writer stopped")?;
    produced?;
    written.context("writing the export file")?;
    let target = dir.join(&name);
    std::fs::rename(&partial, &target).context("moving the finished export into place")?;
    let size = std::fs::metadata(&target)?.len();
    Ok((name, size))
}

/// Signs a checkpoint covering the log as it is now and returns what the bundle carries besides
/// its events: the checkpoint, the public key and a manifest.
async fn bundle_head(state: &AppState, job: &ExportJob) -> anyhow::Result<(BundleHead, u64)> {
    crate::integrity::checkpoint_once(state).await?;
    let checkpoint = state
        .store
        .latest_checkpoint(&job.organization_id)
        .await?
        .ok_or_else(|| {
            anyhow!("the organization's log has no checkpoint yet (it holds no events)")
        })?;
    let public_key: String = state
        .log_keys
        .verifiers()
        .iter()
        .map(|key| format!("{key}\n"))
        .collect();
    let manifest = serde_json::json!({
        "format": "trail-bundle",
        "version": 1,
        "export_id": job.id,
        "organization_id": job.organization_id,
        "tree_size": checkpoint.size,
        "created_at": state.clock.now(),
        "files": {
            "events": "events.ndjson",
            "proofs": "proofs.ndjson",
            "checkpoint": "checkpoint",
            "public_key": "public-key",
        },
    });
    Ok((
        BundleHead {
            checkpoint: checkpoint.note,
            public_key,
            manifest,
        },
        checkpoint.size,
    ))
}
