//! A measurement (ignored by default): preparing and hashing the canonical JSON of 100,000
//! typical events with the typed encoder, against the `serde_json::Value` path it replaced,
//! measured in the same run.
//!
//! `cargo test -p trail-core --release --test canonical_bench -- --ignored --nocapture`

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use trail_core::canonical::{CanonicalParts, leaf_hash, leaf_hash_of_bytes};
use trail_core::event::{
    Actor, Context, EVENT_FORMAT_VERSION, Event, EventData, Location, NewEvent, Outcome, Resource,
};
use trail_core::{Millis, ids};

const EVENTS: usize = 100_000;
const ACTIONS: [&str; 4] = [
    "user.login",
    "member.role_changed",
    "api_key.created",
    "project.deleted",
];

/// An event shaped like the demo's and the SQLite benchmark's.
fn typical(i: usize) -> NewEvent {
    let action = ACTIONS[i % ACTIONS.len()];
    let user = i % 500;
    let target = i % 5000;
    let occurred_at = Millis(1_800_000_000_000 + i as i64 * 37);
    NewEvent {
        data: EventData {
            trail: None,
            id: ids::new_event_id(),
            action: action.into(),
            area: action.split('.').next().unwrap().into(),
            occurred_at,
            actor: Actor {
                id: format!("usr_{user}"),
                kind: "user".into(),
                name: Some(format!("User Number{user}")),
                email: Some(format!("user{user}@example.com")),
                role: Some("Admin".into()),
            },
            resource: Some(Resource {
                kind: "member".into(),
                id: Some(format!("usr_{target}")),
                name: Some(format!("Member {target}")),
            }),
            targets: Vec::new(),
            source: Some("web_ui".into()),
            outcome: Outcome::Success,
            reason: None,
            description: Some(format!("User Number{user} did {action} on Member {target}")),
            context: Some(Context {
                ip: Some(format!("10.0.{}.{}", i % 256, i / 256 % 256)),
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
                request_id: None,
                location: Some(Location {
                    country: Some("DE".into()),
                    region: None,
                    city: Some("Berlin".into()),
                }),
            }),
            changes: Vec::new(),
            metadata: json!({"plan": "enterprise", "seats": 25, "trial": false})
                .as_object()
                .cloned(),
        },
        received_at: occurred_at.plus_ms(60_000),
        client_id: false,
        occurred_at_defaulted: false,
    }
}

/// The replaced path, as the SQLite store had it: the event data as a `serde_json::Value`, each
/// member canonicalized on its own, cut around `prev` and `seq`.
fn value_path_parts(organization_id: &str, new: &NewEvent) -> [Vec<u8>; 3] {
    let Ok(Value::Object(mut object)) = serde_json::to_value(&new.data) else {
        unreachable!("event data serializes to an object")
    };
    object.insert("v".into(), Value::from(EVENT_FORMAT_VERSION));
    object.insert("organization_id".into(), organization_id.into());
    object.insert(
        "received_at".into(),
        serde_json::to_value(new.received_at).unwrap(),
    );
    object.insert("prev".into(), Value::Null);
    object.insert("seq".into(), Value::Null);
    let mut parts = [Vec::with_capacity(512), Vec::new(), Vec::new()];
    let mut part = 0;
    parts[0].push(b'{');
    for (i, (key, value)) in object.iter().enumerate() {
        if i > 0 {
            parts[part].push(b',');
        }
        parts[part].extend_from_slice(
            &serde_json_canonicalizer::to_vec(&Value::from(key.as_str())).unwrap(),
        );
        parts[part].push(b':');
        if key == "prev" || key == "seq" {
            part += 1;
        } else {
            parts[part].extend_from_slice(&serde_json_canonicalizer::to_vec(value).unwrap());
        }
    }
    parts[part].push(b'}');
    parts
}

fn value_path_hash(parts: &[Vec<u8>; 3], prev: &[u8; 32], seq: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(&parts[0]);
    hasher.update(b"\"");
    hasher.update(hex::encode(prev).as_bytes());
    hasher.update(b"\"");
    hasher.update(&parts[1]);
    hasher.update(seq.to_string().as_bytes());
    hasher.update(&parts[2]);
    hasher.finalize().into()
}

fn value_path_leaf_hash(event: &Event) -> [u8; 32] {
    let mut value = serde_json::to_value(event).unwrap();
    value.as_object_mut().unwrap().remove("hash");
    leaf_hash_of_bytes(&serde_json_canonicalizer::to_vec(&value).unwrap())
}

/// Nanoseconds per event of `f` over all events, best of three rounds.
fn per_event<T>(events: &[T], mut f: impl FnMut(usize, &T) -> [u8; 32]) -> f64 {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            for (i, event) in events.iter().enumerate() {
                black_box(f(i, event));
            }
            started.elapsed().as_nanos() as f64 / events.len() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore = "a measurement, not a test"]
fn measure() {
    let events: Vec<NewEvent> = (0..EVENTS).map(typical).collect();
    let prev = [7u8; 32];
    let old = per_event(&events, |seq, new| {
        value_path_hash(&value_path_parts("org_1", new), &prev, seq as u64)
    });
    let new = per_event(&events, |seq, new| {
        CanonicalParts::new("org_1", new).leaf_hash(&prev, seq as u64)
    });
    let sealed: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(seq, new)| Event::seal("org_1", seq as u64, &hex::encode(prev), new.clone()))
        .collect();
    let old_seal = per_event(&sealed, |_, event| value_path_leaf_hash(event));
    let new_seal = per_event(&sealed, |_, event| leaf_hash(event));
    for (seq, (new_event, event)) in events.iter().zip(&sealed).enumerate() {
        let hash = CanonicalParts::new("org_1", new_event).leaf_hash(&prev, seq as u64);
        assert_eq!(
            hash,
            value_path_hash(&value_path_parts("org_1", new_event), &prev, seq as u64)
        );
        assert_eq!(hex::encode(hash), event.hash);
    }
    println!("{EVENTS} typical events, ns/event, best of 3:");
    println!(
        "  prepare + hash (store ingest): Value path {old:>7.0}  typed {new:>7.0}  ({:.1}x)",
        old / new
    );
    println!(
        "  leaf_hash(&Event) (seal, verify): Value path {old_seal:>7.0}  typed {new_seal:>7.0}  ({:.1}x)",
        old_seal / new_seal
    );
}
