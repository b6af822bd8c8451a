//! The benchmark's events, from the demo generator, in the three shapes its stages consume:
//! JSON-array request bodies (HTTP), validated `NewEvent` batches (store), and flat rows (baseline).

use anyhow::Context as _;
use serde_json::Value;
use trail_core::Millis;
use trail_core::event::{EventInput, NewEvent};
use trail_core::validate::{Limits, validate_event};

/// Events per request, per `Store::append` call and per baseline transaction.
pub const BATCH: usize = 1000;

/// One event as the baseline table stores it: a column per filter field plus the event JSON.
#[derive(Clone)]
pub struct Row {
    pub id: String,
    pub action: String,
    pub area: String,
    pub actor_id: String,
    pub actor_email: Option<String>,
    pub actor_role: Option<String>,
    pub actor_type: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub source: Option<String>,
    pub outcome: &'static str,
    pub ip: Option<String>,
    pub country: Option<String>,
    pub occurred_at: i64,
    pub json: String,
}

/// One batch of the same events in every shape a stage needs.
pub struct Batch {
    /// `[event, …]` as the HTTP API receives it; empty when no HTTP stage runs.
    pub body: Vec<u8>,
    pub events: Vec<NewEvent>,
    pub rows: Vec<Row>,
}

/// Turns up to `BATCH` generated events into a [`Batch`]. `now` is the receive time validation
/// checks `occurred_at` against.
pub fn prepare(values: Vec<Value>, now: Millis, with_body: bool) -> anyhow::Result<Batch> {
    let limits = Limits::default();
    let body = if with_body {
        serde_json::to_vec(&values).context("cannot encode a request body")?
    } else {
        Vec::new()
    };
    let mut events = Vec::with_capacity(values.len());
    let mut rows = Vec::with_capacity(values.len());
    for value in values {
        let json = value.to_string();
        let input: EventInput =
            serde_json::from_value(value).context("a generated event does not parse")?;
        let event = validate_event(input, &limits, now)
            .map_err(|errors| anyhow::anyhow!("a generated event is invalid: {errors:?}"))?;
        rows.push(row(&event, json));
        events.push(event);
    }
    Ok(Batch { body, events, rows })
}

fn row(event: &NewEvent, json: String) -> Row {
    let d = &event.data;
    Row {
        id: d.id.clone(),
        action: d.action.clone(),
        area: d.area.clone(),
        actor_id: d.actor.id.clone(),
        actor_email: d.actor.email.clone(),
        actor_role: d.actor.role.clone(),
        actor_type: d.actor.kind.clone(),
        resource_type: d.resource.as_ref().map(|r| r.kind.clone()),
        resource_id: d.resource.as_ref().and_then(|r| r.id.clone()),
        source: d.source.clone(),
        outcome: d.outcome.as_str(),
        ip: d.ip().map(str::to_owned),
        country: d.country().map(str::to_owned),
        occurred_at: d.occurred_at.0,
        json,
    }
}

/// Takes the next batch of generated values, or `None` when the generator is exhausted.
pub fn next_values(events: &mut impl Iterator<Item = Value>) -> Option<Vec<Value>> {
    let values: Vec<Value> = events.by_ref().take(BATCH).collect();
    (!values.is_empty()).then_some(values)
}

/// Prepares the first `count` events of `events` in memory, so that the timed stages measure
/// ingest and not generation.
pub fn prepare_all(
    events: &mut impl Iterator<Item = Value>,
    count: usize,
    now: Millis,
    with_body: bool,
) -> anyhow::Result<Vec<Batch>> {
    let mut batches = Vec::with_capacity(count.div_ceil(BATCH));
    let mut left = count;
    while left > 0 {
        let values: Vec<Value> = events.by_ref().take(left.min(BATCH)).collect();
        if values.is_empty() {
            break;
        }
        left -= values.len();
        batches.push(prepare(values, now, with_body)?);
    }
    Ok(batches)
}
