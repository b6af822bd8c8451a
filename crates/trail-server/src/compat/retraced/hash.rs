//! The Retraced event hash, which the client recomputes from what it sent and the `id` Trail
//! answers, and throws on a mismatch (shared/compat/SPEC.md "Event hash"): SHA-256 over
//! `id:action:target.id:actor.id:group.id:source_ip:is_failure:is_anonymous:fields[:external_id][:metadata]`
//! with `%` and `:` escaped in every value, and `=` and `;` too in field keys and values, which
//! are sorted by UTF-16 code units as JavaScript sorts them.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// What the hash covers of one event.
#[derive(Debug, Default, Clone)]
pub struct Hashed<'a> {
    pub id: &'a str,
    pub action: &'a str,
    pub target_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub group_id: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    pub is_failure: bool,
    pub is_anonymous: bool,
    /// `None` when `fields` was absent (which differs from `{}`).
    pub fields: Option<&'a BTreeMap<String, String>>,
    pub external_id: Option<&'a str>,
    /// `None` when `metadata` was absent (`{}` still adds a separator).
    pub metadata: Option<&'a BTreeMap<String, String>>,
}

fn escape(value: &str) -> String {
    value.replace('%', "%25").replace(':', "%3A")
}

fn escape_pair(value: &str) -> String {
    escape(value).replace('=', "%3D").replace(';', "%3B")
}

fn pairs(map: &BTreeMap<String, String>) -> String {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    keys.into_iter()
        .map(|k| format!("{}={};", escape_pair(k), escape_pair(&map[k])))
        .collect()
}

/// The canonical string the hash is taken of.
pub fn canonical(event: &Hashed<'_>) -> String {
    let part = |value: Option<&str>| {
        value
            .filter(|v| !v.is_empty())
            .map(escape)
            .unwrap_or_default()
    };
    let mut out = format!(
        "{}:{}:{}:{}:{}:{}:{}:{}:",
        escape(event.id),
        escape(event.action),
        part(event.target_id),
        part(event.actor_id),
        part(event.group_id),
        part(event.source_ip),
        u8::from(event.is_failure),
        u8::from(event.is_anonymous),
    );
    match event.fields {
        None => out.push(':'),
        Some(fields) => out.push_str(&pairs(fields)),
    }
    if let Some(external_id) = event.external_id.filter(|e| !e.is_empty()) {
        out.push(':');
        out.push_str(&escape(external_id));
    }
    if let Some(metadata) = event.metadata {
        out.push(':');
        out.push_str(&pairs(metadata));
    }
    out
}

/// Lower-case hex SHA-256 of [`canonical`].
pub fn hash(event: &Hashed<'_>) -> String {
    hex::encode(Sha256::digest(canonical(event).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// SPEC.md's worked example, computed there with the SDK's `computeHash` and with Python.
    #[test]
    fn the_worked_example() {
        let fields = map(&[("b", "x=1;y"), ("a", "50%")]);
        let metadata = map(&[("k", "v")]);
        let event = Hashed {
            id: "abf053dc4a3042459818833276eec717",
            action: "user.login",
            target_id: Some("doc:42"),
            actor_id: Some("jane@acme.com"),
            group_id: Some("org_123"),
            source_ip: Some("10.0.0.1"),
            fields: Some(&fields),
            external_id: Some("ext:1"),
            metadata: Some(&metadata),
            ..Hashed::default()
        };
        assert_eq!(
            canonical(&event),
            "abf053dc4a3042459818833276eec717:user.login:doc%3A42:jane@acme.com:org_123:10.0.0.1:0:0:a=50%25;b=x%3D1%3By;:ext%3A1:k=v;"
        );
        assert_eq!(
            hash(&event),
            "eeb1023bc334b4d2cb73bd361c9fdf77587dc152a3590e0395bc47ba4f8e1f03"
        );
    }

    #[test]
    fn an_anonymous_event_with_nothing_else() {
        let event = Hashed {
            id: "e2",
            action: "doc.read",
            is_anonymous: true,
            ..Hashed::default()
        };
        assert_eq!(canonical(&event), "e2:doc.read:::::0:1::");
        assert_eq!(
            hash(&event),
            "2573720d39af9372ccab174d97b9262d5c50750c2affa1a52c94ff67e37bc4be"
        );
    }

    #[test]
    fn empty_fields_add_nothing_and_empty_metadata_a_separator() {
        let empty = BTreeMap::new();
        let event = Hashed {
            id: "id3",
            action: "a",
            actor_id: Some("u"),
            fields: Some(&empty),
            metadata: Some(&empty),
            ..Hashed::default()
        };
        assert_eq!(canonical(&event), "id3:a::u:::0:0::");
        assert_eq!(
            hash(&event),
            "b9511f65383202333e514801b7ad8fc3bbb543717ca5d1cdb02369ad6f6ae62b"
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units_like_javascript() {
        // U+FF5E sorts before U+1F600 in UTF-16 (0xFF5E < 0xD83D is false: 0xD83D < 0xFF5E),
        // while Rust's default `str` order compares scalar values.
        let fields = map(&[("\u{FF5E}", "1"), ("\u{1F600}", "2")]);
        let sorted = pairs(&fields);
        assert!(sorted.starts_with("\u{1F600}=2;"), "{sorted}");
    }
}
