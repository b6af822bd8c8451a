//! How an event maps onto a row of `events`: the column arrays of a multi-row insert, and the
//! row → [`Event`] conversion. The event's content lives in `data` exactly as serialised; the
//! other columns are searchable copies.

use std::net::IpAddr;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use trail_core::Millis;
use trail_core::event::{Event, EventData};

use super::text::index_words;
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

/// The `ip` column: only a canonically spelled address (others stay searchable as text only).
fn ip_column(data: &EventData) -> Option<IpAddr> {
    let ip = data.ip()?;
    let addr: IpAddr = ip.parse().ok()?;
    (addr.to_string() == ip).then_some(addr)
}

/// PostgreSQL text cannot hold NUL; the searchable copies drop it (`data` keeps it, escaped).
fn searchable(value: &str) -> String {
    value.replace('\0', "")
}

fn searchable_opt(value: Option<&str>) -> Option<String> {
    value.map(searchable)
}

fn hash_bytes(hex_hash: &str) -> Result<Vec<u8>> {
    hex::decode(hex_hash).map_err(|e| StoreError::Internal(format!("bad leaf hash: {e}")))
}

/// The events of one insert, column by column, for `INSERT … SELECT … FROM unnest(…)`.
#[derive(Default)]
pub(super) struct EventRows {
    seq: Vec<i64>,
    id: Vec<String>,
    occurred_at: Vec<i64>,
    received_at: Vec<i64>,
    prev: Vec<Vec<u8>>,
    hash: Vec<Vec<u8>>,
    action: Vec<String>,
    area: Vec<String>,
    outcome: Vec<String>,
    actor_id: Vec<String>,
    actor_type: Vec<String>,
    actor_name: Vec<Option<String>>,
    actor_email: Vec<Option<String>>,
    actor_role: Vec<Option<String>>,
    resource_type: Vec<Option<String>>,
    resource_id: Vec<Option<String>>,
    resource_name: Vec<Option<String>>,
    source: Vec<Option<String>>,
    country: Vec<Option<String>>,
    ip: Vec<Option<IpAddr>>,
    targets: Vec<Option<String>>,
    words: Vec<String>,
    data: Vec<String>,
}

/// Inserts the rows of [`EventRows::params`]; `$1` is the organization, `$2` the format version.
pub(super) const INSERT_EVENTS: &str = "INSERT INTO events (organization_id, seq, id, v, \
    occurred_at, received_at, prev, hash, action, area, outcome, actor_id, actor_type, actor_name, \
    actor_email, actor_role, resource_type, resource_id, resource_name, source, country, ip, \
    target_keys, words, data) \
    SELECT $1::text, u.seq, u.id, $2::smallint, u.occurred_at, u.received_at, u.prev, u.hash, u.action, u.area, \
    u.outcome, u.actor_id, u.actor_type, u.actor_name, u.actor_email, u.actor_role, \
    u.resource_type, u.resource_id, u.resource_name, u.source, u.country, u.ip, \
    ARRAY(SELECT json_array_elements_text(u.targets::json)), \
    array_to_tsvector(string_to_array(u.words, ' ')), u.data::json \
    FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bytea[], $8::bytea[], \
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], \
    $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::inet[], \
    $23::text[], $24::text[], $25::text[]) \
    AS u(seq, id, occurred_at, received_at, prev, hash, action, area, outcome, actor_id, \
    actor_type, actor_name, actor_email, actor_role, resource_type, resource_id, resource_name, \
    source, country, ip, targets, words, data)";

impl EventRows {
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    pub fn push(&mut self, event: &Event) -> Result<()> {
        let data = &event.data;
        let resource = data.resource.as_ref();
        let mut target_keys: Vec<String> = data
            .targets
            .iter()
            .flat_map(|t| [t.id.as_deref(), t.name.as_deref()])
            .flatten()
            .map(|value| searchable(value).to_ascii_lowercase())
            .collect();
        target_keys.sort_unstable();
        target_keys.dedup();
        self.seq.push(event.seq as i64);
        self.id.push(searchable(&data.id));
        self.occurred_at.push(data.occurred_at.0);
        self.received_at.push(event.received_at.0);
        self.prev.push(hash_bytes(&event.prev)?);
        self.hash.push(hash_bytes(&event.hash)?);
        self.action.push(searchable(&data.action));
        self.area.push(searchable(&data.area));
        self.outcome.push(data.outcome.as_str().to_owned());
        self.actor_id.push(searchable(&data.actor.id));
        self.actor_type.push(searchable(&data.actor.kind));
        self.actor_name
            .push(searchable_opt(data.actor.name.as_deref()));
        self.actor_email
            .push(searchable_opt(data.actor.email.as_deref()));
        self.actor_role
            .push(searchable_opt(data.actor.role.as_deref()));
        self.resource_type
            .push(resource.map(|r| searchable(&r.kind)));
        self.resource_id
            .push(searchable_opt(resource.and_then(|r| r.id.as_deref())));
        self.resource_name
            .push(searchable_opt(resource.and_then(|r| r.name.as_deref())));
        self.source.push(searchable_opt(data.source.as_deref()));
        self.country.push(searchable_opt(data.country()));
        self.ip.push(ip_column(data));
        self.targets.push(
            (!target_keys.is_empty())
                .then(|| serde_json::to_string(&target_keys).expect("strings serialize")),
        );
        self.words.push(index_words(data));
        self.data
            .push(serde_json::to_string(data).expect("events serialize"));
        Ok(())
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
        prev: hex::encode(prev),
        hash: hex::encode(hash),
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
