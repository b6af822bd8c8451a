//! RFC 8785 canonical JSON of a stored event and its RFC 6962 leaf hash:
//! `SHA-256(0x00 ‖ canonical JSON of the event without "hash")`.

mod json;
mod stored;

use sha2::{Digest, Sha256};

use crate::event::Event;

pub use stored::CanonicalParts;

/// The canonical bytes the leaf hash covers: the event as the API returns it, minus `hash`.
/// Written from the typed event; `tests/canonical_equivalence.rs` holds it to
/// `serde_json_canonicalizer` applied to the serialized event.
pub fn leaf_bytes(event: &Event) -> Vec<u8> {
    let envelope = stored::Envelope {
        v: event.v,
        organization_id: &event.organization_id,
        received_at: event.received_at,
        prev: Some(&event.prev),
        seq: Some(event.seq),
    };
    stored::stored_bytes(&envelope, &event.data)
}

/// The RFC 6962 leaf hash of a stored event.
pub fn leaf_hash(event: &Event) -> [u8; 32] {
    leaf_hash_of_bytes(&leaf_bytes(event))
}

/// The RFC 6962 leaf hash of already canonical bytes.
pub fn leaf_hash_of_bytes(canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// Recomputes the leaf hash of an event as the API returned it (any JSON object): drops `hash`,
/// `proof` and `display`, canonicalizes and hashes. This is what an auditor's tool does.
pub fn leaf_hash_of_api_json(value: &serde_json::Value) -> Option<[u8; 32]> {
    let mut object = value.as_object()?.clone();
    for read_time_field in ["hash", "proof", "display"] {
        object.remove(read_time_field);
    }
    let bytes = serde_json_canonicalizer::to_vec(&serde_json::Value::Object(object)).ok()?;
    Some(leaf_hash_of_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Millis;
    use crate::event::{
        Actor, Change, Context, EventData, GENESIS_PREV, Location, NewEvent, Outcome, Resource,
    };

    fn sample() -> Event {
        let data = EventData {
            trail: None,
            id: "evt_1".into(),
            action: "member.invited".into(),
            area: "members".into(),
            occurred_at: Millis(1_700_000_000_123),
            actor: Actor {
                id: "usr_1".into(),
                kind: "user".into(),
                name: Some("Zoë".into()),
                email: None,
                role: None,
            },
            resource: None,
            targets: vec![],
            source: Some("web_ui".into()),
            outcome: Outcome::Success,
            reason: None,
            description: None,
            context: None,
            changes: vec![],
            metadata: Some(serde_json::from_str(r#"{"n": 1.50, "b": [true, null]}"#).unwrap()),
        };
        let new = NewEvent {
            data,
            received_at: Millis(1_700_000_000_456),
            client_id: true,
            occurred_at_defaulted: false,
        };
        Event::seal("org_1", 0, GENESIS_PREV, new)
    }

    #[test]
    fn canonical_bytes_sort_keys_and_drop_hash() {
        let text = String::from_utf8(leaf_bytes(&sample())).unwrap();
        assert!(text.starts_with(r#"{"action":"member.invited","actor":{"id":"usr_1","name":"Zoë","type":"user"},"area":"members","id":"evt_1","metadata":{"b":[true,null],"n":1.5},"#), "{text}");
        assert!(!text.contains("\"hash\""));
        assert!(
            text.ends_with(r#""seq":0,"source":"web_ui","v":1}"#),
            "{text}"
        );
    }

    #[test]
    fn api_json_recomputes_the_stored_hash() {
        let event = sample();
        let mut api = serde_json::to_value(&event).unwrap();
        api["proof"] = serde_json::json!({"seq": 0});
        api["display"] = serde_json::json!({"relative": "1 minute ago"});
        assert_eq!(
            hex::encode(leaf_hash_of_api_json(&api).unwrap()),
            event.hash
        );
        api["action"] = "member.removed".into();
        assert_ne!(
            hex::encode(leaf_hash_of_api_json(&api).unwrap()),
            event.hash
        );
    }

    /// Every optional field present, escapes, non-ASCII and a metadata key named like a spliced
    /// field (moved here from the SQLite store, which now uses `CanonicalParts`).
    fn rich() -> NewEvent {
        let data = EventData {
            trail: None,
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
            description: Some("changed\u{2028} a role\u{0}".into()),
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
                new: serde_json::Value::Null,
            }],
            metadata: serde_json::from_str(
                r#"{"z": 1e3, "a": [1.5, "x"], "prev": "y", "é": {"seq": -0.0}}"#,
            )
            .ok(),
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
