//! `trail verify`: checks a data directory offline, read-only, trusting nothing but the verifier
//! keys it is given: checkpoint signatures, every leaf recomputed from its stored event, the
//! chain, the Merkle root against the latest checkpoint, and consistency with a pinned checkpoint.
//! Exit codes: 0 valid, 1 invalid, 2 usage.

mod bundle;
pub(crate) mod log;
pub(crate) mod report;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use trail_core::checkpoint::Checkpoint;
use trail_core::note::{Note, VerifierKey};
use trail_server::integrity::keys::{default_key_file, read_key_file};
use trail_store::postgres::{PostgresOptions, PostgresStore};
use trail_store::sqlite::{SqliteOptions, SqliteStore};
use trail_store::{Store, StoreError};

use self::report::Report;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    trail verify --data-dir ./trail-data --vkey \"$(curl -s $TRAIL_URL/v1/log/public-key)\"\n  \
    trail verify --org org_01JD… --trusted-checkpoint saved-checkpoint.txt --json\n  \
    trail verify --database-url postgres://trail@db/trail --vkey \"$(cat trail.vkey)\"\n  \
    trail verify --bundle audit.zip --vkey \"$(curl -s $TRAIL_URL/v1/log/public-key)\"\n\n\
    Exit status: 0 every checked log is valid, 1 something does not verify, 2 usage error.")]
pub struct Args {
    /// The data directory of the embedded store, opened read-only.
    #[arg(
        long,
        env = "TRAIL_DATA_DIR",
        default_value = "./trail-data",
        value_name = "DIR"
    )]
    data_dir: PathBuf,
    /// A PostgreSQL store to verify instead of a data directory, read in read-only transactions
    /// (nothing is migrated or written; a read-only database role is enough).
    #[arg(long, value_name = "URL", conflicts_with = "bundle")]
    database_url: Option<String>,
    /// Export bundle to verify (a verifiable export's zip), instead of a data directory.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Verify only this organization [default: every one].
    #[arg(long, value_name = "ID")]
    org: Option<String>,
    /// A trusted verifier key (`name+hex8+base64`, as `GET /v1/log/public-key` gives it); repeat
    /// for several. Without it the data directory's own key is used, which an operator could
    /// have replaced: pin the key to verify without trusting the operator.
    #[arg(long = "vkey", value_name = "KEY")]
    vkeys: Vec<String>,
    /// A checkpoint saved earlier (a signed note file): the log must still hold exactly the
    /// events it signed.
    #[arg(long, value_name = "FILE")]
    trusted_checkpoint: Option<PathBuf>,
    /// Print one JSON document instead of lines.
    #[arg(long)]
    json: bool,
}

/// A mistake in how the command was called: printed, and the process exits 2.
fn usage(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if let Some(path) = &args.bundle {
        let keys = pinned_keys(&args.vkeys);
        let report = bundle::verify(path, &keys).unwrap_or_else(|e| usage(format!("{e:#}")));
        print(&report, args.json)?;
        return bundle::verdict(&report);
    }
    let mut warnings = Vec::new();
    let keys = verifier_keys(&args, &mut warnings);
    let trusted = args
        .trusted_checkpoint
        .as_deref()
        .map(|path| trusted_checkpoint(path, &keys));
    let store = open_store(&args).await?;
    let store = store.as_ref();
    let organizations = organizations(store, args.org.as_deref()).await?;
    if let Some(trusted) = &trusted
        && !organizations.iter().any(|o| trusted_for(trusted, o))
    {
        usage(format!(
            "the trusted checkpoint is for {}, which is not verified here",
            trusted.origin
        ));
    }
    let mut report = Report {
        valid: true,
        organizations: Vec::new(),
        warnings,
    };
    for org in &organizations {
        let pinned = trusted.as_ref().filter(|t| trusted_for(t, org));
        let checked = log::verify_org(store, org, &keys, pinned)
            .await
            .with_context(|| format!("verifying {org}"))?;
        report.valid &= checked.valid;
        report.organizations.push(checked);
    }
    store.close().await;
    print(&report, args.json)?;
    match report.organizations.iter().find_map(|o| o.problems.first()) {
        None => Ok(()),
        Some(first) => anyhow::bail!("verification failed: {first}"),
    }
}

/// The store to check, opened so that verifying cannot change it.
async fn open_store(args: &Args) -> anyhow::Result<Box<dyn Store>> {
    if let Some(url) = &args.database_url {
        return match PostgresStore::connect_read_only(url, PostgresOptions::default()).await {
            Ok(store) => Ok(Box::new(store)),
            Err(StoreError::NotFound) => usage("the database holds no Trail store"),
            // Not reaching the store says nothing about the log: exit 2, never 1.
            Err(e) => usage(format!("cannot read the PostgreSQL store: {e}")),
        };
    }
    match SqliteStore::open_read_only(&args.data_dir, SqliteOptions::default()) {
        Ok(store) => Ok(Box::new(store)),
        Err(StoreError::NotFound) => usage(format!(
            "{} holds no Trail store (no trail.db)",
            args.data_dir.display()
        )),
        Err(e) => Err(e).context("opening the data directory read-only"),
    }
}

fn print(report: &Report, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    for org in &report.organizations {
        org.print_human(&mut out)?;
    }
    Ok(())
}

/// The pinned `--vkey`s, or the public half of the data directory's own key (with a warning).
fn verifier_keys(args: &Args, warnings: &mut Vec<String>) -> Vec<VerifierKey> {
    if !args.vkeys.is_empty() {
        return pinned_keys(&args.vkeys);
    }
    let file = default_key_file(&args.data_dir);
    match read_key_file(&file) {
        Ok(signer) => {
            warnings.push(format!(
                "checking signatures with the data directory's own key ({}); pin it with --vkey to verify without trusting the operator",
                signer.verifier()
            ));
            vec![signer.verifier()]
        }
        Err(e) => usage(format!(
            "no --vkey given and the data directory's key cannot be read ({e:#}); pass the key `GET /v1/log/public-key` publishes with --vkey"
        )),
    }
}

/// The `--vkey`s given (several may share one argument, as `/v1/log/public-key` lists them).
pub(crate) fn pinned_keys(vkeys: &[String]) -> Vec<VerifierKey> {
    vkeys
        .iter()
        .flat_map(|text| text.split_whitespace())
        .map(|key| {
            key.parse()
                .unwrap_or_else(|e| usage(format!("--vkey {key}: {e}")))
        })
        .collect()
}

/// Reads and opens the pinned checkpoint; one that does not verify is a usage error.
pub(crate) fn trusted_checkpoint(path: &Path, keys: &[VerifierKey]) -> Checkpoint {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| usage(format!("reading {}: {e}", path.display())));
    let note = Note::open(&text, keys).unwrap_or_else(|e| {
        usage(format!(
            "the trusted checkpoint {} does not verify with the given key(s): {e}",
            path.display()
        ))
    });
    Checkpoint::parse(note.text())
        .unwrap_or_else(|e| usage(format!("{} is not a checkpoint: {e}", path.display())))
}

fn trusted_for(trusted: &Checkpoint, organization_id: &str) -> bool {
    trusted.origin.ends_with(&format!("/{organization_id}"))
}

async fn organizations(store: &dyn Store, only: Option<&str>) -> anyhow::Result<Vec<String>> {
    if let Some(id) = only {
        return match store.get_organization(id).await {
            Ok(org) => Ok(vec![org.id]),
            Err(StoreError::NotFound) => usage(format!("no organization {id}")),
            Err(e) => Err(e).context("reading the organization"),
        };
    }
    let all = store.list_organizations().await?;
    Ok(all.into_iter().map(|o| o.id).collect())
}
