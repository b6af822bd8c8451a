//! RFC 8785 canonical JSON of a stored event and its RFC 6962 leaf hash:
//! `SHA-256(0x00 ‖ canonical JSON of the event without "hash")`.

use sha2::{Digest, Sha256};

use crate::event::Event;

/// The canonical bytes the leaf hash covers: the event as the API returns it, minus `hash`.
pub fn leaf_bytes(event: &Event) -> Vec<u8> {
    let mut value = serde_json::to_value(event).expect("events always serialize");
    if let Some(object) = value.as_object_mut() {
        object.remove("hash");
    }
    serde_json_canonicalizer::to_vec(&value).expect("a JSON value always canonicalizes")
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
    use crate::event::{Actor, EventData, GENESIS_PREV, NewEvent, Outcome};

    fn sample() -> Event {
        let data = EventData {
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
}
