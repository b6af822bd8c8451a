//! Everything about an event that does not depend on its place in the log, computed before it
//! reaches the writer thread: column values, body, full text, and the canonical JSON split around
//! `prev` and `seq`, so that the writer only hashes.

use rusqlite::types::Value;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use trail_core::event::{EVENT_FORMAT_VERSION, NewEvent};

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

/// The canonical JSON of the stored event without `hash`, cut where `prev` and `seq` go:
/// `before_prev ‖ "<prev hex>" ‖ before_seq ‖ <seq> ‖ after_seq`.
pub(super) struct CanonicalParts {
    before_prev: Vec<u8>,
    before_seq: Vec<u8>,
    after_seq: Vec<u8>,
}

impl CanonicalParts {
    fn new(organization_id: &str, new: &NewEvent) -> CanonicalParts {
        let Ok(Json::Object(mut object)) = serde_json::to_value(&new.data) else {
            unreachable!("event data serializes to an object")
        };
        object.insert("v".into(), Json::from(EVENT_FORMAT_VERSION));
        object.insert("organization_id".into(), organization_id.into());
        object.insert(
            "received_at".into(),
            serde_json::to_value(new.received_at).expect("times serialize"),
        );
        object.insert("prev".into(), Json::Null);
        object.insert("seq".into(), Json::Null);
        // Keys are ASCII, so the map's byte order is RFC 8785's UTF-16 order.
        let mut parts = [Vec::with_capacity(512), Vec::new(), Vec::new()];
        let mut part = 0;
        parts[0].push(b'{');
        for (i, (key, value)) in object.iter().enumerate() {
            if i > 0 {
                parts[part].push(b',');
            }
            parts[part].extend_from_slice(
                &serde_json_canonicalizer::to_vec(&Json::from(key.as_str()))
                    .expect("strings canonicalize"),
            );
            parts[part].push(b':');
            if key == "prev" || key == "seq" {
                part += 1;
            } else {
                parts[part].extend_from_slice(
                    &serde_json_canonicalizer::to_vec(value).expect("values canonicalize"),
                );
            }
        }
        parts[part].push(b'}');
        let [before_prev, before_seq, after_seq] = parts;
        CanonicalParts {
            before_prev,
            before_seq,
            after_seq,
        }
    }

    /// The RFC 6962 leaf hash of the event at `seq` after `prev`.
    pub fn leaf_hash(&self, prev: &[u8; 32], seq: u64) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update([0u8]);
        hasher.update(&self.before_prev);
        hasher.update(b"\"");
        hasher.update(hex::encode(prev).as_bytes());
        hasher.update(b"\"");
        hasher.update(&self.before_seq);
        hasher.update(seq.to_string().as_bytes());
        hasher.update(&self.after_seq);
        hasher.finalize().into()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use trail_core::Millis;
    use trail_core::event::{
        Actor, Change, Context, Event, EventData, GENESIS_PREV, Location, Outcome, Resource,
    };

    fn rich() -> NewEvent {
        let data = EventData {
            id: "evt_x".into(),
            action: "member.role_changed".into(),
            area: "members".into(),
            occurred_at: Millis(1_800_000_000_000),
            actor: Actor {
                id: "usr_1".into(),
                kind: "user".into(),
                name: Some("Zoë \"Z\" Kim".into()),
                email: Some("zoe@example.com".into()),
                role: Some("Admin".into()),
            },
            resource: Some(Resource {
                kind: "member".into(),
                id: Some("usr_2".into()),
                name: None,
            }),
            targets: vec![Resource {
                kind: "team".into(),
                id: Some("t1".into()),
                name: Some("Platform".into()),
            }],
            source: Some("web_ui".into()),
            outcome: Outcome::Failure,
            reason: Some("denied".into()),
            description: Some("changed\u{2028} a role".into()),
            context: Some(Context {
                ip: Some("10.0.0.1".into()),
                user_agent: None,
                request_id: Some("r".into()),
                location: Some(Location {
                    country: Some("DE".into()),
                    region: None,
                    city: Some("Berlin".into()),
                }),
            }),
            changes: vec![Change {
                field: "role".into(),
                old: "a".into(),
                new: Json::Null,
            }],
            metadata: serde_json::from_str(r#"{"z": 1e3, "a": [1.5, "x"], "prev": "y"}"#).ok(),
        };
        NewEvent {
            data,
            received_at: Millis(1_800_000_000_001),
            client_id: true,
            occurred_at_defaulted: false,
        }
    }

    #[test]
    fn split_canonical_json_hashes_like_seal() {
        let prev = [7u8; 32];
        for seq in [0, 9, 10, 123_456_789] {
            let parts = CanonicalParts::new("org_1", &rich());
            let sealed = Event::seal("org_1", seq, &hex::encode(prev), rich());
            assert_eq!(hex::encode(parts.leaf_hash(&prev, seq)), sealed.hash);
        }
        let sealed = Event::seal("org_1", 0, GENESIS_PREV, rich());
        let parts = CanonicalParts::new("org_1", &rich());
        assert_eq!(hex::encode(parts.leaf_hash(&[0; 32], 0)), sealed.hash);
    }
}
