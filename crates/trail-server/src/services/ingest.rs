//! Ingest: a batch of events checked all-or-nothing (errors name each field) and appended to the
//! caller's organization's log, answered once durable. The HTTP route, and next the compatibility
//! routes and stream replays, call [`append`] (or [`append_events`] with events already parsed).

use std::time::Instant;

use trail_core::event::EventInput;
use trail_core::validate::{self, BodyError};
use trail_store::{Appended, StoreError};

use super::Caller;
use crate::access::Scope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A request body of events: one object, a JSON array, or NDJSON.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    pub bytes: &'a [u8],
    pub ndjson: bool,
}

/// Parses, validates and appends `body`; one [`Appended`] per event, in request order.
pub async fn append(state: &AppState, caller: &Caller, body: Body<'_>) -> ApiResult<Vec<Appended>> {
    caller.require(Scope::EventsWrite)?;
    let limits = &state.settings.limits;
    let inputs = validate::parse_body(body.bytes, body.ndjson, limits).map_err(|err| match err {
        BodyError::TooManyEvents { count, max } => ApiError::payload_too_large(format!(
            "The request holds {count} events; at most {max} are allowed per request. Split it into smaller batches."
        )),
        BodyError::Invalid(errors) => ApiError::invalid_fields(errors),
    })?;
    append_events(state, caller, inputs).await
}

/// Validates and appends events already parsed from their wire form.
pub async fn append_events(
    state: &AppState,
    caller: &Caller,
    inputs: Vec<EventInput>,
) -> ApiResult<Vec<Appended>> {
    caller.require(Scope::EventsWrite)?;
    let started = Instant::now();
    let ids: Vec<Option<String>> = inputs.iter().map(|e| e.id.clone()).collect();
    let mut events = validate::validate_batch(inputs, &state.settings.limits, state.clock.now())
        .map_err(ApiError::invalid_fields)?;
    let catalogue = state
        .catalogues
        .get(state.store.as_ref(), &caller.organization_id)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    catalogue
        .check_batch(&mut events)
        .map_err(ApiError::schema_violations)?;
    if let Some(locator) = &state.locator {
        locator.enrich(&mut events);
    }
    let count = events.len();
    let appended = state
        .store
        .append(&caller.organization_id, events)
        .await
        .map_err(|err| match err {
            StoreError::IdConflict { id } => id_conflict(&ids, id),
            other => ApiError::from_store(other, "organization"),
        })?;
    state.streams.wake.notify_one();
    metrics::counter!("trail_ingest_events_total").increment(count as u64);
    metrics::histogram!("trail_ingest_batch_events").record(count as f64);
    metrics::histogram!("trail_ingest_seconds").record(started.elapsed().as_secs_f64());
    Ok(appended)
}

/// A reused id, named by its place in the request (`events[3].id`).
fn id_conflict(ids: &[Option<String>], id: String) -> ApiError {
    let index = ids
        .iter()
        .position(|i| i.as_deref() == Some(id.as_str()))
        .unwrap_or(0);
    let mut err = ApiError::from_store(StoreError::IdConflict { id: id.clone() }, "event");
    err.details = vec![serde_json::json!({
        "field": format!("events[{index}].id"),
        "rule": "unique",
        "id": id,
    })];
    err
}
