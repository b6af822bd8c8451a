//! CSV export: every event writes one RFC 4180 record of the header's column count, with or
//! without its display columns, and each cell reads back as written (quotes doubled, commas and
//! line breaks quoted).
#![no_main]

use libfuzzer_sys::fuzz_target;
use trail_core::catalogue::compiled::Display;
use trail_core::event::Event;
use trail_core::export::{write_csv_header, write_csv_row};

/// Splits one CRLF-terminated RFC 4180 record into cells.
fn read_record(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut cells = vec![Vec::new()];
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (quoted, b) {
            (true, b'"') if bytes.get(i + 1) == Some(&b'"') => {
                cells.last_mut().unwrap().push(b'"');
                i += 1;
            }
            (true, b'"') => quoted = false,
            (true, _) => cells.last_mut().unwrap().push(b),
            (false, b'"') => quoted = true,
            (false, b',') => cells.push(Vec::new()),
            (false, b'\r') if bytes.get(i + 1) == Some(&b'\n') && i + 2 == bytes.len() => break,
            (false, _) => cells.last_mut().unwrap().push(b),
        }
        i += 1;
    }
    assert!(!quoted, "an unterminated quote");
    cells
}

/// A cell's text as written: formula-like text gets a leading `'`.
fn as_written(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push(b'\'');
    }
    out.extend_from_slice(text.as_bytes());
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Event>(data) else {
        return;
    };
    let mut header = Vec::new();
    write_csv_header(&mut header);
    let columns = read_record(&header).len();
    // The display columns carry text derived from the sender's words (a label, a sentence).
    let display = Display {
        label: event.data.action.clone(),
        area: event.data.area.clone(),
        area_label: event.data.area.clone(),
        text: event.data.description.clone().unwrap_or_default(),
        catalogued: false,
    };
    for shown in [None, Some(&display)] {
        let mut row = Vec::new();
        write_csv_row(&mut row, &event, shown);
        assert!(row.ends_with(b"\r\n"));
        let cells = read_record(&row);
        assert_eq!(cells.len(), columns, "{:?}", String::from_utf8_lossy(&row));
        assert_eq!(cells[0], as_written(&event.data.id));
        assert_eq!(cells[4], as_written(&event.data.action));
        if let Some(d) = shown {
            assert_eq!(cells[columns - 2], as_written(&d.label));
            assert_eq!(cells[columns - 1], as_written(&d.text));
        }
    }
});
