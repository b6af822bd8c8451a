//! What a SIEM stream sends for one event, in the formats a destination may ask for: Trail's own
//! JSON, OCSF ([`ocsf`]), Elastic Common Schema ([`ecs`]) and ArcSight CEF ([`cef`]). Every format
//! carries the event's `id` and `seq`, so that a receiver can drop duplicates and see gaps.

pub mod cef;
pub mod ecs;
pub mod ocsf;

use serde_json::Value;

use crate::event::Event;

/// A stream's event format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The event as the API returns it (`id`, `seq`, `hash`, `prev` and every field).
    Trail,
    Ocsf,
    Ecs,
    Cef,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Trail, Format::Ocsf, Format::Ecs, Format::Cef];

    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Trail => "trail",
            Format::Ocsf => "ocsf",
            Format::Ecs => "ecs",
            Format::Cef => "cef",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The event in this format as JSON (CEF, a line of text, becomes a JSON string).
    pub fn to_json(self, event: &Event) -> Value {
        match self {
            Format::Trail => serde_json::to_value(event).unwrap_or(Value::Null),
            Format::Ocsf => ocsf::to_ocsf(event),
            Format::Ecs => ecs::to_ecs(event),
            Format::Cef => Value::String(cef::to_cef(event)),
        }
    }

    /// The event in this format as one line of text (JSON, or CEF as is).
    pub fn to_line(self, event: &Event) -> String {
        match self {
            Format::Cef => cef::to_cef(event),
            other => other.to_json(event).to_string(),
        }
    }
}

/// The last dotted segment of an action, the verb most formats map from (`member.invited` →
/// `invited`).
pub(crate) fn verb(action: &str) -> &str {
    action.rsplit('.').next().unwrap_or(action)
}
