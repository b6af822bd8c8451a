//! The one writer thread: it drains every waiting request into one transaction (group commit),
//! gives each request its own SAVEPOINT so that a failing one rolls back alone, and answers each
//! only after COMMIT is durable.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::append::WriterState;
use super::prepare::PreparedEvent;
use super::schema::internal;
use crate::{Appended, Result, StoreError};

/// Called once the group's transaction has committed (`Ok`) or failed.
pub(super) type Reply = Box<dyn FnOnce(Result<()>) + Send>;

/// Any write other than a plain append: runs on the writer's connection inside its own savepoint
/// (with the writer's caches, for a change that appends its audit event) and returns whether it
/// failed together with how to answer.
pub(super) type AdminJob = Box<dyn FnOnce(&Connection, &mut WriterState) -> (bool, Reply) + Send>;

pub(super) enum Job {
    Append {
        organization_id: String,
        events: Vec<PreparedEvent>,
        reply: oneshot::Sender<Result<Vec<Appended>>>,
    },
    Admin(AdminJob),
}

impl Job {
    fn weight(&self) -> usize {
        match self {
            Job::Append { events, .. } => events.len().max(1),
            Job::Admin(_) => 1,
        }
    }
}

/// The query planner's statistics are refreshed each time this many more events (doubling) have
/// been appended since the writer started, so that it picks the selective index.
const FIRST_ANALYZE_AT: u64 = 2_000;

/// Runs until every sender is gone and the queue is drained.
pub(super) fn run(conn: Connection, jobs: Receiver<Job>, max_group_events: usize) {
    let mut state = WriterState::default();
    let (mut appended, mut analyze_at) = (0, FIRST_ANALYZE_AT);
    while let Ok(first) = jobs.recv() {
        let mut weight = first.weight();
        let mut group = vec![first];
        while weight < max_group_events {
            match jobs.try_recv() {
                Ok(job) => {
                    weight += job.weight();
                    group.push(job);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        appended += commit_group(&conn, &mut state, group);
        if appended >= analyze_at {
            analyze_at = appended * 2;
            let started = Instant::now();
            if let Err(e) = conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;") {
                tracing::warn!(error = %e, "Could not refresh planner statistics");
            }
            tracing::debug!(
                appended,
                seconds = started.elapsed().as_secs_f64(),
                "Analyzed"
            );
        }
    }
    tracing::debug!("SQLite writer stopped");
}

/// Commits one group and answers its requests; returns how many events it appended.
fn commit_group(conn: &Connection, state: &mut WriterState, group: Vec<Job>) -> u64 {
    let started = Instant::now();
    let span = tracing::debug_span!("group_commit", requests = group.len());
    let _enter = span.enter();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "Could not begin a write transaction");
        for job in group {
            // Dropping an admin job drops its answer channel, which its caller reads as unavailable.
            if let Job::Append { reply, .. } = job {
                let _ = reply.send(Err(StoreError::Unavailable(e.to_string())));
            }
        }
        return 0;
    }
    let mut replies: Vec<Reply> = Vec::with_capacity(group.len());
    let mut appended = 0u64;
    for job in group {
        replies.push(match job {
            Job::Append {
                organization_id,
                events,
                reply,
            } => {
                let result = in_savepoint(conn, state, |conn, state| {
                    let result = state.append(conn, &organization_id, events);
                    let failed = result.is_err();
                    (result, failed)
                })
                .and_then(|result| result);
                if let Ok(events) = &result {
                    appended += events.len() as u64;
                }
                Box::new(move |committed: Result<()>| {
                    let _ = reply.send(committed.and(result));
                })
            }
            Job::Admin(work) => match in_savepoint(conn, state, |conn, state| {
                let (failed, reply) = work(conn, state);
                (reply, failed)
            }) {
                Ok(reply) => reply,
                Err(e) => Box::new(move |_| tracing::error!(error = %e, "Admin write failed")),
            },
        });
    }
    let committed = conn.execute_batch("COMMIT").map_err(internal);
    if let Err(e) = &committed {
        tracing::error!(error = %e, "Group commit failed");
        let _ = conn.execute_batch("ROLLBACK");
        state.forget();
    }
    let seconds = started.elapsed().as_secs_f64();
    metrics::histogram!("trail_store_commit_seconds").record(seconds);
    metrics::histogram!("trail_store_commit_events").record(appended as f64);
    if committed.is_ok() {
        metrics::counter!("trail_store_events_appended_total").increment(appended);
    }
    tracing::debug!(events = appended, seconds, "Committed group");
    for reply in replies {
        reply(match &committed {
            Ok(()) => Ok(()),
            // Nothing of the group was stored, so the caller can safely retry: a full disk or an
            // I/O error is an outage (503 with Retry-After), not a bug.
            Err(e) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
        });
    }
    if committed.is_ok() { appended } else { 0 }
}

/// Runs `work` inside a savepoint and rolls back to it when `work` reports failure (`work`
/// restores the writer's caches itself).
fn in_savepoint<T>(
    conn: &Connection,
    state: &mut WriterState,
    work: impl FnOnce(&Connection, &mut WriterState) -> (T, bool),
) -> Result<T> {
    conn.execute_batch("SAVEPOINT job").map_err(internal)?;
    let (result, failed) = work(conn, state);
    let end = if failed {
        "ROLLBACK TO job; RELEASE job"
    } else {
        "RELEASE job"
    };
    if let Err(e) = conn.execute_batch(end) {
        // The caches may now be ahead of the database: reload them.
        state.forget();
        return Err(internal(e));
    }
    Ok(result)
}
