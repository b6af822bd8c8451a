//! `trail reindex`: rebuilds the bitmap index of the embedded store from its block log
//! (docs/storage.md). The server may keep running: each organization's index is replaced in one
//! transaction, so a search sees the old index or the new one.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    trail reindex --data-dir /var/lib/trail\n\n\
    The index is derived data: rebuilding it never changes an event, a hash or a checkpoint.")]
pub struct Args {
    /// The data directory of the embedded store.
    #[arg(
        long,
        env = "TRAIL_DATA_DIR",
        default_value = "./trail-data",
        value_name = "DIR"
    )]
    data_dir: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = args.data_dir.clone();
    let indexed =
        tokio::task::spawn_blocking(move || SqliteStore::reindex(&dir, &SqliteOptions::default()))
            .await
            .context("the reindex task failed")?
            .with_context(|| format!("reindexing {}", args.data_dir.display()))?;
    println!(
        "reindexed {indexed} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
