//! The typed canonical encoder against the definition it replaces: for arbitrary events,
//! `leaf_bytes` and `CanonicalParts` must produce exactly what `serde_json_canonicalizer` makes of
//! the serialized event without `hash`.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use trail_core::Millis;
use trail_core::canonical::{CanonicalParts, leaf_bytes, leaf_hash, leaf_hash_of_bytes};
use trail_core::event::{
    Actor, Change, Context, EVENT_FORMAT_VERSION, Event, EventData, Location, NewEvent, Outcome,
    Resource,
};

/// The definition: the event as the API serializes it, minus `hash`, canonicalized.
fn reference_bytes(event: &Event) -> Vec<u8> {
    let mut value = serde_json::to_value(event).unwrap();
    value.as_object_mut().unwrap().remove("hash");
    serde_json_canonicalizer::to_vec(&value).unwrap()
}

/// Strings rich in what canonical JSON must get right: escapes, controls, non-ASCII, surrogate
/// pairs, and characters whose UTF-8 and UTF-16 orders disagree.
fn text() -> impl Strategy<Value = String> {
    let special = prop_oneof![
        Just('"'),
        Just('\\'),
        Just('/'),
        (0u8..0x20).prop_map(char::from),
        Just('\u{7f}'),
        Just('é'),
        Just('\u{2028}'),
        Just('\u{e000}'),
        Just('\u{ff61}'),
        Just('\u{ffff}'),
        Just('😀'),
        Just('\u{10ffff}'),
    ];
    let ch = prop_oneof![4 => proptest::char::range('a', 'e'), 3 => special, 1 => any::<char>()];
    proptest::collection::vec(ch, 0..8).prop_map(String::from_iter)
}

fn number() -> impl Strategy<Value = Value> {
    let written = prop_oneof![
        Just("1.50"),
        Just("-0.0"),
        Just("1e3"),
        Just("1E+2"),
        Just("-12e-1"),
        Just("1e21"),
        Just("1e-7"),
        Just("123456789012345678901234567890"),
        Just("9007199254740993"),
        Just("-9007199254740993"),
        Just("5e-324"),
        Just("0.1"),
    ];
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (-1e6f64..1e6).prop_map(|f| Value::from((f * 1000.0).round() / 1000.0)),
        written.prop_map(|s| serde_json::from_str(s).unwrap()),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            object(inner).prop_map(Value::Object),
        ]
    })
}

fn object(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::vec((text(), values), 0..5)
        .prop_map(|members| members.into_iter().collect())
}

fn resource() -> impl Strategy<Value = Resource> {
    (
        text(),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
        .prop_map(|(kind, id, name)| Resource { kind, id, name })
}

fn actor() -> impl Strategy<Value = Actor> {
    let opt = || proptest::option::of(text());
    (text(), text(), opt(), opt(), opt()).prop_map(|(id, kind, name, email, role)| Actor {
        id,
        kind,
        name,
        email,
        role,
    })
}

fn context() -> impl Strategy<Value = Context> {
    let opt = || proptest::option::of(text());
    let location = (opt(), opt(), opt()).prop_map(|(country, region, city)| Location {
        country,
        region,
        city,
    });
    (opt(), opt(), opt(), proptest::option::of(location)).prop_map(
        |(ip, user_agent, request_id, location)| Context {
            ip,
            user_agent,
            request_id,
            location,
        },
    )
}

fn millis() -> impl Strategy<Value = Millis> {
    prop_oneof![
        (0i64..4_102_444_800_000).prop_map(Millis),
        any::<i64>().prop_map(Millis),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    (text(), json(), json()).prop_map(|(field, old, new)| Change { field, old, new })
}

fn event_data() -> impl Strategy<Value = EventData> {
    let opt = || proptest::option::of(text());
    let who_what = (
        text(),
        text(),
        text(),
        millis(),
        actor(),
        proptest::option::of(resource()),
    );
    let how = (
        proptest::collection::vec(resource(), 0..3),
        opt(),
        prop_oneof![Just(Outcome::Success), Just(Outcome::Failure)],
        opt(),
        opt(),
        proptest::option::of(context()),
        proptest::collection::vec(change(), 0..3),
        proptest::option::of(object(json())),
    );
    (who_what, how).prop_map(
        |(
            (id, action, area, occurred_at, actor, resource),
            (targets, source, outcome, reason, description, context, changes, metadata),
        )| EventData {
            trail: None,
            id,
            action,
            area,
            occurred_at,
            actor,
            resource,
            targets,
            source,
            outcome,
            reason,
            description,
            context,
            changes,
            metadata,
        },
    )
}

fn sequence_number() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..1_000_000, any::<u64>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn leaf_bytes_are_the_canonicalized_serialization(
        data in event_data(),
        organization_id in text(),
        seq in sequence_number(),
        prev in text(),
        v in any::<u8>(),
        received_at in millis(),
    ) {
        let event = Event { v, organization_id, seq, received_at, prev, hash: "x".into(), data };
        let expected = reference_bytes(&event);
        prop_assert_eq!(
            String::from_utf8(leaf_bytes(&event)).unwrap(),
            String::from_utf8(expected.clone()).unwrap()
        );
        prop_assert_eq!(leaf_hash(&event), leaf_hash_of_bytes(&expected));
    }

    #[test]
    fn split_parts_hash_like_the_sealed_event(
        data in event_data(),
        organization_id in text(),
        seq in sequence_number(),
        prev in any::<[u8; 32]>(),
        received_at in millis(),
    ) {
        let new = NewEvent { data, received_at, client_id: true, occurred_at_defaulted: false };
        let parts = CanonicalParts::new(&organization_id, &new);
        let event = Event {
            v: EVENT_FORMAT_VERSION,
            organization_id: organization_id.clone(),
            seq,
            received_at,
            prev: hex::encode(prev),
            hash: String::new(),
            data: new.data.clone(),
        };
        prop_assert_eq!(parts.leaf_hash(&prev, seq), leaf_hash_of_bytes(&reference_bytes(&event)));
        let sealed = Event::seal(&organization_id, seq, &hex::encode(prev), new);
        prop_assert_eq!(hex::encode(parts.leaf_hash(&prev, seq)), sealed.hash);
    }
}
