//! Verification speed: `trail verify`'s whole check of one organization's log (the checkpoint's
//! signature, every leaf recomputed from its stored event, the chain, the root) on the store the
//! benchmark filled, beside SHA-256 alone over the same leaves' canonical bytes: the floor that
//! says how much of the time is hashing. Reads and hashing alternate, never overlap: one core.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use trail_core::canonical::{leaf_bytes, leaf_hash_of_bytes};
use trail_core::checkpoint::{Checkpoint, log_origin};
use trail_core::note::SignerKey;
use trail_store::Store;
use trail_store::proofs::root_at;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

use super::report::{Rate, VerifyFigures};

/// Events read per page for the hashing floor (as `trail verify` pages).
const PAGE: u64 = 4_096;

pub async fn measure(store_dir: &Path, org: &str) -> anyhow::Result<VerifyFigures> {
    let key = SignerKey::generate("trail.bench").context("cannot generate a signing key")?;
    let size = sign_latest(store_dir, org, &key).await?;

    let store = SqliteStore::open_read_only(store_dir, SqliteOptions::default())?;
    let started = Instant::now();
    let report = crate::verify::log::verify_org(&store, org, &[key.verifier()], None).await?;
    let verify = Rate::new(size, started.elapsed());
    anyhow::ensure!(
        report.valid && report.valid_events == size,
        "the benchmark's own log does not verify: {:?}",
        report.problems.first()
    );

    let (mut hashing, mut bytes) = (Duration::ZERO, 0u64);
    let mut seq = 0;
    while seq < size {
        let events = store.events_by_seq(org, seq, seq + PAGE).await?;
        let leaves: Vec<Vec<u8>> = events.iter().map(leaf_bytes).collect();
        let started = Instant::now();
        for leaf in &leaves {
            std::hint::black_box(leaf_hash_of_bytes(leaf));
        }
        hashing += started.elapsed();
        bytes += leaves.iter().map(|l| l.len() as u64).sum::<u64>();
        seq += events.len().max(1) as u64;
    }
    store.close().await;
    Ok(VerifyFigures {
        verify,
        sha256_only: Rate::new(size, hashing),
        leaf_bytes_per_event: bytes as f64 / size.max(1) as f64,
    })
}

/// Signs a checkpoint of the whole log, as `trail serve` would have, and returns its size.
async fn sign_latest(store_dir: &Path, org: &str, key: &SignerKey) -> anyhow::Result<u64> {
    let store = SqliteStore::open(store_dir, SqliteOptions::default())?;
    let size = store.head(org).await?.size;
    let root = root_at(&store, org, size).await?;
    let checkpoint = Checkpoint::new(log_origin("trail.bench", org), size, root);
    let note = checkpoint.sign(&[key])?.to_string();
    store.put_checkpoint(org, size, root, &note).await?;
    store.close().await;
    Ok(size)
}
