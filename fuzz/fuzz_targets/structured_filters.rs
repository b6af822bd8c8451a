//! Structured filter rows: any JSON list of rows converts or fails cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trail_core::Millis;
use trail_core::query::{StructuredFilter, from_structured};

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = serde_json::from_slice::<Vec<StructuredFilter>>(data) else {
        return;
    };
    let _ = from_structured(&rows, Millis(1_800_000_000_000));
});
