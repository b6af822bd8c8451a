//! Page cursors: decoding never panics and a decoded cursor encodes to a token that decodes to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trail_core::cursor::Cursor;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(cursor) = Cursor::decode(token) {
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }
});
