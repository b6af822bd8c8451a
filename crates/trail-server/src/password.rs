//! Passwords: Argon2id with the `argon2` crate's default parameters (19 MiB, 2 passes), stored as
//! PHC strings. Hashing is slow on purpose, so callers run it with `spawn_blocking`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_LEN: usize = 256;

/// The Argon2id PHC string of `password`.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// A well-formed hash of nothing in particular, checked when an account has none.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1Yb0J0p0Z9o2Yk1b8w8rQ0nQ7m9cH3a6m0q9nY3xk2E";

/// Whether `password` matches `stored`. With no stored hash, a fixed one is checked instead, so
/// an unknown account takes as long to refuse as a wrong password.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or(DUMMY)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_do_not_contain_the_password() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains("correct horse"));
        assert!(verify(Some(&stored), "correct horse battery"));
        assert!(!verify(Some(&stored), "correct horse battery!"));
        assert!(!verify(None, "correct horse battery"));
        assert_ne!(stored, hash("correct horse battery").unwrap(), "salted");
        assert!(
            PasswordHash::new(DUMMY).is_ok(),
            "unknown accounts cost a real check"
        );
    }
}
