//! Everything about an event that does not depend on its place in the log, computed before it
//! reaches the writer thread: column values, body, full text, and the canonical JSON split around
//! `prev` and `seq`, so that the writer only hashes.

use rusqlite::types::Value;
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
        let text = data.searchable_text();
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
