//! The audit event: what integrators send (`EventInput`), what Trail stores and returns (`Event`).
//! Field names are the wire format of docs/api.md and may not be renamed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Millis;

/// The record format version written into every stored event (`v`).
pub const EVENT_FORMAT_VERSION: u8 = 1;

/// `prev` of the first event in an organization's log.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event as a client sends it. Only `action` and `actor.id` are required; unknown fields are
/// rejected so that a typo (`actr`) is an error, not silently lost data.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[serde(default)]
    pub id: Option<String>,
    pub action: String,
    #[serde(default)]
    pub area: Option<String>,
    #[serde(default)]
    pub occurred_at: Option<Millis>,
    #[serde(deserialize_with = "crate::strict::object")]
    pub actor: ActorInput,
    #[serde(default, deserialize_with = "crate::strict::option_object")]
    pub resource: Option<Resource>,
    #[serde(default, deserialize_with = "crate::strict::option_objects")]
    pub targets: Option<Vec<Resource>>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::strict::option_object")]
    pub context: Option<Context>,
    #[serde(default, deserialize_with = "crate::strict::option_objects")]
    pub changes: Option<Vec<Change>>,
    #[serde(default, deserialize_with = "crate::strict::unique_map")]
    pub metadata: Option<Map<String, Value>>,
}

/// The actor as sent: `type` may be omitted (it then defaults to `user`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActorInput {
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
}

/// Who did it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    /// `user`, `api_key`, `service` or `system`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A thing acted on: the primary `resource` or one of the `targets`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// Where the request came from.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::strict::option_object"
    )]
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// ISO 3166-1 alpha-2, upper case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

/// One changed field: `{"field": "role", "old": "Developer", "new": "Admin"}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub field: String,
    #[serde(default, deserialize_with = "crate::strict::unique_value")]
    pub old: Value,
    #[serde(default, deserialize_with = "crate::strict::unique_value")]
    pub new: Value,
}

/// The client-visible content of an event after validation and defaulting: everything a client
/// sent, normalised. Two writes with the same client `id` are the same write when these are equal.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct EventData {
    pub id: String,
    pub action: String,
    pub area: String,
    pub occurred_at: Millis,
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// What Trail added at ingest, never the sender's words (docs/integrity.md "Trail-added
    /// fields"). Clients cannot send it: `EventInput` refuses unknown fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<TrailAdded>,
}

/// What Trail added to an event at ingest: the event type schema version it was checked
/// against, the violations found in `warn` mode, and where an added `context.location` came from.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct TrailAdded {
    /// The catalogue's schema version of this action the event was checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
    /// Rules the event broke, when its organization validates in `warn` mode.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// Set when Trail filled in `context.location` from the address: the database it came from
    /// (its MMDB `database_type`, e.g. `GeoLite2-City`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_source: Option<String>,
}

impl TrailAdded {
    pub fn is_empty(&self) -> bool {
        self == &TrailAdded::default()
    }
}

/// One broken rule of an event type's JSON Schema.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Violation {
    /// Where in the event, as a dotted path (`metadata.plan`, `targets[1].id`).
    pub field: String,
    /// The JSON Schema keyword that failed (`type`, `required`, `enum`, …).
    pub rule: String,
    pub message: String,
}

impl EventData {
    /// The event as its sender wrote it: without what Trail added (`trail`, and a location Trail
    /// filled in). A retry with the same client id is compared on this.
    pub fn as_sent(&self) -> std::borrow::Cow<'_, EventData> {
        let Some(added) = &self.trail else {
            return std::borrow::Cow::Borrowed(self);
        };
        let mut sent = self.clone();
        if added.location_source.is_some()
            && let Some(context) = &mut sent.context
        {
            context.location = None;
        }
        sent.trail = None;
        std::borrow::Cow::Owned(sent)
    }

    pub fn ip(&self) -> Option<&str> {
        self.context.as_ref()?.ip.as_deref()
    }

    pub fn country(&self) -> Option<&str> {
        self.context.as_ref()?.location.as_ref()?.country.as_deref()
    }

    /// The text a bare word of a query searches, the same for every store: action, actor id, name
    /// and email, resource id and name, description (one per line), then the metadata's JSON.
    pub fn searchable_text(&self) -> String {
        let resource = self.resource.as_ref();
        let mut text = String::with_capacity(256);
        let words = [
            Some(self.action.as_str()),
            Some(self.actor.id.as_str()),
            self.actor.name.as_deref(),
            self.actor.email.as_deref(),
            resource.and_then(|r| r.id.as_deref()),
            resource.and_then(|r| r.name.as_deref()),
            self.description.as_deref(),
        ];
        for word in words.into_iter().flatten() {
            text.push_str(word);
            text.push('\n');
        }
        if let Some(metadata) = &self.metadata {
            text.push_str(&serde_json::to_string(metadata).expect("metadata serializes"));
        }
        text
    }
}

/// A validated event on its way to the store, which gives it `seq`, `prev` and `hash`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub data: EventData,
    pub received_at: Millis,
    /// The client chose `id`: a repeat of the same id is idempotent.
    pub client_id: bool,
    /// The client left `occurred_at` out (so a retry carries a different default, which must not
    /// count as a different body).
    pub occurred_at_defaulted: bool,
}

impl NewEvent {
    /// Whether `stored` is this same write repeated (DESIGN: same id + same body → original seq).
    pub fn same_write_as(&self, stored: &EventData) -> bool {
        let (mine, stored) = (self.data.as_sent(), stored.as_sent());
        if self.occurred_at_defaulted {
            let mut mine = mine.into_owned();
            mine.occurred_at = stored.occurred_at;
            mine == *stored
        } else {
            mine == stored
        }
    }
}

/// An event as stored and returned. The leaf hash covers every field here except `hash`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Event {
    pub v: u8,
    pub organization_id: String,
    pub seq: u64,
    pub received_at: Millis,
    /// Hex leaf hash of the previous event in this organization's log (`GENESIS_PREV` for seq 0).
    pub prev: String,
    /// Hex leaf hash of this event.
    pub hash: String,
    #[serde(flatten)]
    pub data: EventData,
}

impl Event {
    /// Builds the stored event for `new` at `seq` after `prev`, computing its leaf hash.
    pub fn seal(organization_id: &str, seq: u64, prev: &str, new: NewEvent) -> Event {
        let mut event = Event {
            v: EVENT_FORMAT_VERSION,
            organization_id: organization_id.to_owned(),
            seq,
            received_at: new.received_at,
            prev: prev.to_owned(),
            hash: String::new(),
            data: new.data,
        };
        event.hash = hex::encode(crate::canonical::leaf_hash(&event));
        event
    }
}
