//! Making what a caller asked fit an audit event: an audit log records the request it was given,
//! so a value that an event could not hold is shortened or described, never refused.

use serde_json::{Map, Value, json};

/// The largest integer an event may hold exactly (canonical JSON reads numbers as doubles).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// `text` cut to at most `max_bytes` (on a character boundary), ending in `…` when cut.
pub fn text(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut end = max_bytes.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Rewrites `value` in place so that every string fits `max_bytes` and every integer beyond
/// ±2^53 is kept as its decimal string.
pub fn value(value: &mut Value, max_bytes: usize) {
    match value {
        Value::String(s) if s.len() > max_bytes => *s = text(s, max_bytes),
        Value::Number(n) => {
            let unsafe_integer = n.as_u64().is_some_and(|u| u > MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() > MAX_SAFE_INTEGER);
            if unsafe_integer {
                *value = Value::String(n.to_string());
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| self::value(item, max_bytes)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| self::value(item, max_bytes)),
        _ => {}
    }
}

/// The metadata that replaces details too large for one event: which keys there were and how
/// large they were.
pub fn omitted(event: &Value) -> Value {
    let size = |v: &Value| serde_json::to_string(v).map_or(0, |s| s.len());
    let mut sizes = Map::new();
    for key in ["metadata", "changes"] {
        if let Some(part) = event.get(key) {
            sizes.insert(key.into(), size(part).into());
        }
    }
    let keys: Vec<Value> = event
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| m.keys().take(32).map(|k| text(k, 64).into()).collect())
        .unwrap_or_default();
    json!({"details_omitted": true, "bytes": sizes, "keys": keys})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_strings_and_unsafe_integers_fit() {
        let mut asked = json!({"q": format!("actor.id:\"fz\"{}", " ".repeat(17_000)),
            "spec": {"rows_per_file": 9_007_199_254_740_993u64, "n": -9_007_199_254_740_993i64, "ok": 5},
            "é": "é".repeat(700)});
        value(&mut asked, 1024);
        assert!(asked["q"].as_str().unwrap().len() <= 1024);
        assert!(asked["q"].as_str().unwrap().starts_with("actor.id:\"fz\""));
        assert!(asked["q"].as_str().unwrap().ends_with('…'));
        assert_eq!(asked["spec"]["rows_per_file"], "9007199254740993");
        assert_eq!(asked["spec"]["n"], "-9007199254740993");
        assert_eq!(asked["spec"]["ok"], 5);
        assert!(asked["é"].as_str().unwrap().len() <= 1024);
        assert_eq!(text("short", 1024), "short");
    }
}
