//! The query language: parsing never panics; a parsed filter prints as a query that parses back
//! to the same filter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trail_core::Millis;
use trail_core::query::{Complexity, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let now = Millis(1_800_000_000_000);
    let Ok(filter) = parse(text, now) else { return };
    let _ = Complexity::default().check(&filter);
    let printed = filter.to_string();
    let again = parse(&printed, now)
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(again, filter, "{text:?} printed as {printed:?}");
});
