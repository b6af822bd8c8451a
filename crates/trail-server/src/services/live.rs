//! The live tail behind `GET /v1/events/stream`: a live tail of the organization's log as server-sent events, with the
//! same filters as search. Each message carries the new matching events (`event: events`, `data`
//! a JSON array) and `id` the `seq` of the last one, so a reconnecting client resumes exactly with
//! `Last-Event-ID`. A comment line every [`HEARTBEAT`] keeps proxies from closing an idle stream.
//!
//! Back-pressure: at most [`BUFFERED_MESSAGES`] messages wait for a client. One that does not read
//! them in time is dropped with a final `event: close` (`{"reason": "slow_client", …}`) instead of
//! being buffered without bound; it reconnects with `Last-Event-ID` and misses nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::json;
use tokio::sync::mpsc::{self, error::TrySendError};
use trail_core::query::{CmpOp, Condition, Field, Matcher, Order, Scalar, Search, SortKey};

use super::Caller;
use super::search::{SearchInput, narrowed};
use crate::audit;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::state::AppState;

/// How often the log is read for new events.
pub const POLL: Duration = Duration::from_millis(500);
/// How often an idle stream sends a comment line.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// Messages that may wait for a slow client before it is dropped.
pub const BUFFERED_MESSAGES: usize = 64;
/// Events read per poll (more arrive in the next message at once).
const BATCH: usize = 500;

const OPEN: u8 = 0;
const SLOW: u8 = 1;
const EXPIRED: u8 = 2;
const FAILED: u8 = 3;

/// Opens the caller's live tail: events matching `input`'s query (its times, paging and order are
/// not used) appended after `resume_after` (a `seq`), or after now. The opening is recorded
/// (`trail.events.streamed`) before anything is sent. The stream ends when the client goes away,
/// is too slow, or its viewer token expires, with a final `event: close` saying why.
pub async fn open(
    state: &AppState,
    caller: &Caller,
    input: &SearchInput,
    resume_after: Option<u64>,
) -> ApiResult<impl Stream<Item = Bytes> + Send + 'static> {
    let mut search = narrowed(state, caller, input).await?;
    search.from = None;
    search.to = None;
    search.cursor = None;
    search.sort = SortKey::Seq;
    search.order = Order::Asc;
    search.limit = BATCH;
    let org = caller.organization_id.clone();
    let next = match resume_after {
        Some(last) => last + 1,
        None => state.store.head(&org).await?.size,
    };
    let entry = input.entry("trail.events.streamed", "Watched the activity log live");
    audit::read(state, &caller.principal, &caller.meta, &org, entry).await?;
    let expires = match &caller.principal {
        Principal::Viewer(claims) => Some(claims.exp),
        _ => None,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(BUFFERED_MESSAGES);
    let closed = Arc::new(AtomicU8::new(OPEN));
    tokio::spawn(follow(
        state.clone(),
        org,
        search,
        next,
        expires,
        tx,
        closed.clone(),
    ));
    let messages = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|bytes| (bytes, rx))
    });
    let ending =
        futures_util::stream::once(async move { close_message(closed.load(Ordering::Acquire)) })
            .filter_map(|message| async move { message });
    Ok(
        futures_util::stream::once(async { Bytes::from_static(b"retry: 2000\n\n") })
            .chain(messages)
            .chain(ending),
    )
}

fn close_message(reason: u8) -> Option<Bytes> {
    let (reason, message) = match reason {
        SLOW => (
            "slow_client",
            "The client did not read events fast enough; reconnect with Last-Event-ID to resume.",
        ),
        EXPIRED => ("expired", "The viewer token has expired."),
        FAILED => (
            "unavailable",
            "The log could not be read; reconnect with Last-Event-ID to resume.",
        ),
        _ => return None,
    };
    Some(Bytes::from(format!(
        "event: close\ndata: {}\n\n",
        json!({"reason": reason, "message": message})
    )))
}

/// Reads new matching events from `next` on and sends them until the client goes away, is too
/// slow, or its viewer token expires.
async fn follow(
    state: AppState,
    org: String,
    search: Search,
    mut next: u64,
    expires: Option<i64>,
    tx: mpsc::Sender<Bytes>,
    closed: Arc<AtomicU8>,
) {
    let mut last_sent = tokio::time::Instant::now();
    let mut interval = tokio::time::interval(POLL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if tx.is_closed() {
            return;
        }
        if expires.is_some_and(|exp| exp <= state.clock.now().0) {
            closed.store(EXPIRED, Ordering::Release);
            return;
        }
        let head = match state.store.head(&org).await {
            Ok(head) => head.size,
            Err(e) => {
                tracing::warn!(organization_id = %org, error = %e, "Live stream could not read the log");
                closed.store(FAILED, Ordering::Release);
                return;
            }
        };
        while next < head {
            let mut page = search.clone();
            page.filter.conditions.push(seq_condition(CmpOp::Gte, next));
            page.filter.conditions.push(seq_condition(CmpOp::Lt, head));
            let events = match state.store.search(&org, &page).await {
                Ok(found) => found.events,
                Err(e) => {
                    tracing::warn!(organization_id = %org, error = %e, "Live stream could not read the log");
                    closed.store(FAILED, Ordering::Release);
                    return;
                }
            };
            let Some(last) = events.last() else {
                next = head;
                break;
            };
            let last_seq = last.seq;
            let message = format!(
                "id: {last_seq}\nevent: events\ndata: {}\n\n",
                serde_json::to_string(&events).unwrap_or_else(|_| "[]".into())
            );
            if !send(&tx, &closed, Bytes::from(message)) {
                return;
            }
            last_sent = tokio::time::Instant::now();
            next = last_seq + 1;
            if events.len() < BATCH {
                next = head;
            }
        }
        if last_sent.elapsed() >= HEARTBEAT {
            if !send(&tx, &closed, Bytes::from_static(b": heartbeat\n\n")) {
                return;
            }
            last_sent = tokio::time::Instant::now();
        }
    }
}

/// Queues a message; false when the client is gone or too slow (then the stream ends).
fn send(tx: &mpsc::Sender<Bytes>, closed: &AtomicU8, message: Bytes) -> bool {
    match tx.try_send(message) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            closed.store(SLOW, Ordering::Release);
            false
        }
        Err(TrySendError::Closed(_)) => false,
    }
}

fn seq_condition(op: CmpOp, seq: u64) -> Condition {
    Condition {
        field: Field::Seq,
        negated: false,
        matchers: vec![Matcher::Cmp(op, Scalar::Int(seq as i64))],
    }
}
