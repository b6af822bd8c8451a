//! C2SP signed notes (`c2sp.org/signed-note`) with Ed25519 keys, byte-compatible with Go's
//! `golang.org/x/mod/sumdb/note`: verifier keys `name+hex8+base64(0x01‖pub)`, signer keys
//! `PRIVATE+KEY+name+hex8+base64(0x01‖seed)`, and `— name base64(key ID‖signature)` lines.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 keys.
pub const ALG_ED25519: u8 = 0x01;
/// More signature lines than this make a note malformed (as in Go; the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;
const SIGNATURE_PREFIX: &str = "— ";

/// Why a key or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("invalid key name {0:?}: it must be non-empty, without spaces or '+'")]
    InvalidName(String),
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    #[error("unknown signature algorithm {0:#04x}")]
    UnknownAlgorithm(u8),
    #[error("the key ID does not match the key")]
    KeyIdMismatch,
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("ambiguous key {name}+{key_id:08x}: several known keys have this name and ID")]
    AmbiguousKey { name: String, key_id: u32 },
    #[error("note has no verifiable signatures")]
    NoVerifiedSignature,
}

/// Key names are non-empty and contain neither Unicode spaces nor `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '+')
}

/// `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4]`, big-endian.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name)
        .chain_update([b'\n', ALG_ED25519])
        .chain_update(public_key)
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A public key that checks signatures: the `name+hex8+base64` verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl VerifierKey {
    /// The verifier key for an Ed25519 public key.
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<VerifierKey, NoteError> {
        check_name(name)?;
        let key = VerifyingKey::from_bytes(&public_key)
            .map_err(|_| NoteError::MalformedKey("not an Ed25519 public key"))?;
        let key_id = key_id(name, &public_key);
        Ok(VerifierKey {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

impl FromStr for VerifierKey {
    type Err = NoteError;

    fn from_str(vkey: &str) -> Result<VerifierKey, NoteError> {
        let (name, key_id, key) = split_key(vkey)?;
        let public_key = algorithm_key(&key)?;
        let verifier = VerifierKey::new(name, public_key)?;
        if verifier.key_id != key_id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(verifier)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded = BASE64.encode([&[ALG_ED25519][..], self.key.as_bytes()].concat());
        write!(f, "{}+{:08x}+{encoded}", self.name, self.key_id)
    }
}

/// A private key that signs notes. Its `Debug` shows only the public half.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl SignerKey {
    /// A new random key pair.
    pub fn generate(name: &str) -> Result<SignerKey, NoteError> {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        SignerKey::from_seed(name, seed)
    }

    /// The key pair of an RFC 8032 Ed25519 seed (the 32-byte private key).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SignerKey, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(name, key.verifying_key().as_bytes());
        Ok(SignerKey {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    /// Parses a `PRIVATE+KEY+name+hex8+base64(0x01‖seed)` signer key.
    pub fn parse(skey: &str) -> Result<SignerKey, NoteError> {
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::MalformedKey(
                "a signer key starts with PRIVATE+KEY+",
            ))?;
        let (name, key_id, key) = split_key(rest)?;
        let signer = SignerKey::from_seed(name, algorithm_key(&key)?)?;
        if signer.key_id != key_id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(signer)
    }

    /// The secret `PRIVATE+KEY+…` form, for the operator's key file.
    pub fn to_secret_string(&self) -> String {
        let encoded = BASE64.encode([&[ALG_ED25519][..], self.key.as_bytes()].concat());
        format!("PRIVATE+KEY+{}+{:08x}+{encoded}", self.name, self.key_id)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The matching public key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    fn sign(&self, text: &str) -> NoteSignature {
        let signature = self.key.sign(text.as_bytes()).to_bytes().to_vec();
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        }
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("verifier", &self.verifier().to_string())
            .finish()
    }
}

/// One signature line: the key's name and ID, and the signature bytes after the ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    pub signature: Vec<u8>,
}

/// A note text with one or more signatures; `Display` gives the encoded signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// Signs `text` (which must end in a newline) with each signer, in order.
    pub fn sign(text: impl Into<String>, signers: &[&SignerKey]) -> Result<Note, NoteError> {
        let text = text.into();
        check_text(&text)?;
        if !text.ends_with('\n') {
            return Err(NoteError::Malformed("the text must end in a newline"));
        }
        if signers.is_empty() {
            return Err(NoteError::Malformed(
                "a signed note needs at least one signature",
            ));
        }
        let mut note = Note {
            text,
            signatures: Vec::new(),
        };
        for signer in signers {
            note.add_signature(signer);
        }
        Ok(note)
    }

    /// Parses a signed note without checking any signature.
    pub fn parse(message: impl AsRef<[u8]>) -> Result<Note, NoteError> {
        let message =
            std::str::from_utf8(message.as_ref()).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        check_text(message)?;
        let split = message
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no signature block"))?;
        let (text, block) = (&message[..=split], &message[split + 2..]);
        let block = block.strip_suffix('\n').ok_or(NoteError::Malformed(
            "the signature block must end in a newline",
        ))?;
        let mut signatures: Vec<NoteSignature> = Vec::new();
        for (count, line) in block.split('\n').enumerate() {
            if count == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signature lines"));
            }
            let signature = parse_signature_line(line)?;
            if !signatures.contains(&signature) {
                signatures.push(signature);
            }
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Parses a signed note and verifies it against the known keys.
    pub fn open(message: impl AsRef<[u8]>, known: &[VerifierKey]) -> Result<Note, NoteError> {
        let note = Note::parse(message)?;
        note.verify(known)?;
        Ok(note)
    }

    /// Verifies the signatures by known keys and returns those keys. Signatures by unknown keys are
    /// ignored; a bad signature by a known key, or no good one, is an error.
    pub fn verify<'k>(&self, known: &'k [VerifierKey]) -> Result<Vec<&'k VerifierKey>, NoteError> {
        let mut verified: Vec<&VerifierKey> = Vec::new();
        for signature in &self.signatures {
            let (name, key_id) = (signature.name.as_str(), signature.key_id);
            let mut matching = known
                .iter()
                .filter(|k| k.name == name && k.key_id == key_id);
            let Some(key) = matching.next() else { continue };
            if matching.next().is_some() {
                return Err(NoteError::AmbiguousKey {
                    name: name.to_owned(),
                    key_id,
                });
            }
            if verified.contains(&key) {
                continue;
            }
            let bytes: [u8; 64] = signature.signature.as_slice().try_into().map_err(|_| {
                NoteError::InvalidSignature {
                    name: name.to_owned(),
                    key_id,
                }
            })?;
            key.key
                .verify(self.text.as_bytes(), &Signature::from_bytes(&bytes))
                .map_err(|_| NoteError::InvalidSignature {
                    name: name.to_owned(),
                    key_id,
                })?;
            verified.push(key);
        }
        if verified.is_empty() {
            return Err(NoteError::NoVerifiedSignature);
        }
        Ok(verified)
    }

    /// Adds a signature (key rotation: sign with the new key too), replacing one by the same key.
    pub fn add_signature(&mut self, signer: &SignerKey) {
        self.signatures
            .retain(|s| s.name != signer.name || s.key_id != signer.key_id);
        self.signatures.push(signer.sign(&self.text));
    }

    /// The signed text, final newline included.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.text)?;
        for s in &self.signatures {
            let encoded = BASE64.encode([&s.key_id.to_be_bytes()[..], &s.signature].concat());
            writeln!(f, "{SIGNATURE_PREFIX}{} {encoded}", s.name)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(NoteError::InvalidName(name.to_owned()))
    }
}

/// Signed notes are UTF-8 without ASCII control characters other than newline.
fn check_text(text: &str) -> Result<(), NoteError> {
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

/// `name+hex8+base64` into its parts; the base64 may itself contain `+`.
fn split_key(key: &str) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let mut parts = key.splitn(3, '+');
    let (Some(name), Some(hex8), Some(key64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::MalformedKey("expected name+keyid+key"));
    };
    check_name(name)?;
    if hex8.len() != 8 || !hex8.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NoteError::MalformedKey(
            "the key ID is 8 hexadecimal digits",
        ));
    }
    let key_id = u32::from_str_radix(hex8, 16).map_err(|_| NoteError::MalformedKey("key ID"))?;
    let key = BASE64
        .decode(key64)
        .map_err(|_| NoteError::MalformedKey("bad base64"))?;
    Ok((name, key_id, key))
}

/// `0x01 ‖ 32 bytes` into the 32 bytes.
fn algorithm_key(key: &[u8]) -> Result<[u8; 32], NoteError> {
    match key.split_first() {
        Some((&ALG_ED25519, rest)) => rest
            .try_into()
            .map_err(|_| NoteError::MalformedKey("an Ed25519 key is 32 bytes")),
        Some((&algorithm, _)) => Err(NoteError::UnknownAlgorithm(algorithm)),
        None => Err(NoteError::MalformedKey("empty key")),
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let malformed = NoteError::Malformed("bad signature line");
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(malformed.clone())?;
    let (name, encoded) = rest.split_once(' ').ok_or(malformed.clone())?;
    let bytes = BASE64.decode(encoded).map_err(|_| malformed.clone())?;
    if !is_valid_key_name(name) || bytes.len() < 5 {
        return Err(malformed);
    }
    let (id, signature) = bytes.split_at(4);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes(id.try_into().expect("split at 4")),
        signature: signature.to_vec(),
    })
}
