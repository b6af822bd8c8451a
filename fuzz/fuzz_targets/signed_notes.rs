//! Checkpoints and signed notes: parsing and opening never panic, and a parsed checkpoint prints
//! back to text that parses to the same checkpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trail_core::checkpoint::Checkpoint;
use trail_core::note::{Note, SignerKey};

fuzz_target!(|data: &[u8]| {
    let signer = SignerKey::from_seed("fuzz.example", [7u8; 32]).expect("a valid key name");
    let verifier = signer.verifier();
    let _ = Note::parse(data);
    let _ = Note::open(data, std::slice::from_ref(&verifier));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = SignerKey::parse(text);
    if let Ok(checkpoint) = Checkpoint::parse(text) {
        let again =
            Checkpoint::parse(&checkpoint.to_string()).expect("a printed checkpoint parses");
        assert_eq!(again, checkpoint);
    }
});
