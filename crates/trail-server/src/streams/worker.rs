//! The stream worker: a background job (`streams`) that delivers every active stream from its
//! persisted cursor over `seq`. Each stream has at most one task on a node and one batch in flight;
//! a lease per stream (`stream:<organization>:<id>`) keeps other nodes off it. A batch is read
//! with `events_by_seq`, filtered in memory with the stream's query (`trail_store::plan::matches`),
//! sent, and only then is the cursor moved — so delivery is at least once and in order, and a
//! restart resumes where the store says. A failure the destination may recover from is retried
//! with exponential backoff and jitter (capped at `streams.max_backoff`) until
//! `streams.retry_window` has passed since the first failure; then, or at once for a permanent
//! failure, the stream goes to `error` with its undelivered range (from the cursor on) kept for
//! a replay. Object storage streams hold a partial batch until its oldest event has waited
//! `flush_seconds`, so that files are not one event each.
//!
//! Metrics per stream (labels `organization`, `stream`, `kind`): `trail_stream_events_delivered_total`,
//! `trail_stream_bytes_delivered_total`, `trail_stream_failures_total`, `trail_stream_lag_events`,
//! `trail_stream_last_success_timestamp_seconds` and `trail_stream_up` (1 while active).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use trail_core::Millis;
use trail_core::event::Event;
use trail_store::{StreamDelivery, StreamRecord, StreamState};

use super::sinks::{self, Sink, SinkError};
use crate::jobs::Job;
use crate::state::AppState;

/// What one call of [`deliver_batch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing new to deliver.
    CaughtUp,
    /// Moved the cursor (events sent, or none matched the filter); more may follow.
    Advanced { sent: usize },
    /// Failed; the next attempt is due at the time given.
    Retrying { at: Millis },
    /// The stream is not delivering (paused, error, disabled), or now stopped.
    Stopped,
    /// An administrator changed the stream while the batch was in flight; its result was dropped.
    Superseded,
    /// The next attempt is not due yet.
    Waiting,
}

/// The sinks the worker keeps between batches (connections, clients), by stream.
#[derive(Default)]
pub struct SinkCache {
    sinks: Mutex<HashMap<StreamKey, KeptSink>>,
}

/// A sink with the `updated_at` of the configuration it was built from.
type KeptSink = (Millis, Arc<dyn Sink>);

/// A stream by organization and id.
type StreamKey = (String, String);

impl SinkCache {
    fn get(&self, state: &AppState, record: &StreamRecord) -> Result<Arc<dyn Sink>, SinkError> {
        let stream = &record.stream;
        let key = (stream.organization_id.clone(), stream.id.clone());
        let mut sinks = self.sinks.lock().expect("sink cache lock");
        if let Some((version, sink)) = sinks.get(&key)
            && *version == stream.updated_at
        {
            return Ok(sink.clone());
        }
        let sink: Arc<dyn Sink> = sinks::build_for(state, stream)?.into();
        sinks.insert(key, (stream.updated_at, sink.clone()));
        Ok(sink)
    }
}

/// The wake-up of the worker (ingest rings it), the sinks it keeps, and the key that seals
/// stream secrets at rest.
#[derive(Default)]
pub struct Streams {
    pub wake: Arc<Notify>,
    pub sinks: SinkCache,
    /// Set at start (`AppState::with_stream_sealer`); without one secrets are stored as given.
    pub sealer: Option<super::sealing::Sealer>,
}

impl Streams {
    /// Seals the stream's secrets for storing.
    pub fn seal(&self, stream: &mut trail_store::Stream) {
        if let Some(sealer) = &self.sealer {
            sealer.seal(stream);
        }
    }

    /// The stream with its secrets opened, for delivering.
    pub fn open(&self, stream: &trail_store::Stream) -> Result<trail_store::Stream, SinkError> {
        match &self.sealer {
            Some(sealer) => sealer.open(stream).map_err(|e| SinkError::fatal(None, e)),
            None => Ok(stream.clone()),
        }
    }
}

fn labels(record: &StreamRecord) -> [(&'static str, String); 3] {
    [
        ("organization", record.stream.organization_id.clone()),
        ("stream", record.stream.id.clone()),
        ("kind", record.stream.kind.clone()),
    ]
}

/// How long to wait before attempt `attempts + 1`: doubling from a second up to `max`, then a
/// random share between a half and all of it, so that streams failing together spread out.
pub fn backoff(attempts: u32, max: Duration) -> Duration {
    let base = Duration::from_secs(1)
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
        .min(max);
    let jitter: f64 = rand::random_range(0.5..=1.0);
    base.mul_f64(jitter)
}

/// Delivers (at most) one batch of a stream, read afresh from the store, and records what
/// happened. The whole protocol of a stream's delivery, shared by the worker and tests.
pub async fn deliver_batch(state: &AppState, org: &str, id: &str) -> anyhow::Result<Outcome> {
    let record = state.store.get_stream(org, id).await?;
    let mut delivery = record.delivery.clone();
    let now = state.clock.now();
    if !delivery.state.delivers() {
        return Ok(Outcome::Stopped);
    }
    if delivery.next_attempt_at.is_some_and(|at| at > now) {
        return Ok(Outcome::Waiting);
    }
    let head = state.store.head(org).await?.size;
    let labels = labels(&record);
    metrics::gauge!("trail_stream_lag_events", &labels)
        .set(head.saturating_sub(delivery.cursor) as f64);
    if delivery.cursor >= head {
        return Ok(Outcome::CaughtUp);
    }
    let batch = state.settings.streams.batch_events as u64;
    if let Some(wait) = sinks::object_store::flush_wait(&record.stream)
        && head - delivery.cursor < batch
    {
        // Not a full file yet: wait until the oldest undelivered event has waited long enough.
        let oldest = state
            .store
            .events_by_seq(org, delivery.cursor, delivery.cursor + 1)
            .await?;
        if oldest
            .first()
            .is_some_and(|e| now.0 - e.received_at.0 < wait.as_millis() as i64)
        {
            return Ok(Outcome::Waiting);
        }
    }
    let to = head.min(delivery.cursor + batch);
    let events = state.store.events_by_seq(org, delivery.cursor, to).await?;
    // The filter was checked when saved; one that no longer parses stops the stream rather than
    // sending events it may not have selected.
    let filter = trail_core::query::parse(&record.stream.filter, now);
    let selected: Vec<Event> = match &filter {
        Ok(filter) => events
            .into_iter()
            .filter(|e| trail_store::plan::matches(filter, e))
            .collect(),
        Err(_) => Vec::new(),
    };
    let result = if let Err(e) = &filter {
        Err(SinkError::fatal(
            None,
            format!("the stream's filter does not parse: {e}"),
        ))
    } else if selected.is_empty() {
        Ok(0)
    } else {
        match state.streams.sinks.get(state, &record) {
            Ok(sink) => sink.send(&selected).await,
            Err(e) => Err(e),
        }
    };
    let now = state.clock.now();
    let outcome = match result {
        Ok(bytes) => {
            delivery.cursor = to;
            succeeded(&mut delivery, selected.len(), bytes, now, &labels);
            Outcome::Advanced {
                sent: selected.len(),
            }
        }
        Err(error) => {
            if error.delivered > 0 {
                delivery.cursor = selected[error.delivered - 1].seq + 1;
                succeeded(
                    &mut delivery,
                    error.delivered,
                    error.delivered_bytes,
                    now,
                    &labels,
                );
            }
            failed(state, &mut delivery, &error, now, &labels)
        }
    };
    metrics::gauge!("trail_stream_up", &labels)
        .set(f64::from(u8::from(delivery.state == StreamState::Active)));
    if !state.store.record_delivery(org, id, &delivery).await? {
        return Ok(Outcome::Superseded);
    }
    Ok(outcome)
}

fn succeeded(
    d: &mut StreamDelivery,
    events: usize,
    bytes: u64,
    now: Millis,
    labels: &[(&'static str, String); 3],
) {
    d.state = StreamState::Active;
    d.attempts = 0;
    d.next_attempt_at = None;
    d.failing_since = None;
    d.last_success_at = Some(now);
    d.events_delivered += events as u64;
    d.bytes_delivered += bytes;
    metrics::counter!("trail_stream_events_delivered_total", labels).increment(events as u64);
    metrics::counter!("trail_stream_bytes_delivered_total", labels).increment(bytes);
    metrics::gauge!("trail_stream_last_success_timestamp_seconds", labels)
        .set(now.0 as f64 / 1000.0);
}

fn failed(
    state: &AppState,
    d: &mut StreamDelivery,
    error: &SinkError,
    now: Millis,
    labels: &[(&'static str, String); 3],
) -> Outcome {
    metrics::counter!("trail_stream_failures_total", labels).increment(1);
    d.last_error_at = Some(now);
    d.last_status = error.status;
    d.attempts += 1;
    let since = *d.failing_since.get_or_insert(now);
    let window = state.settings.streams.retry_window.as_millis() as i64;
    if !error.retry {
        d.state = StreamState::Error;
        d.next_attempt_at = None;
        d.last_error = Some(error.message.clone());
        tracing::warn!(stream = %labels[1].1, error = %error.message, "Stream stopped by a permanent error");
        return Outcome::Stopped;
    }
    if now.0 - since.0 >= window {
        d.state = StreamState::Error;
        d.next_attempt_at = None;
        d.last_error = Some(format!(
            "gave up after {} attempts over the retry window of {:?}: {}",
            d.attempts, state.settings.streams.retry_window, error.message
        ));
        tracing::warn!(stream = %labels[1].1, error = %error.message, "Stream stopped: retries ran past the retry window");
        return Outcome::Stopped;
    }
    let at =
        Millis(now.0 + backoff(d.attempts, state.settings.streams.max_backoff).as_millis() as i64);
    d.state = StreamState::Retrying;
    d.next_attempt_at = Some(at);
    d.last_error = Some(error.message.clone());
    Outcome::Retrying { at }
}

/// Delivers batches of one stream until it is caught up, waiting, or stopped (what one task of
/// the worker does, and what tests call to drain a stream).
pub async fn deliver(state: &AppState, org: &str, id: &str) -> anyhow::Result<Outcome> {
    // The lease is renewed once a third of its time has passed, not after every batch: each
    // renewal is a durable write, and a batch takes milliseconds.
    let renew_every = Duration::from_millis(lease_ttl(state) as u64 / 3);
    let mut renewed = std::time::Instant::now();
    loop {
        match deliver_batch(state, org, id).await? {
            Outcome::Advanced { .. } | Outcome::Superseded => {
                if renewed.elapsed() >= renew_every {
                    if !take_lease(state, org, id).await? {
                        return Ok(Outcome::Stopped);
                    }
                    renewed = std::time::Instant::now();
                }
            }
            other => return Ok(other),
        }
    }
}

/// How long a node keeps a stream's lease between batches.
fn lease_ttl(state: &AppState) -> i64 {
    (state.settings.streams.request_timeout * 4)
        .max(Duration::from_secs(60))
        .as_millis() as i64
}

async fn take_lease(state: &AppState, org: &str, id: &str) -> anyhow::Result<bool> {
    Ok(state
        .store
        .take_lease(
            &format!("stream:{org}:{id}"),
            &state.node_id,
            state.clock.now(),
            lease_ttl(state),
        )
        .await?)
}

/// The background job: each round starts a task for every delivering stream that has none and
/// whose lease this node holds. Ingest wakes it, so a new event goes out at once.
pub struct StreamJob {
    state: AppState,
    wake: Arc<Notify>,
    interval: Duration,
    tasks: Mutex<HashMap<StreamKey, JoinHandle<()>>>,
}

impl StreamJob {
    pub fn new(state: &AppState) -> StreamJob {
        StreamJob {
            state: state.clone(),
            wake: state.streams.wake.clone(),
            interval: state.settings.streams.interval,
            tasks: Mutex::default(),
        }
    }
}

#[async_trait]
impl Job for StreamJob {
    fn name(&self) -> &'static str {
        "streams"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<()> {
        let records = state.store.all_streams().await?;
        let now = state.clock.now();
        for record in records {
            let (org, id) = (
                record.stream.organization_id.clone(),
                record.stream.id.clone(),
            );
            if !record.delivery.state.delivers()
                || record.delivery.next_attempt_at.is_some_and(|at| at > now)
            {
                continue;
            }
            let key = (org.clone(), id.clone());
            if self
                .tasks
                .lock()
                .expect("tasks lock")
                .get(&key)
                .is_some_and(|t| !t.is_finished())
            {
                continue;
            }
            if !take_lease(state, &org, &id).await? {
                continue;
            }
            let state = state.clone();
            let task = tokio::spawn(async move {
                if let Err(e) = deliver(&state, &org, &id).await {
                    tracing::warn!(stream = %id, error = %format!("{e:#}"), "Stream delivery round failed");
                }
            });
            self.tasks.lock().expect("tasks lock").insert(key, task);
        }
        Ok(())
    }

    async fn stop(&self) {
        let tasks: Vec<(StreamKey, JoinHandle<()>)> =
            self.tasks.lock().expect("tasks lock").drain().collect();
        // A batch under way may finish (its cursor then moves); one that does not is sent
        // again after the restart, which at-least-once allows. Then the leases are handed back
        // (renewed to expire now), so another node or the next start takes over at once.
        let state = &self.state;
        for ((org, id), mut task) in tasks {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
            let name = format!("stream:{org}:{id}");
            let now = state.clock.now();
            if let Err(e) = state.store.take_lease(&name, &state.node_id, now, 0).await {
                tracing::debug!(stream = %id, error = %e, "Could not hand back a stream lease");
            }
        }
    }
}
