//! `trail restore`: unpacks a `trail backup` file into a staging directory next to the target,
//! checks every member against the manifest's SHA-256, verifies the restored store as `trail
//! verify` does (and, with `--trusted-checkpoint`, that it is consistent with a published
//! checkpoint), and only then renames the staging directory into place. A corrupt or altered
//! backup leaves nothing behind.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use trail_core::checkpoint::Checkpoint;
use trail_core::merkle::ConsistencyProof;
use trail_core::note::VerifierKey;
use trail_store::Store as _;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

use crate::backup::{FORMAT, MANIFEST, Manifest, OrgState, hash_copy, parent_of, sync_dir};
use crate::verify::{self, log::verify_org};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    trail restore --from /backups/trail-2026-12-03.tar --data-dir /var/lib/trail \\\n    \
      --vkey \"$(cat trail.vkey)\"\n  \
    trail restore --from backup.tar --data-dir ./restored --trusted-checkpoint published.txt\n\n\
    Exit status: 0 restored and verified, 1 the backup is corrupt, altered or does not verify\n\
    (nothing is restored), 2 usage error.")]
pub struct Args {
    /// The backup file written by `trail backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// Where to restore; must be missing or empty unless --force.
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// Replace a non-empty data directory (stop the server on it first).
    #[arg(long)]
    force: bool,
    /// A trusted verifier key (as `GET /v1/log/public-key` gives it); repeat for several. Without
    /// it the verifier key recorded in the backup is used, which whoever wrote the backup chose.
    #[arg(long = "vkey", value_name = "KEY")]
    vkeys: Vec<String>,
    /// A checkpoint published earlier (a signed note file): the restored log must hold exactly
    /// the events it signed, or be a prefix of them (then --consistency-proof is needed).
    #[arg(long, value_name = "FILE")]
    trusted_checkpoint: Option<PathBuf>,
    /// When the trusted checkpoint is newer than the backup: the consistency proof from the
    /// backup's checkpoint to it, as `GET /v1/log/proofs/consistency?from=M&to=N` answers it.
    #[arg(long, value_name = "FILE", requires = "trusted_checkpoint")]
    consistency_proof: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    check_target(&args.data_dir, args.force)?;
    let parent = parent_of(&args.data_dir);
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".trail-restore-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
    let manifest = unpack(&args.from, staging.path())
        .with_context(|| format!("nothing was restored from {}", args.from.display()))?;

    let keys = verifier_keys(&args, &manifest);
    let trusted = args
        .trusted_checkpoint
        .as_deref()
        .map(|path| verify::trusted_checkpoint(path, &keys));
    let summary = check_store(staging.path(), &manifest, &keys, trusted.as_ref(), &args)
        .await
        .with_context(|| {
            format!(
                "the restored store does not verify; nothing was restored to {}",
                args.data_dir.display()
            )
        })?;
    put_in_place(staging, &args.data_dir)?;
    println!(
        "restored {} into {}: {summary}",
        args.from.display(),
        args.data_dir.display()
    );
    Ok(())
}

/// A missing or empty directory, or `--force`.
fn check_target(dir: &Path, force: bool) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries.count(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    anyhow::ensure!(
        entries == 0 || force,
        "{} is not empty; restore into a new directory, or pass --force to replace it \
         (stop the server on it first)",
        dir.display()
    );
    Ok(())
}

/// Reads the archive into `dir`, checking each member's size and SHA-256 against the manifest.
fn unpack(from: &Path, dir: &Path) -> anyhow::Result<Manifest> {
    let file = std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut entries = archive.entries().context("reading the backup as a tar")?;
    let mut first = entries
        .next()
        .context("the backup is empty")?
        .context("reading the backup as a tar")?;
    anyhow::ensure!(
        first.path()?.as_os_str() == MANIFEST,
        "the backup does not start with {MANIFEST}: not a `trail backup` file"
    );
    let mut text = String::new();
    first.read_to_string(&mut text)?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("reading {MANIFEST}"))?;
    anyhow::ensure!(
        manifest.format == FORMAT,
        "the backup's format is {}, this trail reads {FORMAT}",
        manifest.format
    );
    let expected: BTreeMap<&str, _> = manifest
        .members
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    let mut seen = Vec::new();
    for entry in entries {
        let mut entry = entry.context("reading the backup as a tar")?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let member = *expected.get(name.as_str()).with_context(|| {
            format!("the backup holds {name}, which its manifest does not list")
        })?;
        anyhow::ensure!(!seen.contains(&name), "the backup holds {name} twice");
        // Names come from the manifest: plain file names, never a path.
        anyhow::ensure!(
            !name.contains(['/', '\\']) && name != ".." && name != ".",
            "the backup member {name} is not a plain file name"
        );
        let path = dir.join(&name);
        let mut out = std::fs::File::create(&path)?;
        let (bytes, sha256) = hash_copy(&mut entry, &mut out)?;
        out.sync_all()?;
        anyhow::ensure!(
            bytes == member.bytes && sha256 == member.sha256,
            "backup member {name} does not match the manifest (SHA-256 {sha256}, {bytes} bytes; \
             the manifest says {}, {} bytes): the file is corrupt or was altered",
            member.sha256,
            member.bytes
        );
        #[cfg(unix)]
        if name != crate::backup::STORE {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        seen.push(name);
    }
    for member in &manifest.members {
        anyhow::ensure!(
            seen.contains(&member.name),
            "the backup lacks {}, which its manifest lists: the file is truncated",
            member.name
        );
    }
    Ok(manifest)
}

/// The pinned `--vkey`s, else those the manifest records.
fn verifier_keys(args: &Args, manifest: &Manifest) -> Vec<VerifierKey> {
    if !args.vkeys.is_empty() {
        return verify::pinned_keys(&args.vkeys);
    }
    eprintln!(
        "warning: checking signatures with the verifier key recorded in the backup; pin the \
         published key with --vkey to restore without trusting whoever wrote the backup"
    );
    verify::pinned_keys(&manifest.verifier_keys)
}

/// Verifies every organization of the restored store, checks that it holds what the manifest
/// recorded, and the trusted checkpoint; answers a one-line summary.
async fn check_store(
    dir: &Path,
    manifest: &Manifest,
    keys: &[VerifierKey],
    trusted: Option<&Checkpoint>,
    args: &Args,
) -> anyhow::Result<String> {
    let store = SqliteStore::open_read_only(dir, SqliteOptions::default())
        .context("opening the restored store")?;
    let organizations: Vec<String> = store
        .list_organizations()
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let recorded: Vec<&str> = manifest
        .organizations
        .iter()
        .map(|o| o.organization_id.as_str())
        .collect();
    anyhow::ensure!(
        organizations == recorded,
        "the store holds organizations {organizations:?}, the manifest records {recorded:?}"
    );
    let mut events = 0;
    let mut proven = None;
    for state in &manifest.organizations {
        let org = state.organization_id.as_str();
        let pinned = trusted.filter(|t| t.origin.ends_with(&format!("/{org}")));
        // A trusted checkpoint within the restored log is checked by recomputing its root.
        let within = pinned.filter(|t| t.size <= state.log_size);
        let report = verify_org(&store, org, keys, within).await?;
        if let Some(problem) = report.problems.first() {
            anyhow::bail!("{org}: {problem}");
        }
        check_recorded(&store, state).await?;
        if let Some(t) = pinned {
            proven = Some(prefix_of_trusted(state, t, within.is_some(), args)?);
        }
        events += report.events;
    }
    store.close().await;
    if trusted.is_some() && proven.is_none() {
        anyhow::bail!("the trusted checkpoint is for no organization in the backup");
    }
    let mut summary = format!(
        "{} organizations, {events} events, every log verified",
        organizations.len()
    );
    if let Some(proven) = proven {
        summary.push_str("; ");
        summary.push_str(&proven);
    }
    Ok(summary)
}

/// The restored organization holds exactly the log size and checkpoint the manifest recorded.
async fn check_recorded(store: &SqliteStore, state: &OrgState) -> anyhow::Result<()> {
    let org = &state.organization_id;
    let size = store.head(org).await?.size;
    anyhow::ensure!(
        size == state.log_size,
        "{org}: the store holds {size} events, the manifest records {}",
        state.log_size
    );
    let latest = store.latest_checkpoint(org).await?;
    let same = match (&latest, &state.checkpoint) {
        (None, None) => true,
        (Some(stored), Some(recorded)) => {
            stored.size == recorded.size
                && hex::encode(stored.root) == recorded.root
                && stored.note == recorded.note
        }
        _ => false,
    };
    anyhow::ensure!(
        same,
        "{org}: the latest checkpoint differs from the one the manifest records"
    );
    Ok(())
}

/// What the trusted checkpoint proves about the restored log.
fn prefix_of_trusted(
    state: &OrgState,
    trusted: &Checkpoint,
    within: bool,
    args: &Args,
) -> anyhow::Result<String> {
    if within {
        return Ok(if trusted.size == state.log_size {
            format!("equal to the trusted checkpoint (size {})", trusted.size)
        } else {
            format!(
                "extends the trusted checkpoint: its first {} events are the ones it signed",
                trusted.size
            )
        });
    }
    let recorded = state.checkpoint.as_ref().with_context(|| {
        format!(
            "the trusted checkpoint (size {}) is newer than the backup, which holds no checkpoint",
            trusted.size
        )
    })?;
    let Some(path) = &args.consistency_proof else {
        anyhow::bail!(
            "the trusted checkpoint (size {}) is newer than the backup (checkpoint at size {}): \
             pass --consistency-proof with the proof from {} to {} \
             (GET /v1/log/proofs/consistency?from={}&to={})",
            trusted.size,
            recorded.size,
            recorded.size,
            trusted.size,
            recorded.size,
            trusted.size
        );
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let proof: ConsistencyProof = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a consistency proof", path.display()))?;
    anyhow::ensure!(
        proof.from == recorded.size && proof.to == trusted.size,
        "the consistency proof is from {} to {}, the backup's checkpoint is at {} and the trusted one at {}",
        proof.from,
        proof.to,
        recorded.size,
        trusted.size
    );
    let root: trail_core::merkle::Hash = hex::decode(&recorded.root)
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("the manifest's checkpoint root is not a hash")?;
    proof.verify(&root, &trusted.root).map_err(|e| {
        anyhow::anyhow!(
            "the backup's log is not a prefix of the trusted checkpoint (consistency proof: {e})"
        )
    })?;
    Ok(format!(
        "a prefix (size {}) of the trusted checkpoint (size {}), proven by the consistency proof",
        recorded.size, trusted.size
    ))
}

/// Renames the staging directory to `target`, replacing what is there.
fn put_in_place(staging: tempfile::TempDir, target: &Path) -> anyhow::Result<()> {
    let mut replaced = None;
    if target.exists() {
        let aside = target.with_file_name(format!(
            ".{}.replaced-{}",
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("data"),
            std::process::id()
        ));
        std::fs::rename(target, &aside)
            .with_context(|| format!("moving {} aside", target.display()))?;
        replaced = Some(aside);
    }
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, target) {
        if let Some(aside) = &replaced {
            let _ = std::fs::rename(aside, target);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(e)
            .with_context(|| format!("renaming the restored store to {}", target.display()));
    }
    sync_dir(&parent_of(target));
    if let Some(aside) = replaced {
        std::fs::remove_dir_all(&aside)
            .with_context(|| format!("removing the replaced {}", aside.display()))?;
    }
    Ok(())
}
