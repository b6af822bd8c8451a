//! The canonical JSON of a stored event without `hash`, written field by field from the typed
//! event in RFC 8785 key order, and `CanonicalParts`: that JSON cut where `prev` and `seq` go, so a
//! store can prepare it before it knows the event's place in the log.

use sha2::{Digest, Sha256};

use super::json::{write_key, write_object, write_str, write_u64, write_value};
use crate::Millis;
use crate::event::{
    Actor, Change, Context, EVENT_FORMAT_VERSION, EventData, Location, NewEvent, Resource,
};

/// The fields of the stored event that are not in `EventData`. `prev` and `seq` are `None` when
/// the caller splices them in later.
pub(super) struct Envelope<'a> {
    pub v: u8,
    pub organization_id: &'a str,
    pub received_at: Millis,
    pub prev: Option<&'a str>,
    pub seq: Option<u64>,
}

/// Where the values of `prev` and `seq` go (or went) in the written bytes.
struct Slots {
    prev: usize,
    seq: usize,
}

/// Writes the canonical JSON of the stored event minus `hash`. The members are in the byte order of
/// their (ASCII) names, which is RFC 8785's order: action, actor, area, changes, context,
/// description, id, metadata, occurred_at, organization_id, outcome, prev, reason, received_at,
/// resource, seq, source, targets, trail, v.
fn write_stored(out: &mut Vec<u8>, envelope: &Envelope<'_>, data: &EventData) -> Slots {
    out.push(b'{');
    write_key(out, "action");
    write_str(out, &data.action);
    out.extend_from_slice(b",\"actor\":");
    write_actor(out, &data.actor);
    out.extend_from_slice(b",\"area\":");
    write_str(out, &data.area);
    if !data.changes.is_empty() {
        out.extend_from_slice(b",\"changes\":");
        write_list(out, &data.changes, write_change);
    }
    if let Some(context) = &data.context {
        out.extend_from_slice(b",\"context\":");
        write_context(out, context);
    }
    optional_str(out, b",\"description\":", data.description.as_deref());
    out.extend_from_slice(b",\"id\":");
    write_str(out, &data.id);
    if let Some(metadata) = &data.metadata {
        out.extend_from_slice(b",\"metadata\":");
        write_object(out, metadata);
    }
    out.extend_from_slice(b",\"occurred_at\":");
    write_millis(out, data.occurred_at);
    out.extend_from_slice(b",\"organization_id\":");
    write_str(out, envelope.organization_id);
    out.extend_from_slice(b",\"outcome\":\"");
    out.extend_from_slice(data.outcome.as_str().as_bytes());
    out.extend_from_slice(b"\",\"prev\":");
    let prev = out.len();
    if let Some(value) = envelope.prev {
        write_str(out, value);
    }
    optional_str(out, b",\"reason\":", data.reason.as_deref());
    out.extend_from_slice(b",\"received_at\":");
    write_millis(out, envelope.received_at);
    if let Some(resource) = &data.resource {
        out.extend_from_slice(b",\"resource\":");
        write_resource(out, resource);
    }
    out.extend_from_slice(b",\"seq\":");
    let seq = out.len();
    if let Some(value) = envelope.seq {
        write_u64(out, value);
    }
    optional_str(out, b",\"source\":", data.source.as_deref());
    if !data.targets.is_empty() {
        out.extend_from_slice(b",\"targets\":");
        write_list(out, &data.targets, write_resource);
    }
    if let Some(added) = &data.trail {
        out.extend_from_slice(b",\"trail\":");
        write_value(
            out,
            &serde_json::to_value(added).expect("Trail-added fields serialize"),
        );
    }
    out.extend_from_slice(b",\"v\":");
    write_u64(out, u64::from(envelope.v));
    out.push(b'}');
    Slots { prev, seq }
}

/// The canonical bytes of a whole stored event minus `hash`.
pub(super) fn stored_bytes(envelope: &Envelope<'_>, data: &EventData) -> Vec<u8> {
    let mut out = Vec::with_capacity(768);
    write_stored(&mut out, envelope, data);
    out
}

/// Writes `prefix` and the string when there is one. `prefix` is `,"name":`.
fn optional_str(out: &mut Vec<u8>, prefix: &[u8], value: Option<&str>) {
    if let Some(value) = value {
        out.extend_from_slice(prefix);
        write_str(out, value);
    }
}

/// Writes the members of an object whose first member may be absent: `,"name":"value"` for each
/// present one, then replaces the leading comma (or, with none present, appends) to make `{…}`.
fn write_sparse(out: &mut Vec<u8>, members: &[(&[u8], Option<&str>)]) {
    let start = out.len();
    for (prefix, value) in members {
        optional_str(out, prefix, *value);
    }
    if out.len() == start {
        out.extend_from_slice(b"{}");
    } else {
        out[start] = b'{';
        out.push(b'}');
    }
}

fn write_list<T>(out: &mut Vec<u8>, items: &[T], write_item: fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_item(out, item);
    }
    out.push(b']');
}

fn write_millis(out: &mut Vec<u8>, at: Millis) {
    // RFC 3339 with digits, `-`, `:`, `.`, `T` and `Z` only: nothing to escape.
    out.push(b'"');
    match at.rfc3339_bytes() {
        Some(bytes) => out.extend_from_slice(&bytes),
        None => out.extend_from_slice(at.to_rfc3339().as_bytes()),
    }
    out.push(b'"');
}

fn write_actor(out: &mut Vec<u8>, actor: &Actor) {
    out.push(b'{');
    optional_str(out, b"\"email\":", actor.email.as_deref());
    out.extend_from_slice(if actor.email.is_some() {
        b",\"id\":"
    } else {
        b"\"id\":"
    });
    write_str(out, &actor.id);
    optional_str(out, b",\"name\":", actor.name.as_deref());
    optional_str(out, b",\"role\":", actor.role.as_deref());
    out.extend_from_slice(b",\"type\":");
    write_str(out, &actor.kind);
    out.push(b'}');
}

fn write_resource(out: &mut Vec<u8>, resource: &Resource) {
    let start = out.len();
    optional_str(out, b",\"id\":", resource.id.as_deref());
    optional_str(out, b",\"name\":", resource.name.as_deref());
    out.extend_from_slice(b",\"type\":");
    write_str(out, &resource.kind);
    out[start] = b'{';
    out.push(b'}');
}

fn write_change(out: &mut Vec<u8>, change: &Change) {
    out.extend_from_slice(b"{\"field\":");
    write_str(out, &change.field);
    out.extend_from_slice(b",\"new\":");
    write_value(out, &change.new);
    out.extend_from_slice(b",\"old\":");
    write_value(out, &change.old);
    out.push(b'}');
}

fn write_context(out: &mut Vec<u8>, context: &Context) {
    let start = out.len();
    optional_str(out, b",\"ip\":", context.ip.as_deref());
    if let Some(location) = &context.location {
        out.extend_from_slice(b",\"location\":");
        write_location(out, location);
    }
    optional_str(out, b",\"request_id\":", context.request_id.as_deref());
    optional_str(out, b",\"user_agent\":", context.user_agent.as_deref());
    if out.len() == start {
        out.extend_from_slice(b"{}");
    } else {
        out[start] = b'{';
        out.push(b'}');
    }
}

fn write_location(out: &mut Vec<u8>, location: &Location) {
    write_sparse(
        out,
        &[
            (b",\"city\":", location.city.as_deref()),
            (b",\"country\":", location.country.as_deref()),
            (b",\"region\":", location.region.as_deref()),
        ],
    );
}

/// The canonical JSON of a stored event without `hash`, prepared before the event has a place in
/// the log and cut where the values of `prev` and `seq` go:
/// `bytes[..prev_at] ‖ "<prev hex>" ‖ bytes[prev_at..seq_at] ‖ <seq> ‖ bytes[seq_at..]`.
/// Hashing it at a given place is then a few SHA-256 updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalParts {
    bytes: Vec<u8>,
    prev_at: usize,
    seq_at: usize,
}

impl CanonicalParts {
    /// Prepares the event `new` will become in `organization_id`'s log.
    pub fn new(organization_id: &str, new: &NewEvent) -> CanonicalParts {
        let envelope = Envelope {
            v: EVENT_FORMAT_VERSION,
            organization_id,
            received_at: new.received_at,
            prev: None,
            seq: None,
        };
        let mut bytes = Vec::with_capacity(768);
        let slots = write_stored(&mut bytes, &envelope, &new.data);
        CanonicalParts {
            bytes,
            prev_at: slots.prev,
            seq_at: slots.seq,
        }
    }

    /// The prepared bytes and where the values of `prev` and `seq` go in them, for storing the
    /// event's canonical form before it has a place in the log.
    pub fn parts(&self) -> (&[u8], usize, usize) {
        (&self.bytes, self.prev_at, self.seq_at)
    }

    /// The RFC 6962 leaf hash of the event at `seq` after the event whose leaf hash is `prev`:
    /// what `Event::seal` computes for it.
    pub fn leaf_hash(&self, prev: &[u8; 32], seq: u64) -> [u8; 32] {
        let mut prev_json = [b'"'; 66];
        hex::encode_to_slice(prev, &mut prev_json[1..65]).expect("64 hex digits fit 64 bytes");
        let mut seq_json = Vec::with_capacity(24);
        write_u64(&mut seq_json, seq);
        let mut hasher = Sha256::new();
        hasher.update([0u8]);
        hasher.update(&self.bytes[..self.prev_at]);
        hasher.update(prev_json);
        hasher.update(&self.bytes[self.prev_at..self.seq_at]);
        hasher.update(&seq_json);
        hasher.update(&self.bytes[self.seq_at..]);
        hasher.finalize().into()
    }
}
