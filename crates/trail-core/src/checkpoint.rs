//! C2SP `tlog-checkpoint` bodies (`<origin>\n<size>\n<base64 root>\n[extension lines]`), parsed
//! strictly, and their signing and opening as C2SP signed notes.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::merkle::Hash;
use crate::note::{Note, NoteError, SignerKey, VerifierKey};

/// A log's signed claim: the tree of `size` leaves has root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity; Trail uses `<TRAIL_LOG_ORIGIN>/<organization id>` ([`log_origin`]).
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque, non-empty lines after the root; Trail writes none.
    pub extensions: Vec<String>,
}

/// Why a checkpoint text or signed checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error("checkpoint origin is {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// The checkpoint origin of one organization's log: `<prefix>/<organization id>`.
pub fn log_origin(prefix: &str, organization_id: &str) -> String {
    format!("{}/{organization_id}", prefix.trim_end_matches('/'))
}

impl Checkpoint {
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses a checkpoint body as `c2sp.org/tlog-checkpoint` defines it: at least three non-empty
    /// lines, each ending in a newline; a decimal size without leading zeroes; a base64 32-byte root.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("the text must end in a newline"))?;
        if body.bytes().any(|b| b < 0x20 && b != b'\n') {
            return Err(CheckpointError::Malformed("control character"));
        }
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Malformed("fewer than three lines"));
        };
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("empty origin"));
        }
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions,
        })
    }

    /// Signs the checkpoint text with each key and returns the signed note. Refuses a checkpoint
    /// whose text would not parse back to itself (an origin with a newline, an empty extension).
    pub fn sign(&self, signers: &[&SignerKey]) -> Result<Note, CheckpointError> {
        let text = self.to_string();
        if Checkpoint::parse(&text)? != *self {
            return Err(CheckpointError::Malformed(
                "the checkpoint does not round-trip",
            ));
        }
        Ok(Note::sign(text, signers)?)
    }

    /// Opens a signed checkpoint: the note must verify with a known key, its text must be a
    /// checkpoint, and its origin the expected one.
    pub fn open(
        message: impl AsRef<[u8]>,
        known: &[VerifierKey],
        expected_origin: &str,
    ) -> Result<(Checkpoint, Note), CheckpointError> {
        let note = Note::open(message, known)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        if checkpoint.origin != expected_origin {
            return Err(CheckpointError::WrongOrigin {
                expected: expected_origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok((checkpoint, note))
    }
}

impl fmt::Display for Checkpoint {
    /// The checkpoint body: the note text that gets signed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}\n{}\n{}",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )?;
        for line in &self.extensions {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let malformed =
        CheckpointError::Malformed("the size is a decimal number without leading zeroes");
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed);
    }
    if line.len() > 1 && line.starts_with('0') {
        return Err(malformed);
    }
    line.parse().map_err(|_| malformed)
}

fn parse_root(line: &str) -> Result<Hash, CheckpointError> {
    let malformed = || CheckpointError::Malformed("the root hash is 32 bytes in standard base64");
    let bytes = BASE64.decode(line).map_err(|_| malformed())?;
    bytes.try_into().map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const ROOT_B64: &str = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";

    #[rstest]
    #[case::no_final_newline("o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=")]
    #[case::two_lines("o\n1\n")]
    #[case::empty_origin("\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")]
    #[case::leading_zero("o\n01\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")]
    #[case::plus_sign("o\n+1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")]
    #[case::hex_size("o\n0x1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")]
    #[case::too_big("o\n18446744073709551616\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")]
    #[case::short_root("o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40Hmuw\n")]
    #[case::unpadded_root("o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0\n")]
    #[case::url_safe_root("o\n1\nTszzRgjTG6xce-z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")]
    #[case::empty_extension("o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n\n")]
    #[case::carriage_return("o\r\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n")]
    fn malformed_checkpoints_are_refused(#[case] text: &str) {
        assert!(Checkpoint::parse(text).is_err(), "{text:?}");
    }

    #[test]
    fn extensions_and_size_zero_round_trip() {
        let text = format!("example.com/log\n0\n{ROOT_B64}\nx-ext one\nsecond\n");
        let checkpoint = Checkpoint::parse(&text).unwrap();
        assert_eq!(checkpoint.size, 0);
        assert_eq!(checkpoint.extensions, ["x-ext one", "second"]);
        assert_eq!(checkpoint.to_string(), text);
    }

    #[test]
    fn signing_refuses_what_would_not_parse_back() {
        let key = SignerKey::from_seed("trail.test", [1; 32]).unwrap();
        let bad = Checkpoint::new("trail.test/org_1\n5", 1, [0; 32]);
        assert!(matches!(
            bad.sign(&[&key]),
            Err(CheckpointError::Malformed(_))
        ));
    }

    #[test]
    fn open_checks_the_origin() {
        let key = SignerKey::from_seed("trail.test", [1; 32]).unwrap();
        let origin = log_origin("trail.test/", "org_1");
        assert_eq!(origin, "trail.test/org_1");
        let signed = Checkpoint::new(&origin, 3, [9; 32])
            .sign(&[&key])
            .unwrap()
            .to_string();
        let known = [key.verifier()];
        let (checkpoint, _) = Checkpoint::open(&signed, &known, &origin).unwrap();
        assert_eq!((checkpoint.size, checkpoint.root), (3, [9; 32]));
        assert!(matches!(
            Checkpoint::open(&signed, &known, "trail.test/org_2"),
            Err(CheckpointError::WrongOrigin { .. })
        ));
    }
}
