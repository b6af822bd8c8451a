//! Everything about an event that does not depend on its place in the log, computed before it
//! reaches the writer thread: column values, body, full text, and the canonical JSON split around
//! `prev` and `seq`, so that the writer only hashes.

use rusqlite::types::Value;
use serde_json::Value as Json;
use trail_core::canonical::CanonicalParts;
use trail_core::event::NewEvent;

use super::columns::{Body, id_key};

/// An event ready for the writer.
pub(super) struct PreparedEvent {
    pub new: NewEvent,
    pub id_key: Value,
    pub body: Option<String>,
    pub ip: Option<Vec<u8>>,
    pub text: String,
    /// Distinct target ids and names.
    pub targets: Vec<String>,
    pub canonical: CanonicalParts,
}

impl PreparedEvent {
    pub fn new(organization_id: &str, new: NewEvent) -> PreparedEvent {
        let data = &new.data;
        let (body, ip) = Body::encode(data);
        let mut text = String::with_capacity(256);
        let resource = data.resource.as_ref();
        let words = [
            Some(data.action.as_str()),
            Some(data.actor.id.as_str()),
            data.actor.name.as_deref(),
            data.actor.email.as_deref(),
            resource.and_then(|r| r.id.as_deref()),
            resource.and_then(|r| r.name.as_deref()),
            data.description.as_deref(),
        ];
        for word in words.into_iter().flatten() {
            text.push_str(word);
            text.push('\n');
        }
        if let Some(metadata) = &data.metadata {
            text.push_str(&metadata_text(metadata));
        }
        let mut targets: Vec<String> = data
            .targets
            .iter()
            .flat_map(|t| [t.id.clone(), t.name.clone()])
            .flatten()
            .collect();
        targets.sort_unstable_by_key(|t| t.to_ascii_lowercase());
        targets.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        PreparedEvent {
            id_key: id_key(&data.id),
            canonical: CanonicalParts::new(organization_id, &new),
            body,
            ip,
            text,
            targets,
            new,
        }
    }
}

/// The searchable text of `metadata`: its JSON, which is what a text search's exact check reads.
pub(super) fn metadata_text(metadata: &serde_json::Map<String, Json>) -> String {
    serde_json::to_string(metadata).expect("metadata serializes")
}
