//! SIEM streams for admins (`streams:manage`): create, list, one, change, delete, pause, resume,
//! replay from a `seq` or a time, and send a marked test event — each change committed with its
//! audit event (`trail.stream.created`, `.updated`, `.deleted`, `.paused`, `.resumed`,
//! `.replayed`, `.tested`), secrets never returned nor recorded. A stream's health (state, lag,
//! last success and error, counters) is read with it.

use serde::Serialize;
use serde_json::{Value, json};
use trail_core::Millis;
use trail_core::event::{Actor, Event, EventData, Outcome as EventOutcome};
use trail_store::{Change, Changed, StoreError, Stream, StreamControl, StreamRecord, StreamState};
use utoipa::ToSchema;

use crate::access::Permission;
use crate::audit::{self, Entry};
use crate::error::{ApiError, ApiResult};
use crate::services::Caller;
use crate::state::AppState;
use crate::streams::input::StreamInput;
use crate::streams::sinks;

/// The last error of a stream.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastError {
    #[schema(value_type = String)]
    pub at: Millis,
    /// The HTTP status; `null` for a connection failure.
    pub status: Option<u16>,
    /// What failed, with a snippet of the response.
    pub message: String,
}

/// The events not delivered yet, by `seq` (`to_seq` exclusive).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeqRange {
    pub from_seq: u64,
    pub to_seq: u64,
}

/// How a stream is doing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `active`, `retrying`, `error`, `paused` or `disabled`.
    #[schema(value_type = String)]
    pub state: StreamState,
    /// The next `seq` to deliver.
    pub cursor: u64,
    /// Events in the log not yet looked at (some may not match the filter).
    pub lag_events: u64,
    /// When the oldest of them was received.
    #[schema(value_type = Option<String>)]
    pub oldest_undelivered_at: Option<Millis>,
    /// Its age in seconds.
    pub oldest_undelivered_age_seconds: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub last_success_at: Option<Millis>,
    pub last_error: Option<LastError>,
    /// Failed attempts of the batch at the cursor.
    pub attempts: u32,
    #[schema(value_type = Option<String>)]
    pub next_attempt_at: Option<Millis>,
    /// Set while stopped in `error` or `paused` with events waiting: what a replay or resume sends.
    pub undelivered: Option<SeqRange>,
    pub events_delivered: u64,
    pub bytes_delivered: u64,
}

/// A stream as the API shows it: no secret, except a generated webhook secret once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamView {
    pub id: String,
    pub name: String,
    /// `splunk_hec`, `webhook`, `syslog` or `object_store`.
    pub kind: String,
    /// `trail`, `ocsf`, `ecs` or `cef`.
    pub format: String,
    pub url: String,
    /// The query selecting the events delivered; empty for all.
    pub filter: String,
    /// The kind's settings (index, sourcetype, ack, facility, app_name, sd_id, host, ca_cert,
    /// region, endpoint, access_key_id).
    #[schema(value_type = Object)]
    pub settings: Value,
    /// Whether a token (HEC), secret (webhook) or secret access key (object storage) is set;
    /// they are never returned.
    pub secret_set: bool,
    /// The webhook secret Trail generated, shown only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub health: Health,
    #[schema(value_type = String)]
    pub created_at: Millis,
    #[schema(value_type = String)]
    pub updated_at: Millis,
}

/// What a test delivery did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TestResult {
    pub delivered: bool,
    /// The HTTP status of a failure.
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The test event's id (`action` `trail.stream.test`).
    pub event_id: String,
}

/// Where a replay starts.
#[derive(Debug, Clone)]
pub enum ReplayFrom {
    Seq(u64),
    /// The first event received at or after this time.
    Time(Millis),
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "conflict",
            "A stream with this name already exists in the organization.",
        )
        .with_details([json!({"field": "name", "rule": "unique", "message": "A stream with this name already exists."})]),
        other => ApiError::from_store(other, "stream"),
    }
}

/// The health of a stream, with the log's head and the oldest undelivered event.
pub async fn health(state: &AppState, record: &StreamRecord) -> ApiResult<Health> {
    let d = &record.delivery;
    let org = &record.stream.organization_id;
    let head = state.store.head(org).await.map_err(store_error)?.size;
    let lag = head.saturating_sub(d.cursor);
    let oldest = if lag > 0 {
        let first = state
            .store
            .first_retained_seq(org)
            .await
            .map_err(store_error)?;
        let from = d.cursor.max(first);
        state
            .store
            .events_by_seq(org, from, (from + 1).min(head))
            .await
            .map_err(store_error)?
            .first()
            .map(|e| e.received_at)
    } else {
        None
    };
    let now = state.clock.now();
    let stopped = matches!(
        d.state,
        StreamState::Error | StreamState::Paused | StreamState::Disabled
    );
    Ok(Health {
        state: d.state,
        cursor: d.cursor,
        lag_events: lag,
        oldest_undelivered_at: oldest,
        oldest_undelivered_age_seconds: oldest.map(|at| (now.0 - at.0).max(0) as f64 / 1000.0),
        last_success_at: d.last_success_at,
        last_error: match (d.last_error_at, &d.last_error) {
            (Some(at), Some(message)) => Some(LastError {
                at,
                status: d.last_status,
                message: message.clone(),
            }),
            _ => None,
        },
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at,
        undelivered: (stopped && lag > 0).then_some(SeqRange {
            from_seq: d.cursor,
            to_seq: head,
        }),
        events_delivered: d.events_delivered,
        bytes_delivered: d.bytes_delivered,
    })
}

async fn view(
    state: &AppState,
    record: StreamRecord,
    secret: Option<String>,
) -> ApiResult<StreamView> {
    let health = health(state, &record).await?;
    let s = record.stream;
    let secret_set = s.secrets.get("token").is_some()
        || s.secrets.get("secret_access_key").is_some()
        || s.secrets
            .get("secrets")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
    Ok(StreamView {
        id: s.id,
        name: s.name,
        kind: s.kind,
        format: s.format,
        url: s.url,
        filter: s.filter,
        settings: s.settings,
        secret_set,
        secret,
        health,
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

async fn get_record(state: &AppState, caller: &Caller, id: &str) -> ApiResult<StreamRecord> {
    state
        .store
        .get_stream(&caller.organization_id, id)
        .await
        .map_err(store_error)
}

fn stored(changed: Changed) -> ApiResult<StreamRecord> {
    match changed {
        Changed::Stream(record) => Ok(*record),
        other => Err(ApiError::internal(format!(
            "a stream change became {other:?}"
        ))),
    }
}

/// What the audit event says about a stream (never its secrets).
fn described(entry: Entry, stream: &Stream) -> Entry {
    entry
        .resource("stream", &stream.id, Some(&stream.name))
        .metadata("kind", stream.kind.clone())
        .metadata("url", stream.url.clone())
        .metadata("format", stream.format.clone())
        .metadata("filter", stream.filter.clone())
}

pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<StreamView>> {
    caller.require(Permission::StreamsManage)?;
    let records = state
        .store
        .list_streams(&caller.organization_id)
        .await
        .map_err(store_error)?;
    let mut views = Vec::with_capacity(records.len());
    for record in records {
        views.push(view(state, record, None).await?);
    }
    Ok(views)
}

pub async fn get(state: &AppState, caller: &Caller, id: &str) -> ApiResult<StreamView> {
    caller.require(Permission::StreamsManage)?;
    view(state, get_record(state, caller, id).await?, None).await
}

/// Creates a stream that starts with the next event appended.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: StreamInput,
) -> ApiResult<StreamView> {
    caller.require(Permission::StreamsManage)?;
    let org = &caller.organization_id;
    let checked = input.check(None, org, state.clock.now())?;
    let cursor = state.store.head(org).await.map_err(store_error)?.size;
    let mut stream = checked.stream;
    state.streams.seal(&mut stream);
    let entry = described(
        Entry::new(
            "trail.stream.created",
            format!("Created the stream {:?}", stream.name),
        ),
        &stream,
    );
    let change = Change::CreateStream { stream, cursor };
    let changed = audit::change(
        state,
        &caller.principal,
        &caller.meta,
        org,
        change,
        move |_| Some(entry),
    )
    .await
    .map_err(store_error)?;
    state.streams.wake.notify_one();
    view(state, stored(changed)?, checked.shown_secret).await
}

/// Changes a stream's configuration; its cursor and health stay.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: StreamInput,
) -> ApiResult<StreamView> {
    caller.require(Permission::StreamsManage)?;
    if input.organization_id.is_some() {
        return Err(ApiError::invalid_field(
            "organization_id",
            "query_only",
            "Name the organization with `?organization_id=` when changing a stream.",
        ));
    }
    let org = &caller.organization_id;
    let old = get_record(state, caller, id).await?.stream;
    let secret_changed = input.token.is_some()
        || input.secret.is_some()
        || input.secret_access_key.is_some()
        || input.rotate_secret == Some(true);
    let checked = input.check(Some(&old), org, state.clock.now())?;
    let mut new = checked.stream;
    state.streams.seal(&mut new);
    let mut entry = Entry::new(
        "trail.stream.updated",
        format!("Changed the stream {:?}", new.name),
    );
    for (field, before, after) in [
        ("name", json!(old.name), json!(new.name)),
        ("url", json!(old.url), json!(new.url)),
        ("format", json!(old.format), json!(new.format)),
        ("filter", json!(old.filter), json!(new.filter)),
        ("settings", old.settings.clone(), new.settings.clone()),
    ] {
        if before != after {
            entry = entry.change(field, before, after);
        }
    }
    if secret_changed {
        entry = entry.metadata("secret_changed", true);
    }
    let entry = described(entry, &new);
    let changed = audit::change(
        state,
        &caller.principal,
        &caller.meta,
        org,
        Change::UpdateStream(new),
        move |_| Some(entry),
    )
    .await
    .map_err(store_error)?;
    view(state, stored(changed)?, checked.shown_secret).await
}

pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    caller.require(Permission::StreamsManage)?;
    let org = &caller.organization_id;
    let old = get_record(state, caller, id).await?.stream;
    let entry = described(
        Entry::new(
            "trail.stream.deleted",
            format!("Deleted the stream {:?}", old.name),
        ),
        &old,
    );
    audit::change(
        state,
        &caller.principal,
        &caller.meta,
        org,
        Change::DeleteStream { id: id.to_owned() },
        move |_| Some(entry),
    )
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Pauses or resumes a stream.
pub async fn control(
    state: &AppState,
    caller: &Caller,
    id: &str,
    control: StreamControl,
) -> ApiResult<StreamView> {
    caller.require(Permission::StreamsManage)?;
    let org = &caller.organization_id;
    let old = get_record(state, caller, id).await?;
    let (action, verb) = match control {
        StreamControl::Pause => ("trail.stream.paused", "Paused"),
        StreamControl::Resume => ("trail.stream.resumed", "Resumed"),
        StreamControl::Replay { .. } => ("trail.stream.replayed", "Replayed"),
    };
    let mut entry = described(
        Entry::new(action, format!("{verb} the stream {:?}", old.stream.name)),
        &old.stream,
    )
    .change(
        "state",
        old.delivery.state.as_str(),
        match control {
            StreamControl::Pause => "paused",
            StreamControl::Resume => "active",
            StreamControl::Replay { .. } => old.delivery.state.as_str(),
        },
    );
    if let StreamControl::Replay { from_seq } = control {
        entry = entry.change("cursor", old.delivery.cursor, from_seq);
    }
    let changed = audit::change(
        state,
        &caller.principal,
        &caller.meta,
        org,
        Change::ControlStream {
            id: id.to_owned(),
            control,
        },
        move |_| Some(entry),
    )
    .await
    .map_err(store_error)?;
    state.streams.wake.notify_one();
    view(state, stored(changed)?, None).await
}

/// Moves a stream's cursor to `from` (back to send again, forward to skip).
pub async fn replay(
    state: &AppState,
    caller: &Caller,
    id: &str,
    from: ReplayFrom,
) -> ApiResult<StreamView> {
    caller.require(Permission::StreamsManage)?;
    let org = &caller.organization_id;
    let head = state.store.head(org).await.map_err(store_error)?.size;
    let first = state
        .store
        .first_retained_seq(org)
        .await
        .map_err(store_error)?;
    let from_seq = match from {
        ReplayFrom::Seq(seq) if seq > head => {
            return Err(ApiError::invalid_field(
                "from_seq",
                "range",
                format!("`from_seq` must be at most the log's size, {head}."),
            ));
        }
        ReplayFrom::Seq(seq) => seq,
        ReplayFrom::Time(at) => first_received_at_or_after(state, org, at, first, head).await?,
    };
    control(state, caller, id, StreamControl::Replay { from_seq }).await
}

/// The first seq in `[lo, hi)` received at or after `at` (`hi` when none), by binary search on the
/// log's order (`received_at` grows with `seq`).
async fn first_received_at_or_after(
    state: &AppState,
    org: &str,
    at: Millis,
    mut lo: u64,
    mut hi: u64,
) -> ApiResult<u64> {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let event = state
            .store
            .events_by_seq(org, mid, mid + 1)
            .await
            .map_err(store_error)?;
        match event.first() {
            Some(e) if e.received_at >= at => hi = mid,
            _ => lo = mid + 1,
        }
    }
    Ok(lo)
}

/// Sends one marked test event (`trail.stream.test`, not in the log) to the destination now.
pub async fn test(state: &AppState, caller: &Caller, id: &str) -> ApiResult<TestResult> {
    caller.require(Permission::StreamsManage)?;
    let record = get_record(state, caller, id).await?;
    let now = state.clock.now();
    let event = test_event(&record.stream, now);
    let result = match sinks::build_for(state, &record.stream) {
        Ok(sink) => sink.send(std::slice::from_ref(&event)).await.map(drop),
        Err(e) => Err(e),
    };
    let answer = TestResult {
        delivered: result.is_ok(),
        status: result.as_ref().err().and_then(|e| e.status),
        error: result.as_ref().err().map(|e| e.message.clone()),
        event_id: event.data.id.clone(),
    };
    let mut entry = described(
        Entry::new(
            "trail.stream.tested",
            format!("Sent a test event to the stream {:?}", record.stream.name),
        ),
        &record.stream,
    )
    .metadata("delivered", answer.delivered);
    if let Some(error) = &answer.error {
        entry = entry.metadata("error", error.clone());
        entry.outcome = Some("failure");
    }
    audit::record(
        state,
        &caller.principal,
        &caller.meta,
        &caller.organization_id,
        entry,
    )
    .await?;
    Ok(answer)
}

/// The test event: `trail.stream.test`, marked `metadata.test = true`, `seq` 0, not in the log.
pub fn test_event(stream: &Stream, now: Millis) -> Event {
    Event {
        v: 1,
        organization_id: stream.organization_id.clone(),
        seq: 0,
        received_at: now,
        prev: String::new(),
        hash: String::new(),
        data: EventData {
            id: format!("test_{}", trail_core::ids::new_event_id()),
            action: "trail.stream.test".into(),
            area: "trail".into(),
            occurred_at: now,
            actor: Actor {
                id: "trail".into(),
                kind: "system".into(),
                name: Some("Trail".into()),
                email: None,
                role: None,
            },
            resource: Some(trail_core::event::Resource {
                kind: "stream".into(),
                id: Some(stream.id.clone()),
                name: Some(stream.name.clone()),
            }),
            targets: Vec::new(),
            source: Some("system".into()),
            outcome: EventOutcome::Success,
            reason: None,
            description: Some(format!("Test event for the stream {:?}", stream.name)),
            context: None,
            changes: Vec::new(),
            metadata: Some(serde_json::Map::from_iter([(
                "test".to_owned(),
                json!(true),
            )])),
            trail: None,
        },
    }
}
