//! The log signing keys: read from the operator's key files, or generated on first start into
//! `<data dir>/log-signing.key` (mode 0600). Every configured key signs every checkpoint, so
//! giving two files during a rotation puts two signature lines on each checkpoint.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use trail_core::note::{SignerKey, VerifierKey};

use crate::config::Settings;

/// The key file `trail serve` generates when no `log_signing_key_file` is configured.
pub const DEFAULT_KEY_FILE: &str = "log-signing.key";

/// The keys that sign checkpoints, in the order their signature lines appear.
pub struct LogKeys {
    signers: Vec<SignerKey>,
}

impl std::fmt::Debug for LogKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.signers.iter().map(|s| s.verifier().to_string()))
            .finish()
    }
}

impl LogKeys {
    /// Loads the configured key files, generating any that does not exist yet (named after
    /// `log_origin`); with none configured, `<data dir>/log-signing.key`.
    pub fn load(settings: &Settings) -> anyhow::Result<LogKeys> {
        let files = match settings.log_signing_key_files.as_slice() {
            [] => vec![settings.data_dir.join(DEFAULT_KEY_FILE)],
            files => files.to_vec(),
        };
        let mut signers: Vec<SignerKey> = Vec::with_capacity(files.len());
        for file in &files {
            let signer = match file.exists() {
                true => read_key_file(file)?,
                false => generate_key_file(file, &settings.log_origin)?,
            };
            if signer.name() != settings.log_origin {
                tracing::warn!(
                    key = %signer.verifier(),
                    origin = %settings.log_origin,
                    "The log signing key is not named after TRAIL_LOG_ORIGIN"
                );
            }
            if signers.iter().all(|s| s.verifier() != signer.verifier()) {
                signers.push(signer);
            }
        }
        Ok(LogKeys { signers })
    }

    pub fn signers(&self) -> Vec<&SignerKey> {
        self.signers.iter().collect()
    }

    /// The verifier keys, one per signer.
    pub fn verifiers(&self) -> Vec<VerifierKey> {
        self.signers.iter().map(SignerKey::verifier).collect()
    }
}

/// Reads a `PRIVATE+KEY+…` key file.
pub fn read_key_file(path: &Path) -> anyhow::Result<SignerKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the log signing key {}", path.display()))?;
    SignerKey::parse(text.trim())
        .with_context(|| format!("{} is not a log signing key", path.display()))
}

/// Generates a key named `name` into a new file only its owner can read.
fn generate_key_file(path: &Path, name: &str) -> anyhow::Result<SignerKey> {
    let signer = SignerKey::generate(name)
        .with_context(|| format!("`{name}` cannot name a log signing key (TRAIL_LOG_ORIGIN)"))?;
    write_secret_file(path, &signer.to_secret_string(), "the log signing key")?;
    tracing::info!(file = %path.display(), key = %signer.verifier(), "Generated a log signing key");
    Ok(signer)
}

/// Writes `line` into a new file only its owner can read (mode 0600), creating its directory,
/// synced before it returns; fails when the file exists. For the key files Trail generates.
pub fn write_secret_file(path: &Path, line: &str, what: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {what} {}", path.display()))?;
    writeln!(file, "{line}")
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// The default key file of a data directory.
pub fn default_key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(DEFAULT_KEY_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_generated_once_private_and_named_after_the_origin() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::for_tests(dir.path(), "t");
        let first = LogKeys::load(&settings).unwrap();
        let again = LogKeys::load(&settings).unwrap();
        assert_eq!(first.verifiers(), again.verifiers());
        assert_eq!(first.verifiers()[0].name(), "trail.test");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = default_key_file(dir.path());
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn two_files_give_two_signers_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_tests(dir.path(), "t");
        let old = LogKeys::load(&settings).unwrap().verifiers();
        let new_file = dir.path().join("next.key");
        settings.log_signing_key_files = vec![new_file.clone(), default_key_file(dir.path())];
        let both = LogKeys::load(&settings).unwrap();
        assert_eq!(both.signers().len(), 2);
        assert_eq!(both.verifiers()[1], old[0]);
        assert_eq!(
            read_key_file(&new_file).unwrap().verifier(),
            both.verifiers()[0]
        );
        std::fs::write(&new_file, "not a key").unwrap();
        assert!(LogKeys::load(&settings).is_err());
    }
}
