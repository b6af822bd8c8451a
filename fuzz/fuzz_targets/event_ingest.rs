//! Ingest bodies: parsing (JSON, arrays, NDJSON) and validation never panic, and every event that
//! validates has canonical bytes that are valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trail_core::Millis;
use trail_core::canonical::CanonicalParts;
use trail_core::validate::{Limits, parse_body, validate_batch};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let limits = Limits::default();
    let Ok(inputs) = parse_body(body, mode & 1 == 1, &limits) else {
        return;
    };
    let Ok(events) = validate_batch(inputs, &limits, Millis(1_800_000_000_000)) else {
        return;
    };
    for event in &events {
        let parts = CanonicalParts::new("org_fuzz", event);
        let _ = parts.leaf_hash(&[0u8; 32], 0);
    }
});
