//! Stream secrets sealed at rest: HEC tokens, webhook secrets and secret access keys are needed in
//! clear to deliver, so they cannot be hashed, but they need not sit readable in the database —
//! in its backups, in a PostgreSQL dump, in a replica. Every string of a stream's `secrets` is
//! stored as `sealed:v1:<base64(nonce ‖ AES-256-GCM ciphertext ‖ tag)>`, with the organization and
//! stream ids as associated data (a sealed value moved to another stream does not open).
//!
//! The key is a file outside the database: `streams.secrets_key_file`, by default
//! `<data dir>/stream-secrets.key` (32 random bytes in base64, mode 0600), generated on first
//! start. Every node of a PostgreSQL cluster needs the same file, like the log signing key.
//! Values stored before sealing existed are read as they are and sealed on the stream's next change.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use serde_json::Value;
use trail_store::Stream;

/// The key file `trail serve` generates when no `streams.secrets_key_file` is configured.
pub const DEFAULT_KEY_FILE: &str = "stream-secrets.key";
const PREFIX: &str = "sealed:v1:";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Seals and opens stream secrets with the operator's key.
pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    /// A sealer with these 32 key bytes.
    pub fn new(key: &[u8; 32]) -> Sealer {
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256 takes 32 bytes");
        Sealer {
            key: LessSafeKey::new(unbound),
        }
    }

    /// Reads the key file, or generates it (mode 0600) when it does not exist.
    pub fn load(path: &Path) -> anyhow::Result<Sealer> {
        if path.exists() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the stream secrets key {}", path.display()))?;
            let key: [u8; 32] = B64
                .decode(text.trim())
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .with_context(|| {
                    format!(
                        "{} is not a stream secrets key (32 bytes in base64; streams.secrets_key_file)",
                        path.display()
                    )
                })?;
            return Ok(Sealer::new(&key));
        }
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        crate::integrity::keys::write_secret_file(
            path,
            &B64.encode(key),
            "the stream secrets key",
        )?;
        tracing::info!(file = %path.display(), "Generated the key that seals stream secrets");
        Ok(Sealer::new(&key))
    }

    fn aad(stream: &Stream) -> String {
        format!("{}/{}", stream.organization_id, stream.id)
    }

    /// Seals every string of the stream's secrets that is not sealed yet.
    pub fn seal(&self, stream: &mut Stream) {
        let aad = Self::aad(stream);
        walk(&mut stream.secrets, &mut |text| {
            if text.starts_with(PREFIX) {
                return Ok(());
            }
            let mut nonce = [0u8; NONCE_LEN];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
            let mut data = text.as_bytes().to_vec();
            self.key
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad.as_bytes()),
                    &mut data,
                )
                .map_err(|_| "sealing failed".to_owned())?;
            let mut out = nonce.to_vec();
            out.extend_from_slice(&data);
            *text = format!("{PREFIX}{}", B64.encode(out));
            Ok(())
        })
        .expect("sealing in memory does not fail");
    }

    /// The stream with its secrets opened; `Err` when a value does not open with this key (the
    /// key file changed, or the value was moved from another stream).
    pub fn open(&self, stream: &Stream) -> Result<Stream, String> {
        let aad = Self::aad(stream);
        let mut opened = stream.clone();
        walk(&mut opened.secrets, &mut |text| {
            let Some(sealed) = text.strip_prefix(PREFIX) else {
                return Ok(());
            };
            let bytes = B64
                .decode(sealed)
                .map_err(|_| "a sealed secret is not base64")?;
            if bytes.len() < NONCE_LEN {
                return Err("a sealed secret is too short".into());
            }
            let (nonce, data) = bytes.split_at(NONCE_LEN);
            let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce")?;
            let mut data = data.to_vec();
            let plain = self
                .key
                .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut data)
                .map_err(|_| {
                    "the stream's secrets do not open with the configured key \
                     (streams.secrets_key_file changed?); set them again"
                        .to_owned()
                })?;
            *text = String::from_utf8(plain.to_vec()).map_err(|_| "a secret is not UTF-8")?;
            Ok(())
        })?;
        Ok(opened)
    }
}

/// Calls `f` on every string in `value`, depth first.
fn walk(
    value: &mut Value,
    f: &mut impl FnMut(&mut String) -> Result<(), String>,
) -> Result<(), String> {
    match value {
        Value::String(text) => f(text),
        Value::Array(items) => items.iter_mut().try_for_each(|v| walk(v, f)),
        Value::Object(map) => map.values_mut().try_for_each(|v| walk(v, f)),
        _ => Ok(()),
    }
}

/// The key file of these settings: `streams.secrets_key_file`, or the data directory's.
pub fn key_file(settings: &crate::config::Settings) -> PathBuf {
    settings
        .streams
        .secrets_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join(DEFAULT_KEY_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use trail_core::Millis;

    fn stream(id: &str, secrets: Value) -> Stream {
        Stream {
            organization_id: "org_1".into(),
            id: id.into(),
            name: "s".into(),
            kind: "webhook".into(),
            format: "trail".into(),
            url: "https://example.com".into(),
            filter: String::new(),
            settings: json!({}),
            secrets,
            created_at: Millis(0),
            updated_at: Millis(0),
        }
    }

    #[test]
    fn secrets_seal_open_and_stay_bound_to_their_stream() {
        let sealer = Sealer::new(&[7; 32]);
        let clear = json!({"token": "t0ken", "secrets": [{"secret": "whsec_abc", "until": 5}]});
        let mut s = stream("strm_1", clear.clone());
        sealer.seal(&mut s);
        let stored = s.secrets.to_string();
        assert!(
            !stored.contains("t0ken") && !stored.contains("whsec_abc"),
            "{stored}"
        );
        assert_eq!(
            s.secrets["secrets"][0]["until"], 5,
            "numbers stay as they are"
        );
        let again = {
            let mut twice = s.clone();
            sealer.seal(&mut twice);
            twice.secrets
        };
        assert_eq!(again, s.secrets, "sealed values are not sealed twice");
        assert_eq!(sealer.open(&s).unwrap().secrets, clear);

        let mut moved = stream("strm_2", s.secrets.clone());
        assert!(sealer.open(&moved).is_err(), "bound to the stream");
        moved.id = "strm_1".into();
        assert!(Sealer::new(&[8; 32]).open(&moved).is_err(), "another key");
        assert_eq!(
            sealer
                .open(&stream("strm_1", clear.clone()))
                .unwrap()
                .secrets,
            clear,
            "values stored in clear read as they are"
        );
    }

    #[test]
    fn the_key_file_is_generated_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/stream-secrets.key");
        let mut s = stream("strm_1", json!({"token": "t"}));
        Sealer::load(&path).unwrap().seal(&mut s);
        assert_eq!(
            Sealer::load(&path).unwrap().open(&s).unwrap().secrets,
            json!({"token": "t"})
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let error = Sealer::load(&path).unwrap_err().to_string();
        assert!(error.contains("streams.secrets_key_file"), "{error}");
    }
}
