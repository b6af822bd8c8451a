//! `trail backup`: an online, consistent backup of the embedded store while `trail serve` keeps
//! ingesting. The file is a tar whose first member, `manifest.json`, lists every other member
//! with its size and SHA-256 and records what the backup holds: each organization's log size and
//! its latest signed checkpoint. `trail.db` is a `VACUUM INTO` snapshot; the log signing key is
//! included only with `--include-signing-key`, and the file is then written mode 0600.

use std::io::{IsTerminal as _, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use trail_server::integrity::keys::{default_key_file, read_key_file};
use trail_store::Store as _;
use trail_store::sqlite::{SqliteOptions, SqliteStore, backup};

/// The name of the manifest member, always the first in the archive.
pub const MANIFEST: &str = "manifest.json";
/// The store member.
pub const STORE: &str = "trail.db";
/// `format` of a manifest this version writes and reads.
pub const FORMAT: &str = "trail-backup/1";

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    trail backup --data-dir /var/lib/trail --out /backups/trail-2026-12-03.tar\n  \
    trail backup --data-dir /var/lib/trail --out key-escrow.tar --include-signing-key\n\n\
    The server may keep running: the copy is one consistent snapshot. Check and restore it with\n\
    `trail restore --from FILE --data-dir DIR`.")]
pub struct Args {
    /// The data directory of the embedded store to back up (the server may be running on it).
    #[arg(
        long,
        env = "TRAIL_DATA_DIR",
        default_value = "./trail-data",
        value_name = "DIR"
    )]
    data_dir: PathBuf,
    /// The backup file to write (a tar; replaced atomically if it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also store the log signing key (`<data dir>/log-signing.key`); the file is then mode 0600.
    /// Without it the backup holds only public data about the key (its verifier key).
    #[arg(long)]
    include_signing_key: bool,
}

/// What a backup holds, written as `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub created_at: String,
    pub trail_version: String,
    /// Every other member of the archive.
    pub members: Vec<Member>,
    /// Verifier keys (`name+hex8+base64`) of the data directory's signing key, when readable.
    pub verifier_keys: Vec<String>,
    pub organizations: Vec<OrgState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One organization's log as the snapshot holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgState {
    pub organization_id: String,
    /// Events in the log (one past the largest seq).
    pub log_size: u64,
    /// The latest signed checkpoint in the snapshot.
    pub checkpoint: Option<RecordedCheckpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedCheckpoint {
    pub size: u64,
    /// Hex Merkle root.
    pub root: String,
    /// The C2SP signed note, exactly as stored.
    pub note: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.data_dir.join(STORE).is_file(),
        "{} holds no embedded store (no {STORE}); `trail backup` copies the embedded store — \
         back up PostgreSQL with its own tools (docs/deployment.md)",
        args.data_dir.display()
    );
    let parent = parent_of(&args.out);
    let staging = tempfile::Builder::new()
        .prefix(".trail-backup-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
    let snapshot = staging.path().join(STORE);
    copy_store(&args.data_dir, &snapshot).await?;
    let organizations = read_state(staging.path()).await?;

    let key_file = default_key_file(&args.data_dir);
    let verifier_keys = match read_key_file(&key_file) {
        Ok(signer) => vec![signer.verifier().to_string()],
        Err(_) => Vec::new(),
    };
    let mut files = vec![(STORE.to_owned(), snapshot)];
    if args.include_signing_key {
        read_key_file(&key_file).with_context(|| {
            format!(
                "--include-signing-key: reading the signing key {}",
                key_file.display()
            )
        })?;
        let name = key_file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("log-signing.key");
        files.push((name.to_owned(), key_file.clone()));
    }
    let members = files
        .iter()
        .map(|(name, path)| member(name, path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: trail_core::Millis::now().to_rfc3339(),
        trail_version: env!("CARGO_PKG_VERSION").into(),
        members,
        verifier_keys,
        organizations,
    };
    let partial = args.out.with_extension("partial");
    if let Err(e) = write_archive(
        &partial,
        &args.out,
        &manifest,
        &files,
        args.include_signing_key,
    ) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }

    let events: u64 = manifest.organizations.iter().map(|o| o.log_size).sum();
    println!(
        "backup written to {}: {} organizations, {events} events, {} bytes of store{}",
        args.out.display(),
        manifest.organizations.len(),
        manifest.members[0].bytes,
        if args.include_signing_key {
            ", the signing key (file mode 0600: keep it secret)"
        } else {
            " (signing key not included)"
        }
    );
    for org in &manifest.organizations {
        match &org.checkpoint {
            Some(c) => println!(
                "  {}: {} events, checkpoint at size {} root {}",
                org.organization_id, org.log_size, c.size, c.root
            ),
            None => println!(
                "  {}: {} events, no checkpoint yet",
                org.organization_id, org.log_size
            ),
        }
    }
    Ok(())
}

/// `VACUUM INTO` on a blocking thread, with a progress bar on a terminal that follows the size
/// of the file being written.
async fn copy_store(data_dir: &Path, snapshot: &Path) -> anyhow::Result<()> {
    let total = backup::live_bytes(data_dir).context("reading the store's size")?;
    let bar = progress_bar(total);
    let (from, to) = (data_dir.to_owned(), snapshot.to_owned());
    let mut copy = tokio::task::spawn_blocking(move || backup::snapshot(&from, &to));
    let result = loop {
        tokio::select! {
            done = &mut copy => break done,
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                let written = std::fs::metadata(snapshot).map(|m| m.len()).unwrap_or(0);
                bar.set_position(written.min(total));
            }
        }
    };
    bar.finish_and_clear();
    result
        .context("the copy task")?
        .with_context(|| format!("copying the store in {}", data_dir.display()))
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("copying the store {bar:40} {bytes}/{total_bytes} {eta}")
            .expect("a valid template"),
    );
    bar
}

/// Each organization's log size and latest checkpoint, read from the snapshot itself.
async fn read_state(dir: &Path) -> anyhow::Result<Vec<OrgState>> {
    let store = SqliteStore::open_read_only(dir, SqliteOptions::default())
        .context("opening the snapshot")?;
    let mut state = Vec::new();
    for org in store.list_organizations().await? {
        let log_size = store.head(&org.id).await?.size;
        let checkpoint = store
            .latest_checkpoint(&org.id)
            .await?
            .map(|c| RecordedCheckpoint {
                size: c.size,
                root: hex::encode(c.root),
                note: c.note,
            });
        state.push(OrgState {
            organization_id: org.id,
            log_size,
            checkpoint,
        });
    }
    store.close().await;
    Ok(state)
}

/// The size and SHA-256 of a file.
pub fn member(name: &str, path: &Path) -> anyhow::Result<Member> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let (bytes, sha256) = hash_copy(file, std::io::sink())?;
    Ok(Member {
        name: name.to_owned(),
        bytes,
        sha256,
    })
}

/// Copies `from` to `to` and answers the bytes copied and their hex SHA-256.
pub fn hash_copy(mut from: impl Read, mut to: impl Write) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = from.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        to.write_all(&buffer[..n])?;
        bytes += n as u64;
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// Writes `partial` (mode 0600 when it holds the key), syncs it, and renames it to `out`.
fn write_archive(
    partial: &Path,
    out: &Path,
    manifest: &Manifest,
    files: &[(String, PathBuf)],
    secret: bool,
) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    let file = options
        .open(partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    #[cfg(unix)]
    if secret {
        // The mode given at creation is masked by the umask and ignored for an existing file.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    let mut archive = tar::Builder::new(std::io::BufWriter::new(file));
    let manifest_json = serde_json::to_vec_pretty(manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest_json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(trail_core::Millis::now().0.max(0) as u64 / 1000);
    header.set_cksum();
    archive.append_data(&mut header, MANIFEST, manifest_json.as_slice())?;
    for (name, path) in files {
        let mut file = std::fs::File::open(path)?;
        archive
            .append_file(name, &mut file)
            .with_context(|| format!("adding {name} to the backup"))?;
    }
    let mut writer = archive.into_inner()?;
    writer.flush()?;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(partial, out)
        .with_context(|| format!("renaming {} to {}", partial.display(), out.display()))?;
    sync_dir(&parent_of(out));
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Makes a rename in `dir` durable (best effort: not every platform can open a directory).
pub fn sync_dir(dir: &Path) {
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}
