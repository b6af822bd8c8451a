//! RFC 8785 building blocks written straight into a byte buffer: strings, integers, and arbitrary
//! `serde_json::Value`s (members sorted by UTF-16 code units, numbers in ECMAScript form).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// The largest integer every smaller one of which an IEEE double holds exactly (2^53). Up to it,
/// an integer's ECMAScript form is its plain decimal digits.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// Writes `s` as an RFC 8785 string: only `"`, `\` and control characters are escaped, the
/// latter as `\b \t \n \f \r` or `\u00xx`; everything else, non-ASCII included, is copied as is.
pub(super) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Most strings need no escape: check them in one vectorisable pass and copy them whole.
    let needs_escape = bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..0x20 => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX_DIGITS[usize::from(byte >> 4)],
                HEX_DIGITS[usize::from(byte & 0xf)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

const HEX_DIGITS: [u8; 16] = *b"0123456789abcdef";

/// Writes `"key":`.
pub(super) fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

/// Writes a non-negative integer as RFC 8785 does: as the IEEE double nearest to it.
pub(super) fn write_u64(out: &mut Vec<u8>, n: u64) {
    if n <= MAX_EXACT_INTEGER {
        write_decimal(out, n);
    } else {
        write_number(out, &Number::from(n));
    }
}

fn write_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Writes any JSON value canonically.
pub(super) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(object) => write_object(out, object),
    }
}

/// Writes an object with its members in RFC 8785 order. A map already in that order (the usual
/// case: byte order agrees with UTF-16 order unless keys mix U+E000–U+FFFF with astral
/// characters) is written without sorting.
pub(super) fn write_object(out: &mut Vec<u8>, object: &Map<String, Value>) {
    out.push(b'{');
    if object
        .keys()
        .is_sorted_by(|a, b| utf16_order(a, b) != Ordering::Greater)
    {
        write_members(out, object.iter());
    } else {
        let mut members: Vec<(&String, &Value)> = object.iter().collect();
        members.sort_unstable_by(|a, b| utf16_order(a.0, b.0));
        write_members(out, members.into_iter());
    }
    out.push(b'}');
}

fn write_members<'a>(out: &mut Vec<u8>, members: impl Iterator<Item = (&'a String, &'a Value)>) {
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_key(out, key);
        write_value(out, value);
    }
}

/// RFC 8785 §3.2.3: keys compare as arrays of UTF-16 code units.
fn utf16_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Numbers are IEEE doubles in ECMAScript's shortest round-trip form (`1e+21`, `1.5`, `-0` → `0`).
/// The integers that are exact as doubles take the direct path; the rest go through the reference
/// implementation, which formats with `ryu-js`.
fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64().filter(|u| *u <= MAX_EXACT_INTEGER) {
        write_decimal(out, u);
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_EXACT_INTEGER) {
        out.push(b'-');
        write_decimal(out, i.unsigned_abs());
    } else {
        serde_json_canonicalizer::to_writer(n, out).expect("a JSON number is always finite");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn canonical(value: &Value) -> String {
        let mut out = Vec::new();
        write_value(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[rstest]
    #[case("plain", r#""plain""#)]
    #[case("q\"b\\s/", r#""q\"b\\s/""#)]
    #[case("\u{8}\t\n\u{c}\r", r#""\b\t\n\f\r""#)]
    #[case("\u{0}\u{1}\u{1f}\u{7f}", "\"\\u0000\\u0001\\u001f\u{7f}\"")]
    #[case("Zoë \u{2028}\u{2029} 😀", "\"Zoë \u{2028}\u{2029} 😀\"")]
    fn strings_escape_only_what_rfc_8785_escapes(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(canonical(&Value::from(input)), expected);
        assert_eq!(
            serde_json_canonicalizer::to_string(&input).unwrap(),
            expected
        );
    }

    #[rstest]
    #[case("0", "0")]
    #[case("-0.0", "0")]
    #[case("1.50", "1.5")]
    #[case("1e3", "1000")]
    #[case("-12E-1", "-1.2")]
    #[case("1e21", "1e+21")]
    #[case("1e20", "100000000000000000000")]
    #[case("1e-7", "1e-7")]
    #[case("0.000001", "0.000001")]
    #[case("9007199254740992", "9007199254740992")]
    #[case("9007199254740993", "9007199254740992")]
    #[case("-9007199254740993", "-9007199254740992")]
    #[case("18446744073709551615", "18446744073709552000")]
    #[case("-9223372036854775808", "-9223372036854776000")]
    #[case("5e-324", "5e-324")]
    #[case("1.7976931348623157e308", "1.7976931348623157e+308")]
    fn numbers_take_their_ecmascript_form(#[case] input: &str, #[case] expected: &str) {
        let value: Value = serde_json::from_str(input).unwrap();
        assert_eq!(canonical(&value), expected);
        assert_eq!(
            serde_json_canonicalizer::to_string(&value).unwrap(),
            expected
        );
    }

    #[test]
    fn members_sort_by_utf16_code_units_not_bytes() {
        // U+FF61 is one unit 0xFF61; U+1F600 is the surrogate pair 0xD83D 0xDE00, so it sorts first
        // although its UTF-8 bytes are greater.
        let value: Value =
            serde_json::from_str(r#"{"｡": 1, "😀": 2, "b": {"é": [], "a": null}, "A": "x"}"#)
                .unwrap();
        let expected = r#"{"A":"x","b":{"a":null,"é":[]},"😀":2,"｡":1}"#;
        assert_eq!(canonical(&value), expected);
        assert_eq!(
            serde_json_canonicalizer::to_string(&value).unwrap(),
            expected
        );
    }

    #[rstest]
    #[case(0, "0")]
    #[case(10, "10")]
    #[case(MAX_EXACT_INTEGER, "9007199254740992")]
    #[case(MAX_EXACT_INTEGER + 1, "9007199254740992")]
    #[case(u64::MAX, "18446744073709552000")]
    fn sequence_numbers_are_doubles_too(#[case] n: u64, #[case] expected: &str) {
        let mut out = Vec::new();
        write_u64(&mut out, n);
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        assert_eq!(serde_json_canonicalizer::to_string(&n).unwrap(), expected);
    }
}
