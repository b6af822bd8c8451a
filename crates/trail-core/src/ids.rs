//! Identifiers: prefixed, URL-safe, sortable by creation time where that helps (UUIDv7).

use rand::RngCore;

/// A fresh server-assigned event id: `evt_` + UUIDv7 in simple (hex) form.
pub fn new_event_id() -> String {
    prefixed("evt", uuid::Uuid::now_v7())
}

pub fn new_organization_id() -> String {
    prefixed("org", uuid::Uuid::now_v7())
}

pub fn new_api_key_id() -> String {
    prefixed("key", uuid::Uuid::now_v7())
}

pub fn new_user_id() -> String {
    prefixed("usr", uuid::Uuid::now_v7())
}

pub fn new_role_id() -> String {
    prefixed("role", uuid::Uuid::now_v7())
}

pub fn new_view_id() -> String {
    prefixed("view", uuid::Uuid::now_v7())
}

pub fn new_stream_id() -> String {
    prefixed("strm", uuid::Uuid::now_v7())
}

pub fn new_export_id() -> String {
    prefixed("exp", uuid::Uuid::now_v7())
}

fn prefixed(prefix: &str, id: uuid::Uuid) -> String {
    format!("{prefix}_{}", id.simple())
}

/// A new secret credential: `prefix` + 43 characters of base64url (256 random bits).
pub fn new_secret(prefix: &str) -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// SHA-256 of a secret: what the store keeps instead of the secret itself. Secrets are 256 random
/// bits, so a fast hash is the right tool (a password hash would only slow every request down).
pub fn secret_hash(secret: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).into()
}

/// Lower-case hex of `bytes`, as hashes and server ids are spelled. Several times faster than
/// `hex::encode`'s per-character iterator; read paths call it twice per event.
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut out).expect("the buffer is twice the input");
    String::from_utf8(out).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_unique() {
        let a = new_event_id();
        let b = new_event_id();
        assert!(a.starts_with("evt_") && a.len() == 36, "{a}");
        assert_ne!(a, b);
        assert!(new_organization_id().starts_with("org_"));
    }

    #[test]
    fn secrets_are_long_and_hash_stably() {
        let s = new_secret("trail_");
        assert_eq!(s.len(), "trail_".len() + 43);
        assert_eq!(secret_hash(&s), secret_hash(&s));
        assert_ne!(secret_hash(&s), secret_hash("trail_other"));
    }
}
