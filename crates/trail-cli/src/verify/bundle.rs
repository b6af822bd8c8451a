//! Verifying an export bundle offline (`trail verify --bundle FILE`): the checkpoint's signature
//! against the pinned `--vkey` (or, with a warning, the key the bundle carries), then for every
//! event its leaf hash recomputed from the event as stored, and its inclusion proof against the
//! checkpoint's root. A bad event is named by seq and id.

use std::io::Read;
use std::path::Path;

use anyhow::{Context as _, bail};
use trail_core::canonical::leaf_hash_of_api_json;
use trail_core::checkpoint::Checkpoint;
use trail_core::merkle::InclusionProof;
use trail_core::note::{Note, VerifierKey};

use super::report::{CheckedCheckpoint, OrgReport, Problem, Report};

/// The files of a bundle (docs/exports.md).
pub const EVENTS: &str = "events.ndjson";
pub const PROOFS: &str = "proofs.ndjson";
pub const CHECKPOINT: &str = "checkpoint";
pub const PUBLIC_KEY: &str = "public-key";

/// Checks the bundle at `path`. `pinned` are the `--vkey`s; without them the bundle's own key is
/// used and a warning says so. Errors are for a file that is not a bundle at all.
pub fn verify(path: &Path, pinned: &[VerifierKey]) -> anyhow::Result<Report> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .with_context(|| format!("{} is not a bundle (not a zip)", path.display()))?;
    let mut read = |name: &str| -> anyhow::Result<String> {
        let mut text = String::new();
        zip.by_name(name)
            .with_context(|| format!("the bundle has no `{name}`"))?
            .read_to_string(&mut text)
            .with_context(|| format!("reading `{name}`"))?;
        Ok(text)
    };
    let (note, key_text, events, proofs) = (
        read(CHECKPOINT)?,
        read(PUBLIC_KEY)?,
        read(EVENTS)?,
        read(PROOFS)?,
    );
    let mut warnings = Vec::new();
    let keys: Vec<VerifierKey> = if pinned.is_empty() {
        warnings.push(
            "checking the signature with the key inside the bundle; pin the log's key with --vkey to trust nothing the bundle says"
                .to_owned(),
        );
        key_text
            .split_whitespace()
            .map(|k| k.parse().with_context(|| format!("the bundle's key {k:?}")))
            .collect::<anyhow::Result<_>>()?
    } else {
        pinned.to_vec()
    };
    let mut report = OrgReport {
        organization_id: String::new(),
        valid: false,
        events: 0,
        valid_events: 0,
        checkpoint: None,
        trusted_checkpoint: None,
        problems: Vec::new(),
        notes: Vec::new(),
    };
    let checkpoint = match open(&note, &keys) {
        Ok((checkpoint, signed_by)) => {
            report.checkpoint = Some(CheckedCheckpoint {
                size: checkpoint.size,
                signed_by,
            });
            Some(checkpoint)
        }
        Err(e) => {
            report.problems.push(Problem::log(format!("{e:#}")));
            None
        }
    };
    let mut proofs = proofs.lines().filter(|l| !l.trim().is_empty());
    for (line, text) in events.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        report.events += 1;
        let proof = proofs.next();
        match check_event(
            text,
            proof,
            checkpoint.as_ref(),
            &mut report.organization_id,
        ) {
            Ok(()) => report.valid_events += 1,
            Err(problem) => report.problems.push(match problem {
                Problem { seq: None, message } => {
                    Problem::log(format!("line {} of {EVENTS}: {message}", line + 1))
                }
                located => located,
            }),
        }
    }
    if proofs.next().is_some() {
        report.problems.push(Problem::log(format!(
            "{PROOFS} has more lines than {EVENTS}"
        )));
    }
    if let Some(checkpoint) = &checkpoint
        && !report.organization_id.is_empty()
        && !checkpoint
            .origin
            .ends_with(&format!("/{}", report.organization_id))
    {
        report.problems.push(Problem::log(format!(
            "the checkpoint is for another log ({})",
            checkpoint.origin
        )));
    }
    report.valid = report.problems.is_empty();
    Ok(Report {
        valid: report.valid,
        organizations: vec![report],
        warnings,
    })
}

/// Opens the signed checkpoint with `keys`: the checkpoint and who signed it.
fn open(note: &str, keys: &[VerifierKey]) -> anyhow::Result<(Checkpoint, Vec<String>)> {
    let note = Note::parse(note).context("the bundle's checkpoint is not a signed note")?;
    let signers = note
        .verify(keys)
        .context("the bundle's checkpoint is not signed by a trusted key")?;
    let signed_by = signers.iter().map(|k| k.to_string()).collect();
    let checkpoint = Checkpoint::parse(note.text()).context("the bundle's checkpoint")?;
    Ok((checkpoint, signed_by))
}

/// One event line with its proof line: the stored `hash` is the recomputed leaf hash, the proof
/// is about this event and proves it into the checkpoint's tree.
fn check_event(
    text: &str,
    proof: Option<&str>,
    checkpoint: Option<&Checkpoint>,
    organization_id: &mut String,
) -> Result<(), Problem> {
    let event: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Problem::log(format!("not a JSON event: {e}")))?;
    let seq = event["seq"]
        .as_u64()
        .ok_or_else(|| Problem::log("the event has no `seq`"))?;
    let id = event["id"].as_str().unwrap_or("?");
    let at = |message: String| Problem::at(seq, format!("event {id}: {message}"));
    if let Some(org) = event["organization_id"].as_str() {
        if organization_id.is_empty() {
            org.clone_into(organization_id);
        } else if org != organization_id {
            return Err(at(format!("belongs to {org}, not {organization_id}")));
        }
    }
    let leaf = leaf_hash_of_api_json(&event).ok_or_else(|| at("not a JSON object".into()))?;
    let stored = event["hash"].as_str().unwrap_or("");
    if hex::encode(leaf) != stored {
        return Err(at(format!(
            "its content does not match its hash (recomputed {}, stored {stored}): the event was altered",
            hex::encode(leaf)
        )));
    }
    let proof: InclusionProof =
        serde_json::from_str(proof.ok_or_else(|| at(format!("{PROOFS} has no proof for it")))?)
            .map_err(|e| at(format!("its proof is malformed: {e}")))?;
    if proof.seq != seq || proof.leaf_hash != leaf {
        return Err(at(format!(
            "its proof is for another event (seq {})",
            proof.seq
        )));
    }
    let Some(checkpoint) = checkpoint else {
        return Err(at(
            "there is no trusted checkpoint to prove it against".into()
        ));
    };
    if proof.tree_size != checkpoint.size {
        return Err(at(format!(
            "its proof is for a tree of {} events, the checkpoint is for {}",
            proof.tree_size, checkpoint.size
        )));
    }
    proof.verify(&checkpoint.root).map_err(|e| {
        at(format!(
            "its inclusion proof does not lead to the checkpoint's root: {e}"
        ))
    })
}

/// Fails when `report` found a problem, naming the first.
pub fn verdict(report: &Report) -> anyhow::Result<()> {
    match report.organizations.iter().find_map(|o| o.problems.first()) {
        None => Ok(()),
        Some(first) => bail!("verification failed: {first}"),
    }
}
