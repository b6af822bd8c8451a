//! Background jobs: one way to start, name, observe and stop them. A [`Job`] is a named round
//! (`run_once`) run every `interval` or when its wake-up fires; the [`Registry`] runs each in its
//! own task, counts runs and failures per job (`trail_job_runs_total`, `trail_job_failures_total`,
//! `trail_job_last_success_timestamp_seconds`, labelled `job`), keeps each job's [`health`] for
//! `/readyz`, and stops them all together. A job marked `exclusive` runs only on the node that
//! holds its lease in the store (`Store::take_lease`), so on PostgreSQL one node at a time runs it.
//!
//! Tests call a job's `run_once` to drain it once, deterministically, instead of waiting for it.

pub mod health;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use health::{JobHealth, JobsHealth, Problem};

use crate::state::AppState;

/// A background job.
#[async_trait]
pub trait Job: Send + Sync + 'static {
    /// The job's name in metrics, logs and `/readyz` (`checkpoints`, `exports`, `retention`).
    fn name(&self) -> &'static str;

    /// The time between rounds when nothing wakes the job.
    fn interval(&self) -> Duration;

    /// The time before the first round (zero: at once).
    fn first_round_after(&self) -> Duration {
        Duration::ZERO
    }

    /// Something that starts a round before the interval is up (the export queue).
    fn wake(&self) -> Option<Arc<Notify>> {
        None
    }

    /// Whether at most one node sharing the store may run the job at a time (it then takes a
    /// lease in the store before each round and skips the round when another node holds it).
    fn exclusive(&self) -> bool {
        false
    }

    /// A round that has run longer than this makes `/readyz` report the job stuck.
    fn stuck_after(&self) -> Duration {
        (self.interval() * 10).max(Duration::from_secs(300))
    }

    /// Runs once before the first round (the export worker queues again what a restart cut short).
    async fn start(&self, _state: &AppState) -> anyhow::Result<()> {
        Ok(())
    }

    /// One round of the job.
    async fn run_once(&self, state: &AppState) -> anyhow::Result<()>;

    /// Runs once after the last round, when the registry stops.
    async fn stop(&self) {}
}

/// The jobs a server runs: the checkpoint signer, the export worker, the stream worker and
/// retention (when its interval is not zero).
pub fn server_jobs(state: &AppState) -> Vec<Arc<dyn Job>> {
    let mut jobs: Vec<Arc<dyn Job>> = vec![
        Arc::new(crate::integrity::CheckpointJob),
        Arc::new(crate::exports::worker::ExportJobs::new(state)),
        Arc::new(crate::streams::worker::StreamJob::new(state)),
    ];
    let retention_interval = state.settings.retention_interval;
    if !retention_interval.is_zero() {
        jobs.push(Arc::new(crate::retention::RetentionJob {
            interval: retention_interval,
        }));
    }
    jobs
}

/// Running jobs; [`stop`](Registry::stop) ends them.
pub struct Registry {
    stop: watch::Sender<()>,
    tasks: Vec<(Arc<dyn Job>, JoinHandle<()>)>,
}

impl Registry {
    /// Starts every job in its own task and registers it in `state.jobs` for `/readyz`.
    pub fn start(state: &AppState, jobs: Vec<Arc<dyn Job>>) -> Registry {
        let (stop, stopped) = watch::channel(());
        let tasks = jobs
            .into_iter()
            .map(|job| {
                let health = state.jobs.register(job.name(), job.stuck_after());
                let task = tokio::spawn(drive(state.clone(), job.clone(), health, stopped.clone()));
                (job, task)
            })
            .collect();
        Registry { stop, tasks }
    }

    /// Stops every job: a round under way finishes first, then each job's `stop` runs.
    pub async fn stop(self) {
        drop(self.stop);
        for (job, task) in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(job = job.name(), error = %e, "A background job ended abnormally");
            }
            job.stop().await;
        }
    }
}

/// Runs one round of `job` with its lease, metrics and health; what the registry's task and
/// tests share. Returns whether the round ran (false: another node holds the lease).
pub async fn run_round(
    state: &AppState,
    job: &dyn Job,
    health: &JobHealth,
) -> anyhow::Result<bool> {
    let name = job.name();
    if job.exclusive() && !take_lease(state, job).await? {
        return Ok(false);
    }
    health.round_started(state.clock.now());
    let result = job.run_once(state).await;
    metrics::counter!("trail_job_runs_total", "job" => name).increment(1);
    match &result {
        Ok(()) => {
            let now = state.clock.now();
            health.round_succeeded(now);
            metrics::gauge!("trail_job_last_success_timestamp_seconds", "job" => name)
                .set(now.0 as f64 / 1000.0);
        }
        Err(_) => {
            health.round_failed();
            metrics::counter!("trail_job_failures_total", "job" => name).increment(1);
        }
    }
    result.map(|()| true)
}

async fn take_lease(state: &AppState, job: &dyn Job) -> anyhow::Result<bool> {
    // The lease outlives one interval so that the holder keeps it from round to round.
    let ttl_ms = i64::try_from((job.interval() * 3).as_millis()).unwrap_or(i64::MAX);
    Ok(state
        .store
        .take_lease(job.name(), &state.node_id, state.clock.now(), ttl_ms)
        .await?)
}

async fn drive(
    state: AppState,
    job: Arc<dyn Job>,
    health: JobHealth,
    mut stop: watch::Receiver<()>,
) {
    let name = job.name();
    // Marks the job dead if this task ends any other way than by being stopped (a panic).
    let mut alive = health.alive_guard();
    if let Err(e) = job.start(&state).await {
        tracing::error!(job = name, error = %format!("{e:#}"), "A background job could not start");
    }
    let wake = job.wake();
    let mut delay = job.first_round_after();
    loop {
        let woken = async {
            match &wake {
                Some(wake) => wake.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = woken => {}
            _ = stop.changed() => break,
        }
        delay = job.interval();
        if let Err(e) = run_round(&state, job.as_ref(), &health).await {
            tracing::warn!(job = name, error = %format!("{e:#}"), "Background job round failed");
        }
    }
    alive.stopped();
    tracing::debug!(job = name, "Background job stopped");
}
