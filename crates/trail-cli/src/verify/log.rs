//! Verifying one organization's log: the latest checkpoint's signatures, every leaf recomputed
//! from the stored event (`Store::leaves_by_seq`: from the canonical bytes themselves on SQLite), the `prev` chain and gap-free seqs, the Merkle root recomputed from the
//! leaves against the checkpoint, and the prefix a pinned trusted checkpoint signed. Events removed
//! by retention are a prefix of the log: their kept leaf hashes enter the tree in their place, and
//! the first kept event's `prev` must be the last of them.

use anyhow::Context as _;
use trail_core::checkpoint::Checkpoint;
use trail_core::merkle::{CompactRange, EMPTY_ROOT, Hash};
use trail_core::note::{Note, VerifierKey};
use trail_store::Store;

use super::report::{CheckedCheckpoint, OrgReport, Problem};

/// Events read per query.
const PAGE: u64 = 4_096;

/// Checks one organization. `trusted` is a checkpoint of this organization whose signature the
/// caller already verified.
pub async fn verify_org(
    store: &dyn Store,
    organization_id: &str,
    keys: &[VerifierKey],
    trusted: Option<&Checkpoint>,
) -> anyhow::Result<OrgReport> {
    let mut report = OrgReport {
        organization_id: organization_id.to_owned(),
        valid: false,
        events: 0,
        valid_events: 0,
        checkpoint: None,
        trusted_checkpoint: trusted.map(|c| c.size),
        problems: Vec::new(),
        notes: Vec::new(),
    };
    let latest = store
        .latest_checkpoint(organization_id)
        .await
        .context("reading the latest checkpoint")?;
    let signed = match latest {
        Some(stored) => open_checkpoint(&stored.note, organization_id, keys, &mut report),
        None => {
            report
                .notes
                .push("no checkpoint has been signed yet".into());
            None
        }
    };
    let size = store.head(organization_id).await?.size;
    let targets: Vec<u64> = signed.iter().chain(trusted).map(|c| c.size).collect();
    let (roots, retired) = scan(store, organization_id, size, &targets, &mut report).await?;
    report.events = size.saturating_sub(retired);
    if retired > 0 {
        report.notes.push(format!(
            "{retired} events removed by retention; their leaf hashes were kept and checked \
             against the signed root"
        ));
    }
    let root_at = |size: u64| roots.iter().find(|(s, _)| *s == size).map(|(_, r)| *r);
    if let Some(checkpoint) = &signed {
        match root_at(checkpoint.size) {
            None => report.problems.push(Problem::log(format!(
                "the checkpoint at size {} is larger than the log ({size} events): events were removed",
                checkpoint.size
            ))),
            Some(root) if root != checkpoint.root => report.problems.push(Problem::log(format!(
                "root at size {} differs from the checkpoint (recomputed {} signed {})",
                checkpoint.size,
                short(&root),
                short(&checkpoint.root)
            ))),
            Some(_) if checkpoint.size < size => report.notes.push(format!(
                "{} events after the checkpoint are not signed yet",
                size - checkpoint.size
            )),
            Some(_) => {}
        }
    }
    if let Some(trusted) = trusted
        && root_at(trusted.size) != Some(trusted.root)
    {
        report.problems.push(Problem::log(format!(
            "checkpoint not consistent with trusted checkpoint: the log's first {} events are not the ones it signed",
            trusted.size
        )));
    }
    report.valid = report.problems.is_empty();
    Ok(report)
}

/// Opens the latest stored checkpoint with the keys; a failure is a problem of the log.
fn open_checkpoint(
    note: &str,
    organization_id: &str,
    keys: &[VerifierKey],
    report: &mut OrgReport,
) -> Option<Checkpoint> {
    let opened = Note::parse(note).and_then(|note| {
        let signers = note.verify(keys)?;
        let names = signers.iter().map(|k| k.to_string()).collect();
        Ok((note, names))
    });
    let (note, signed_by) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            report.problems.push(Problem::log(format!(
                "the latest checkpoint is not signed by a trusted key: {e}"
            )));
            return None;
        }
    };
    let checkpoint = match Checkpoint::parse(note.text()) {
        Ok(checkpoint) if checkpoint.origin.ends_with(&format!("/{organization_id}")) => checkpoint,
        Ok(checkpoint) => {
            let origin = checkpoint.origin;
            report.problems.push(Problem::log(format!(
                "the latest checkpoint is for another log ({origin})"
            )));
            return None;
        }
        Err(e) => {
            report
                .problems
                .push(Problem::log(format!("the latest checkpoint: {e}")));
            return None;
        }
    };
    report.checkpoint = Some(CheckedCheckpoint {
        size: checkpoint.size,
        signed_by,
    });
    Some(checkpoint)
}

/// Reads the retired leaves, then every event in seq order, checks it, and returns the roots of
/// the leaves at the `targets` sizes the log reaches and how many leaves were retired.
async fn scan(
    store: &dyn Store,
    organization_id: &str,
    size: u64,
    targets: &[u64],
    report: &mut OrgReport,
) -> anyhow::Result<(Vec<(u64, Hash)>, u64)> {
    let mut roots: Vec<(u64, Hash)> = targets
        .iter()
        .filter(|t| **t == 0)
        .map(|t| (*t, EMPTY_ROOT))
        .collect();
    let mut tree = CompactRange::new();
    let mut expected = 0u64;
    let mut prev: Hash = [0; 32];
    let first_retained = store
        .first_retained_seq(organization_id)
        .await
        .context("reading where retention stopped")?;
    let mut retired = 0u64;
    while expected < first_retained {
        let end = expected.saturating_add(PAGE).min(first_retained);
        let page = store
            .retired_leaves(organization_id, expected, end)
            .await
            .with_context(|| format!("reading retired leaves from seq {expected}"))?;
        if page.is_empty() {
            let gap = format!("missing (no retired leaf before seq {end})");
            report.problems.push(Problem::at(expected, gap));
            expected = end;
            continue;
        }
        for (seq, hash) in page {
            if seq != expected {
                let gap = format!("retired leaf missing (the next one is seq {seq})");
                report.problems.push(Problem::at(expected, gap));
                expected = seq;
            }
            retired += 1;
            push_leaf(&mut tree, &mut roots, targets, hash);
            prev = hash;
            expected += 1;
        }
    }
    while expected < size {
        let page = store
            .leaves_by_seq(organization_id, expected, expected.saturating_add(PAGE))
            .await
            .with_context(|| format!("reading events from seq {expected}"))?;
        if page.is_empty() {
            // Retention may have removed these while the scan ran.
            let end = expected.saturating_add(PAGE).min(size);
            if let Some(hashes) = retired_meanwhile(store, organization_id, expected, end).await? {
                for hash in hashes {
                    retired += 1;
                    push_leaf(&mut tree, &mut roots, targets, hash);
                    prev = hash;
                }
                expected = end;
                continue;
            }
            report.problems.push(Problem::at(expected, "missing"));
            break;
        }
        for leaf in &page {
            if leaf.seq != expected {
                let meanwhile =
                    retired_meanwhile(store, organization_id, expected, leaf.seq).await?;
                if let Some(hashes) = meanwhile {
                    for hash in hashes {
                        retired += 1;
                        push_leaf(&mut tree, &mut roots, targets, hash);
                        prev = hash;
                    }
                } else {
                    let gap = format!("missing (the log jumps to seq {})", leaf.seq);
                    report.problems.push(Problem::at(expected, gap));
                }
                expected = leaf.seq;
            }
            let mut valid = true;
            if leaf.prev != prev {
                let message = format!(
                    "prev does not match seq {}'s hash",
                    leaf.seq.wrapping_sub(1)
                );
                report.problems.push(Problem::at(leaf.seq, message));
                valid = false;
            }
            if leaf.recomputed != leaf.stored {
                let message = format!(
                    "hash mismatch (stored {}… recomputed {}…)",
                    hex::encode(&leaf.stored[..4]),
                    hex::encode(&leaf.recomputed[..4])
                );
                report.problems.push(Problem::at(leaf.seq, message));
                valid = false;
            }
            report.valid_events += u64::from(valid);
            push_leaf(&mut tree, &mut roots, targets, leaf.stored);
            prev = leaf.stored;
            expected += 1;
        }
    }
    Ok((roots, retired))
}

/// Adds a leaf to the tree, noting its root when the tree reaches one of the `targets` sizes.
fn push_leaf(tree: &mut CompactRange, roots: &mut Vec<(u64, Hash)>, targets: &[u64], leaf: Hash) {
    tree.push(leaf);
    if targets.contains(&tree.size()) {
        roots.push((tree.size(), tree.root()));
    }
}

/// The leaf hashes of `from..to` when retention removed those events after the scan started (a
/// purge can overtake a slow scan): they are then all retired and part of the removed prefix.
/// `None` otherwise.
async fn retired_meanwhile(
    store: &dyn Store,
    organization_id: &str,
    from: u64,
    to: u64,
) -> anyhow::Result<Option<Vec<Hash>>> {
    let first_retained = store
        .first_retained_seq(organization_id)
        .await
        .context("reading where retention stopped")?;
    if first_retained < to {
        return Ok(None);
    }
    let kept = store
        .retired_leaves(organization_id, from, to)
        .await
        .with_context(|| format!("reading retired leaves from seq {from}"))?;
    Ok((kept.len() as u64 == to.saturating_sub(from))
        .then(|| kept.into_iter().map(|(_, hash)| hash).collect()))
}

fn short(hash: &Hash) -> String {
    hex::encode(&hash[..4]) + "…"
}
