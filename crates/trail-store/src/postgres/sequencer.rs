//! Group commit within one process: concurrent appends to one organization queue up, and one
//! task at a time per organization drains the queue into a single transaction. A request is
//! answered only after COMMIT; if the group's transaction fails for a reason other than the
//! database being unreachable, each request is retried alone so that one bad request fails alone.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use deadpool_postgres::Pool;
use tokio::sync::{Notify, oneshot};

use super::append::{Outcome, append_group};
use super::error::{db_error, pool_error};
use super::prepare::Prepared;
use crate::{Appended, Result, StoreError};

struct Request {
    events: Vec<Prepared>,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Queues {
    closed: bool,
    /// An organization has an entry exactly while a task is draining it.
    waiting: HashMap<String, VecDeque<Request>>,
}

pub(super) struct Sequencer {
    pool: Pool,
    max_group_events: usize,
    queues: Mutex<Queues>,
    /// Signalled when the last draining task stops.
    idle: Notify,
}

impl Sequencer {
    pub fn new(pool: Pool, max_group_events: usize) -> Sequencer {
        Sequencer {
            pool,
            max_group_events: max_group_events.max(1),
            queues: Mutex::new(Queues::default()),
            idle: Notify::new(),
        }
    }

    pub async fn append(
        self: &Arc<Self>,
        organization_id: &str,
        events: Vec<Prepared>,
    ) -> Result<Vec<Appended>> {
        let (reply, answer) = oneshot::channel();
        let request = Request { events, reply };
        {
            let mut queues = self.queues.lock().expect("queue lock");
            if queues.closed {
                return Err(StoreError::Unavailable("the store is closed".into()));
            }
            match queues.waiting.get_mut(organization_id) {
                Some(queue) => queue.push_back(request),
                None => {
                    let org = organization_id.to_owned();
                    queues
                        .waiting
                        .insert(org.clone(), VecDeque::from([request]));
                    tokio::spawn(Arc::clone(self).drain(org));
                }
            }
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer stopped".into())))
    }

    /// Refuses new appends and waits until every queued one has been answered.
    pub async fn close(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            {
                let mut queues = self.queues.lock().expect("queue lock");
                queues.closed = true;
                if queues.waiting.is_empty() {
                    return;
                }
            }
            idle.await;
        }
    }

    /// Commits the organization's queued requests, a group at a time, until none is left.
    async fn drain(self: Arc<Self>, organization_id: String) {
        loop {
            let group = {
                let mut queues = self.queues.lock().expect("queue lock");
                let queue = queues
                    .waiting
                    .get_mut(&organization_id)
                    .expect("a draining organization has a queue");
                let mut group = Vec::new();
                let mut weight = 0;
                while let Some(next) = queue.front() {
                    if !group.is_empty() && weight + next.events.len() > self.max_group_events {
                        break;
                    }
                    weight += next.events.len().max(1);
                    group.extend(queue.pop_front());
                }
                if group.is_empty() {
                    queues.waiting.remove(&organization_id);
                    if queues.waiting.is_empty() {
                        self.idle.notify_waiters();
                    }
                    return;
                }
                group
            };
            self.commit(&organization_id, group).await;
        }
    }

    async fn commit(&self, organization_id: &str, group: Vec<Request>) {
        let (batches, replies): (Vec<_>, Vec<_>) =
            group.into_iter().map(|r| (r.events, r.reply)).unzip();
        let outcomes = match self.transaction(organization_id, &batches).await {
            Err(StoreError::Internal(message)) if batches.len() > 1 => {
                tracing::warn!(error = %message, requests = batches.len(), "Group commit failed; retrying its requests one by one");
                let mut outcomes = Vec::with_capacity(batches.len());
                for batch in batches {
                    let single = std::slice::from_ref(&batch);
                    outcomes.push(match self.transaction(organization_id, single).await {
                        Ok(mut one) => one.pop().unwrap_or(Err(StoreError::NotFound)),
                        Err(e) => Err(e),
                    });
                }
                outcomes
            }
            Ok(outcomes) => outcomes,
            Err(e) => {
                let message = e.to_string();
                batches
                    .iter()
                    .map(|_| Err(same_error(&e, &message)))
                    .collect()
            }
        };
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }

    /// One transaction for `batches`; each request's outcome once it has committed.
    async fn transaction(
        &self,
        organization_id: &str,
        batches: &[Vec<Prepared>],
    ) -> Result<Vec<Outcome>> {
        let started = Instant::now();
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await.map_err(db_error)?;
        let (outcomes, appended) = append_group(&tx, organization_id, batches).await?;
        tx.commit().await.map_err(db_error)?;
        let seconds = started.elapsed().as_secs_f64();
        metrics::histogram!("trail_store_commit_seconds").record(seconds);
        metrics::histogram!("trail_store_commit_events").record(appended as f64);
        metrics::counter!("trail_store_events_appended_total").increment(appended);
        tracing::debug!(
            events = appended,
            requests = batches.len(),
            seconds,
            "Committed group"
        );
        Ok(outcomes)
    }
}

/// A copy of a group-wide error for each of its requests.
fn same_error(e: &StoreError, message: &str) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::NotFound => StoreError::NotFound,
        _ => StoreError::Internal(message.to_owned()),
    }
}
