//! The one writer thread: it drains every waiting request into one transaction (group commit),
//! gives each request its own SAVEPOINT so that a failing one rolls back alone, and answers each
//! only after COMMIT is durable.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::append::WriterState;
use super::prepare::PreparedBatch;
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
        batch: PreparedBatch,
        reply: oneshot::Sender<Result<Vec<Appended>>>,
    },
    Admin(AdminJob),
}

impl Job {
    fn weight(&self) -> usize {
        match self {
            Job::Append { batch, .. } => batch.events.len().max(1),
            Job::Admin(_) => 1,
        }
    }
}

/// Runs until every sender is gone and the queue is drained. Between groups it merges at most one
/// tier of index runs of an organization it just wrote to, so merges never hold up a group long.
pub(super) fn run(
    conn: Connection,
    mut state: WriterState,
    jobs: Receiver<Job>,
    max_group_events: usize,
) {
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
        let written = commit_group(&conn, &mut state, group);
        for org in written {
            merge_runs(&conn, &state, org);
        }
    }
    tracing::debug!("SQLite writer stopped");
}

/// Merges the organization's runs, one tier at a time, each merge in its own transaction.
fn merge_runs(conn: &Connection, state: &WriterState, org: i64) {
    let started = Instant::now();
    let merged = conn
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(internal)
        .and_then(|()| {
            let merged = state.merge_once(conn, org);
            match &merged {
                Ok(_) => conn.execute_batch("COMMIT").map_err(internal)?,
                Err(_) => {
                    let _ = conn.execute_batch("ROLLBACK");
                }
            }
            merged
        });
    match merged {
        Ok(true) => tracing::debug!(
            org,
            seconds = started.elapsed().as_secs_f64(),
            "Merged index runs"
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(org, error = %e, "Could not merge index runs"),
    }
}

/// Commits one group and answers its requests; returns the organizations it appended to.
fn commit_group(conn: &Connection, state: &mut WriterState, group: Vec<Job>) -> Vec<i64> {
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
        return Vec::new();
    }
    let mut replies: Vec<Reply> = Vec::with_capacity(group.len());
    let mut appended = 0u64;
    for job in group {
        replies.push(match job {
            Job::Append {
                organization_id,
                batch,
                reply,
            } => {
                let result = in_savepoint(conn, state, |conn, state| {
                    let result = state.append(conn, &organization_id, batch);
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
    // The group's events become blocks and one run of the index, in the same transaction.
    let committed = match state.poisoned {
        true => Err(StoreError::Internal(
            "a savepoint could not be released".into(),
        )),
        false => state.flush(conn),
    }
    .and_then(|written| {
        conn.execute_batch("COMMIT")
            .map_err(internal)
            .map(|()| written)
    });
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
            Ok(_) => Ok(()),
            // Nothing of the group was stored, so the caller can safely retry: a full disk or an
            // I/O error is an outage (503 with Retry-After), not a bug.
            Err(e) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
        });
    }
    committed.unwrap_or_default()
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
        // The database may now disagree with the group's pending events: fail the whole group.
        state.poisoned = true;
        return Err(internal(e));
    }
    Ok(result)
}
