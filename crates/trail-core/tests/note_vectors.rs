//! Signed-note interoperability: the test vectors of Go's `golang.org/x/mod/sumdb/note`
//! (`note_test.go`, BSD-3-Clause), and real `sum.golang.org` checkpoints signed by the Go checksum
//! database's published key (the `sum.golang.org+033de0ae+…` key in Go's `cmd/go`).

use trail_core::note::{Note, NoteError, SignerKey, VerifierKey};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

const SUMDB_VKEY: &str = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
const SUMDB_CHECKPOINTS: [&str; 2] = [
    "go.sum database tree\n15368405\n/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=\n\n\
     — sum.golang.org Az3grqJGUaSGukG9p8nI2vKgiFn7qGHxn0W+mrwyI6Gz3F0t1J3LzmWk/p96Ybf295EjwdSwlzgijq5WA9d1Ded7owM=\n",
    "go.sum database tree\n63512409\nF7eHRPqN/cqPtqti14NKdGGaI1Giw8coWP3KxihFZbg=\n\n\
     — sum.golang.org Az3gri1OBHKT87Xj8UXU8zjoHGy/X+7Nl94f8TZkELVaasolmGApUsWqwVG9vE6hgqYb/ph/w2vdkLIVRH7bMB/FPQ4=\n",
];

fn peter() -> VerifierKey {
    PETER_VKEY.parse().unwrap()
}

fn enoch() -> VerifierKey {
    ENOCH_VKEY.parse().unwrap()
}

#[test]
fn keys_parse_and_print_back_identically() {
    let signer = SignerKey::parse(PETER_SKEY).unwrap();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.verifier(), peter());
    assert_eq!(signer.verifier().to_string(), PETER_VKEY);
    assert_eq!(signer.to_secret_string(), PETER_SKEY);
    assert_eq!(enoch().to_string(), ENOCH_VKEY);
    assert_eq!(
        SUMDB_VKEY.parse::<VerifierKey>().unwrap().to_string(),
        SUMDB_VKEY
    );
    assert!(
        !format!("{signer:?}").contains("AYEKFALV"),
        "Debug must not leak the seed"
    );
}

/// `TestNewVerifier` / `TestNewSigner`: every proper substring and every one-byte change fails.
#[test]
fn mangled_keys_are_refused() {
    for (key, parse) in [
        (
            PETER_VKEY,
            (|k: &str| k.parse::<VerifierKey>().is_ok()) as fn(&str) -> bool,
        ),
        (PETER_SKEY, |k: &str| SignerKey::parse(k).is_ok()),
    ] {
        let bytes = key.as_bytes();
        for i in 0..=bytes.len() {
            for j in i + 1..=bytes.len() {
                if (i, j) != (0, bytes.len()) {
                    assert!(!parse(&key[i..j]), "accepted {:?}", &key[i..j]);
                }
            }
        }
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[i] += 1;
            let changed = String::from_utf8(changed).unwrap();
            assert!(!parse(&changed), "accepted {changed:?}");
        }
    }
    let wrong_length = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
    assert!(wrong_length.parse::<VerifierKey>().is_err());
    let unknown_alg = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert_eq!(
        unknown_alg.parse::<VerifierKey>(),
        Err(NoteError::UnknownAlgorithm(0x65))
    );
}

/// `TestSign`: Ed25519 is deterministic, so our output is Go's byte for byte.
#[test]
fn signing_reproduces_go_byte_for_byte() {
    let signer = SignerKey::parse(PETER_SKEY).unwrap();
    let note = Note::sign(TEXT, &[&signer]).unwrap();
    assert_eq!(note.to_string(), format!("{TEXT}\n{PETER_SIG}"));
    assert!(matches!(
        Note::sign("abc", &[&signer]),
        Err(NoteError::Malformed(_))
    ));
    assert!(matches!(
        SignerKey::from_seed("bad name", [0; 32]),
        Err(NoteError::InvalidName(_))
    ));
}

/// `TestOpen`.
#[test]
fn opening_follows_go() {
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let note = Note::open(&both, &[peter()]).unwrap();
    assert_eq!(note.text(), TEXT);
    assert_eq!(
        note.signatures().len(),
        2,
        "the unknown key's signature is kept, unverified"
    );
    assert_eq!(note.verify(&[peter()]).unwrap(), [&peter()]);
    assert_eq!(
        note.verify(&[peter(), enoch()]).unwrap(),
        [&peter(), &enoch()]
    );
    assert_eq!(Note::open(&both, &[]), Err(NoteError::NoVerifiedSignature));

    let ambiguous = Note::open(format!("{TEXT}\n{ENOCH_SIG}"), &[enoch(), peter(), enoch()]);
    assert!(matches!(ambiguous, Err(NoteError::AmbiguousKey { .. })));
    Note::open(format!("{TEXT}\n{PETER_SIG}"), &[enoch(), peter(), enoch()]).unwrap();

    let too_many = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    assert!(matches!(
        Note::open(&too_many, &[peter()]),
        Err(NoteError::Malformed(_))
    ));
    let hundred = format!("{TEXT}\n{}", PETER_SIG.repeat(100));
    assert_eq!(
        Note::open(&hundred, &[peter()]).unwrap().signatures().len(),
        1
    );

    let corrupt = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert_eq!(
        Note::open(&corrupt, &[peter()]),
        Err(NoteError::InvalidSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3
        })
    );

    let enoch_abcd = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    let repeated = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{enoch_abcd}");
    let note = Note::open(&repeated, &[peter()]).unwrap();
    let names: Vec<&str> = note.signatures().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["PeterNeumann", "EnochRoot", "EnochRoot"]);
}

/// `TestOpen`'s invalid encodings, plus bytes that are not UTF-8.
#[test]
fn malformed_notes_are_refused() {
    let bad: Vec<Vec<u8>> = vec![
        TEXT.into(),
        format!("{TEXT}\n").into(),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]).into(),
        format!("\x01{TEXT}\n{PETER_SIG}").into(),
        [b"\xff".as_slice(), format!("{TEXT}\n{PETER_SIG}").as_bytes()].concat(),
        format!("{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=").into(),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n").into(),
    ];
    for message in bad {
        let result = Note::open(&message, &[peter()]);
        assert!(
            matches!(result, Err(NoteError::Malformed(_))),
            "{:?}",
            String::from_utf8_lossy(&message)
        );
    }
}

#[test]
fn key_rotation_adds_a_second_signature_line() {
    let old = SignerKey::parse(PETER_SKEY).unwrap();
    let new = SignerKey::generate("PeterNeumann").unwrap();
    assert_ne!(new.key_id(), old.key_id());
    let mut note = Note::sign(TEXT, &[&old]).unwrap();
    note.add_signature(&new);
    note.add_signature(&new);
    let encoded = note.to_string();
    assert!(encoded.starts_with(&format!("{TEXT}\n{PETER_SIG}— PeterNeumann ")));
    assert_eq!(encoded.lines().count(), 5);
    for known in [
        vec![peter()],
        vec![new.verifier()],
        vec![peter(), new.verifier()],
    ] {
        Note::open(&encoded, &known).unwrap();
    }
}

#[test]
fn real_sum_golang_org_checkpoints_verify() {
    let sumdb: VerifierKey = SUMDB_VKEY.parse().unwrap();
    for message in SUMDB_CHECKPOINTS {
        let note = Note::open(message, std::slice::from_ref(&sumdb)).unwrap();
        assert!(note.text().starts_with("go.sum database tree\n"));
        let tampered = message.replacen("tree\n", "tree\n1", 1);
        assert!(matches!(
            Note::open(&tampered, std::slice::from_ref(&sumdb)),
            Err(NoteError::InvalidSignature { .. })
        ));
    }
}
