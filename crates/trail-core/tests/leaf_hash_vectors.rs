//! The leaf-hash vector that `docs/integrity.md` recomputes by hand: `data/api_event.json` is an
//! event as the API returns it (with `proof` and `display`), and its `hash` must be what Trail
//! computes. If the event format changes, this file and the documented hash change with it.

use serde_json::{Value, json};
use trail_core::canonical::leaf_hash_of_api_json;
use trail_core::event::{
    Actor, Change, Context, Event, EventData, GENESIS_PREV, Location, NewEvent, Resource,
};
use trail_core::{Millis, Outcome};

const API_EVENT: &str = include_str!("data/api_event.json");
/// The hash printed by the Python and jq recipes in `docs/integrity.md`.
const DOCUMENTED_HASH: &str = "508c7c919d2e6afdc5a50fdece53ae94b9a3414825575663cf7de1707725392c";

fn sample() -> Event {
    let data = EventData {
        trail: None,
        id: "evt_01JD2Q6ZK7W3X9M4N5P8R0S2T4".into(),
        action: "member.role_changed".into(),
        area: "members".into(),
        occurred_at: Millis(1_795_255_200_000),
        actor: Actor {
            id: "usr_42".into(),
            kind: "user".into(),
            name: Some("Alice Kim".into()),
            email: Some("alice@example.com".into()),
            role: Some("Admin".into()),
        },
        resource: Some(Resource {
            kind: "member".into(),
            id: Some("usr_77".into()),
            name: Some("Bob Ray".into()),
        }),
        targets: vec![Resource {
            kind: "team".into(),
            id: Some("team_3".into()),
            name: Some("Plateforme « Écrins »".into()),
        }],
        source: Some("web_ui".into()),
        outcome: Outcome::Success,
        reason: None,
        description: Some("Alice Kim changed Bob Ray's role from \"Developer\" to Admin".into()),
        context: Some(Context {
            ip: Some("203.0.113.7".into()),
            user_agent: Some("Mozilla/5.0".into()),
            request_id: Some("req_9".into()),
            location: Some(Location {
                country: Some("DE".into()),
                region: Some("BE".into()),
                city: Some("Berlin".into()),
            }),
        }),
        changes: vec![Change {
            field: "role".into(),
            old: json!("Developer"),
            new: json!("Admin"),
        }],
        metadata: json!({"plan": "enterprise", "seats": 25, "discount": 0.5})
            .as_object()
            .cloned(),
    };
    let new = NewEvent {
        data,
        received_at: Millis(1_795_255_200_137),
        client_id: false,
        occurred_at_defaulted: false,
    };
    Event::seal("org_01JD2Q5XK2", 0, GENESIS_PREV, new)
}

#[test]
fn the_documented_event_hashes_as_trail_hashes_it() {
    let event = sample();
    let api: Value = serde_json::from_str(API_EVENT).unwrap();
    assert_eq!(api["hash"], event.hash.as_str());
    assert_eq!(
        hex::encode(leaf_hash_of_api_json(&api).unwrap()),
        event.hash
    );
    assert_eq!(event.hash, DOCUMENTED_HASH);

    let mut stored = api.as_object().unwrap().clone();
    stored.remove("proof");
    stored.remove("display");
    assert_eq!(Value::Object(stored), serde_json::to_value(&event).unwrap());
}
