//! How events map onto rows of `events`: the column arrays of a multi-row insert, and the
//! row → [`Event`] conversion. The event's content lives in `data` exactly as serialised; the
//! other columns are searchable copies.

use std::net::IpAddr;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use trail_core::Millis;
use trail_core::event::{Event, EventData};

use super::prepare::Prepared;
use crate::{Result, StoreError};

/// Columns of `events e` that [`read_event`] reads, in order.
pub(super) const EVENT_COLUMNS: &str = "e.seq, e.v, e.received_at, e.prev, e.hash, e.data::text";

/// `evt_` + 32 lowercase hex digits: the spelling of a server-assigned id.
pub(super) fn is_server_id(id: &str) -> bool {
    id.strip_prefix("evt_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// One event of an insert: its prepared values and its place in the log.
pub(super) struct Sealed<'a> {
    pub prepared: &'a Prepared,
    pub seq: u64,
    pub prev: [u8; 32],
    pub hash: [u8; 32],
}

/// The events of one insert, column by column, for `INSERT … SELECT … FROM unnest(…)`.
#[derive(Default)]
pub(super) struct EventRows<'a> {
    seq: Vec<i64>,
    id: Vec<&'a str>,
    occurred_at: Vec<i64>,
    received_at: Vec<i64>,
    prev: Vec<&'a [u8]>,
    hash: Vec<&'a [u8]>,
    action: Vec<&'a str>,
    area: Vec<&'a str>,
    outcome: Vec<&'static str>,
    actor_id: Vec<&'a str>,
    actor_type: Vec<&'a str>,
    actor_name: Vec<Option<&'a str>>,
    actor_email: Vec<Option<&'a str>>,
    actor_role: Vec<Option<&'a str>>,
    resource_type: Vec<Option<&'a str>>,
    resource_id: Vec<Option<&'a str>>,
    resource_name: Vec<Option<&'a str>>,
    source: Vec<Option<&'a str>>,
    country: Vec<Option<&'a str>>,
    ip: Vec<Option<IpAddr>>,
    targets: Vec<Option<&'a str>>,
    words: Vec<&'a str>,
    data: Vec<&'a str>,
}

/// Inserts the rows of [`EventRows::params`]; `$1` is the organization, `$2` the format version.
pub(super) const INSERT_EVENTS: &str = "INSERT INTO events (organization_id, seq, id, v, \
    occurred_at, received_at, prev, hash, action, area, outcome, actor_id, actor_type, actor_name, \
    actor_email, actor_role, resource_type, resource_id, resource_name, source, country, ip, \
    target_keys, words, data) \
    SELECT $1::text, u.seq, u.id, $2::smallint, u.occurred_at, u.received_at, u.prev, u.hash, u.action, u.area, \
    u.outcome, u.actor_id, u.actor_type, u.actor_name, u.actor_email, u.actor_role, \
    u.resource_type, u.resource_id, u.resource_name, u.source, u.country, u.ip, \
    CASE WHEN u.targets IS NULL THEN '{}' \
    ELSE ARRAY(SELECT json_array_elements_text(u.targets::json)) END, \
    array_to_tsvector(string_to_array(u.words, ' ')), u.data::json \
    FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bytea[], $8::bytea[], \
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], \
    $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::inet[], \
    $23::text[], $24::text[], $25::text[]) \
    AS u(seq, id, occurred_at, received_at, prev, hash, action, area, outcome, actor_id, \
    actor_type, actor_name, actor_email, actor_role, resource_type, resource_id, resource_name, \
    source, country, ip, targets, words, data)";

impl<'a> EventRows<'a> {
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    pub fn push(&mut self, event: &'a Sealed<'a>) {
        let (row, new) = (&event.prepared.row, &event.prepared.new);
        self.seq.push(event.seq as i64);
        self.id.push(&row.id);
        self.occurred_at.push(new.data.occurred_at.0);
        self.received_at.push(new.received_at.0);
        self.prev.push(&event.prev);
        self.hash.push(&event.hash);
        self.action.push(&row.action);
        self.area.push(&row.area);
        self.outcome.push(new.data.outcome.as_str());
        self.actor_id.push(&row.actor_id);
        self.actor_type.push(&row.actor_type);
        self.actor_name.push(row.actor_name.as_deref());
        self.actor_email.push(row.actor_email.as_deref());
        self.actor_role.push(row.actor_role.as_deref());
        self.resource_type.push(row.resource_type.as_deref());
        self.resource_id.push(row.resource_id.as_deref());
        self.resource_name.push(row.resource_name.as_deref());
        self.source.push(row.source.as_deref());
        self.country.push(row.country.as_deref());
        self.ip.push(row.ip);
        self.targets.push(row.targets.as_deref());
        self.words.push(&row.words);
        self.data.push(&row.data);
    }

    /// The parameters `$3…` of [`INSERT_EVENTS`], in order.
    pub fn params(&self) -> [&(dyn ToSql + Sync); 23] {
        [
            &self.seq,
            &self.id,
            &self.occurred_at,
            &self.received_at,
            &self.prev,
            &self.hash,
            &self.action,
            &self.area,
            &self.outcome,
            &self.actor_id,
            &self.actor_type,
            &self.actor_name,
            &self.actor_email,
            &self.actor_role,
            &self.resource_type,
            &self.resource_id,
            &self.resource_name,
            &self.source,
            &self.country,
            &self.ip,
            &self.targets,
            &self.words,
            &self.data,
        ]
    }
}

/// Builds the event of a row selected with [`EVENT_COLUMNS`].
pub(super) fn read_event(row: &Row, organization_id: &str) -> Result<Event> {
    let bad = |what: &str| StoreError::Internal(format!("bad stored event: {what}"));
    let get = |e: tokio_postgres::Error| bad(&e.to_string());
    let seq: i64 = row.try_get(0).map_err(get)?;
    let v: i16 = row.try_get(1).map_err(get)?;
    let received_at: i64 = row.try_get(2).map_err(get)?;
    let prev: &[u8] = row.try_get(3).map_err(get)?;
    let hash: &[u8] = row.try_get(4).map_err(get)?;
    let data: &str = row.try_get(5).map_err(get)?;
    let data: EventData = serde_json::from_str(data).map_err(|e| bad(&e.to_string()))?;
    Ok(Event {
        v: u8::try_from(v).map_err(|_| bad("format version"))?,
        organization_id: organization_id.to_owned(),
        seq: u64::try_from(seq).map_err(|_| bad("seq"))?,
        received_at: Millis(received_at),
        prev: trail_core::ids::hex_lower(prev),
        hash: trail_core::ids::hex_lower(hash),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::is_server_id;

    #[test]
    fn server_ids_are_evt_and_32_lowercase_hex_digits() {
        assert!(is_server_id("evt_0190f5b2c3d47e8f9a0b1c2d3e4f5a6b"));
        assert!(!is_server_id("evt_0190F5B2C3D47E8F9A0B1C2D3E4F5A6B"));
        assert!(!is_server_id("evt_1"));
        assert!(!is_server_id("order-7"));
    }
}
