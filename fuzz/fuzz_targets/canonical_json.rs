//! Canonical JSON: for any event that deserializes, the typed encoder writes exactly what
//! `serde_json_canonicalizer` (RFC 8785) makes of the serialized event without `hash`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trail_core::canonical::{leaf_bytes, leaf_hash_of_api_json};
use trail_core::event::Event;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = leaf_hash_of_api_json(&value);
    }
    let Ok(event) = serde_json::from_slice::<Event>(data) else {
        return;
    };
    let mut value = serde_json::to_value(&event).expect("an event serializes");
    value.as_object_mut().expect("an object").remove("hash");
    let Ok(reference) = serde_json_canonicalizer::to_vec(&value) else {
        return;
    };
    assert_eq!(
        String::from_utf8_lossy(&leaf_bytes(&event)),
        String::from_utf8_lossy(&reference)
    );
});
