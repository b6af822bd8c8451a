//! Reading an event back from a row of the v1 `events` table (one row per event, dictionary ids),
//! which `convert` turns into blocks.

use rusqlite::Row;
use trail_core::Millis;
use trail_core::event::{
    Actor, EVENT_FORMAT_VERSION, Event, EventData, GENESIS_PREV, Outcome, Resource,
};

use super::columns::{Body, id_text, ip_text};

fn bad(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("bad stored {what}").into(),
    )
}

/// Builds the event of a row whose columns 5 to 12 are the dictionary columns, as `dict` reads
/// them (their values, or their ids looked up in memory), and column 20 is not read.
pub(super) fn build_event(
    row: &Row<'_>,
    organization_id: &str,
    dict: impl Fn(usize) -> rusqlite::Result<Option<String>>,
    prev: Option<Vec<u8>>,
) -> rusqlite::Result<Event> {
    let required = |column: usize| dict(column)?.ok_or_else(|| bad(column, "dictionary value"));
    let seq: i64 = row.get(0)?;
    let occurred_at: i64 = row.get(1)?;
    let received_delta: i64 = row.get(2)?;
    let id = id_text(row.get_ref(3)?).ok_or_else(|| bad(3, "id"))?;
    let hash: Vec<u8> = row.get(4)?;
    let outcome = match required(7)?.as_str() {
        "failure" => Outcome::Failure,
        "success" => Outcome::Success,
        _ => return Err(bad(7, "outcome")),
    };
    let resource_type: Option<String> = dict(11)?;
    let ip: Option<Vec<u8>> = row.get(18)?;
    let body = Body::decode(row.get_ref(19)?.as_str_or_null()?).map_err(|_| bad(19, "body"))?;
    let mut data = EventData {
        trail: None,
        id,
        action: required(5)?,
        area: required(6)?,
        occurred_at: Millis(occurred_at),
        actor: Actor {
            id: row.get(13)?,
            kind: required(8)?,
            name: row.get(14)?,
            email: row.get(15)?,
            role: dict(10)?,
        },
        resource: resource_type
            .map(|kind| -> rusqlite::Result<Resource> {
                Ok(Resource {
                    kind,
                    id: row.get(16)?,
                    name: row.get(17)?,
                })
            })
            .transpose()?,
        targets: Vec::new(),
        source: dict(9)?,
        outcome,
        reason: None,
        description: None,
        context: None,
        changes: Vec::new(),
        metadata: None,
    };
    body.restore(&mut data, ip.as_deref().and_then(ip_text), dict(12)?);
    Ok(Event {
        v: EVENT_FORMAT_VERSION,
        organization_id: organization_id.to_owned(),
        seq: seq as u64,
        received_at: Millis(occurred_at + received_delta),
        prev: prev.map_or_else(
            || GENESIS_PREV.to_owned(),
            |p| trail_core::ids::hex_lower(&p),
        ),
        hash: trail_core::ids::hex_lower(&hash),
        data,
    })
}
