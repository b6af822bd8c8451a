//! Checkpoint vectors: Go's `golang.org/x/mod/sumdb/tlog` `note_test.go` (`TestFormatTree`,
//! `TestParseTree`), the example of the C2SP `tlog-checkpoint` specification, and a real signed
//! `sum.golang.org` tree head opened as a checkpoint.

use trail_core::canonical::leaf_hash_of_bytes;
use trail_core::checkpoint::{Checkpoint, CheckpointError, log_origin};
use trail_core::note::{Note, NoteError, SignerKey, VerifierKey};

const GO_TREE: &str =
    "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";

const C2SP_EXAMPLE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\
     — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

const SUMDB_VKEY: &str = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
const SUMDB_CHECKPOINT: &str = "go.sum database tree\n63512409\nF7eHRPqN/cqPtqti14NKdGGaI1Giw8coWP3KxihFZbg=\n\n\
     — sum.golang.org Az3gri1OBHKT87Xj8UXU8zjoHGy/X+7Nl94f8TZkELVaasolmGApUsWqwVG9vE6hgqYb/ph/w2vdkLIVRH7bMB/FPQ4=\n";

/// Go's `RecordHash([]byte("hello world"))` is the RFC 6962 leaf hash.
fn hello_world() -> [u8; 32] {
    leaf_hash_of_bytes(b"hello world")
}

#[test]
fn go_tree_formats_and_parses() {
    let checkpoint = Checkpoint::new("go.sum database tree", 123456789012, hello_world());
    assert_eq!(checkpoint.to_string(), GO_TREE);
    assert_eq!(Checkpoint::parse(GO_TREE), Ok(checkpoint));
}

#[test]
fn go_bad_trees_are_refused() {
    let hex_size = "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    let long_root =
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n";
    for bad in [hex_size, long_root] {
        assert!(
            matches!(Checkpoint::parse(bad), Err(CheckpointError::Malformed(_))),
            "{bad:?}"
        );
    }
    let other = Checkpoint::parse(&format!("not-{GO_TREE}")).unwrap();
    assert_eq!(
        other.origin, "not-go.sum database tree",
        "a different log, not this one"
    );
}

/// Go ignores what follows the root; the C2SP format makes it extension lines, each ending in a
/// newline, so text after the last newline is refused.
#[test]
fn trailing_lines_are_extensions() {
    let with_extensions = Checkpoint::parse(&format!("{GO_TREE}{}", "JOE\n".repeat(1000))).unwrap();
    assert_eq!(with_extensions.size, 123456789012);
    assert_eq!(with_extensions.extensions.len(), 1000);
    assert!(Checkpoint::parse(&format!("{GO_TREE}JOE")).is_err());
}

#[test]
fn c2sp_example_parses_and_is_not_trusted_without_its_key() {
    let note = Note::parse(C2SP_EXAMPLE).unwrap();
    let checkpoint = Checkpoint::parse(note.text()).unwrap();
    assert_eq!(checkpoint.origin, "example.com/behind-the-sofa");
    assert_eq!(checkpoint.size, 20852163);
    assert_eq!(note.signatures()[0].name, "example.com/behind-the-sofa");
    let stranger = SignerKey::from_seed("example.com/behind-the-sofa", [7; 32])
        .unwrap()
        .verifier();
    assert_eq!(
        Checkpoint::open(C2SP_EXAMPLE, &[stranger], "example.com/behind-the-sofa"),
        Err(CheckpointError::Note(NoteError::NoVerifiedSignature))
    );
}

#[test]
fn a_real_signed_tree_head_opens_as_a_checkpoint() {
    let sumdb: VerifierKey = SUMDB_VKEY.parse().unwrap();
    let (checkpoint, note) =
        Checkpoint::open(SUMDB_CHECKPOINT, &[sumdb], "go.sum database tree").unwrap();
    assert_eq!(checkpoint.size, 63512409);
    assert_eq!(
        note.to_string(),
        SUMDB_CHECKPOINT,
        "re-encoding is byte-identical"
    );
}

/// The example checkpoint of `docs/integrity.md`: signed with the seed `[42; 32]`.
const DOC_VKEY: &str = "trail.example.com+10f204e1+ARl/ayPhbIUyxqvIOPrNXqeJvgx2spIDNAOb+os9No1h";
const DOC_CHECKPOINT: &str = "trail.example.com/org_01JD2Q5XK2\n1204331\n\
     TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n\n\
     — trail.example.com EPIE4T2NGLqGZ3nBuql0XGzGRCAA3Ko2/lX+ujnFTNLYwrbktyAiYAGAn9X8ye80FnxrabE5DzyuuhMYU6cSJTvUEg4=\n";

#[test]
fn trail_checkpoints_are_deterministic_signed_notes() {
    let key = SignerKey::from_seed("trail.example.com", [42; 32]).unwrap();
    assert_eq!(key.verifier().to_string(), DOC_VKEY);
    let origin = log_origin("trail.example.com", "org_01JD2Q5XK2");
    let checkpoint = Checkpoint::new(&origin, 1204331, hello_world());
    assert_eq!(
        checkpoint.sign(&[&key]).unwrap().to_string(),
        DOC_CHECKPOINT
    );
    let vkey: VerifierKey = DOC_VKEY.parse().unwrap();
    let (opened, _) = Checkpoint::open(DOC_CHECKPOINT, &[vkey], &origin).unwrap();
    assert_eq!(opened, checkpoint);
}
