//! Integrity: the log signing keys and the background job that signs each growing
//! organization's checkpoints (at most once a second), checking every new checkpoint consistent
//! with the previous one before it is signed.

pub mod keys;

use std::time::Duration;

use anyhow::{Context, anyhow};
use trail_core::checkpoint::{Checkpoint, log_origin};
use trail_store::proofs::{consistency_proof, root_at};
use trail_store::{StoreError, UncheckpointedLog};

pub use keys::LogKeys;

use crate::jobs::Job;
use crate::state::AppState;

/// How often the job looks for grown logs: the fastest a log gets a new checkpoint.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Signs and stores one checkpoint for every organization whose log grew since its latest one;
/// returns how many were signed. Tests call this to drain the job deterministically.
pub async fn checkpoint_once(state: &AppState) -> anyhow::Result<usize> {
    let logs = state
        .store
        .uncheckpointed_logs()
        .await
        .context("listing logs that need a checkpoint")?;
    let mut signed = 0;
    for log in logs {
        match checkpoint_log(state, &log).await {
            Ok(()) => signed += 1,
            // Another node sharing the database signed this size first.
            Err(e)
                if matches!(
                    e.downcast_ref::<StoreError>(),
                    Some(StoreError::Conflict(_))
                ) => {}
            Err(e) => {
                metrics::counter!("trail_checkpoint_failures_total").increment(1);
                tracing::error!(organization_id = %log.organization_id, size = log.size, error = %format!("{e:#}"), "Could not sign a checkpoint");
            }
        }
    }
    Ok(signed)
}

async fn checkpoint_log(state: &AppState, log: &UncheckpointedLog) -> anyhow::Result<()> {
    let store = state.store.as_ref();
    let org = log.organization_id.as_str();
    let root = root_at(store, org, log.size).await?;
    if let Some(previous) = store.latest_checkpoint(org).await? {
        let proof = consistency_proof(store, org, previous.size, log.size)
            .await
            .context("reading the consistency proof")?;
        proof.verify(&previous.root, &root).map_err(|e| {
            anyhow!(
                "the log at size {} is not consistent with its checkpoint at size {}: {e}; refusing to sign",
                log.size,
                previous.size
            )
        })?;
    }
    let origin = log_origin(&state.settings.log_origin, org);
    let note = Checkpoint::new(origin, log.size, root)
        .sign(&state.log_keys.signers())
        .context("signing the checkpoint")?;
    store
        .put_checkpoint(org, log.size, root, &note.to_string())
        .await?;
    metrics::counter!("trail_checkpoints_signed_total").increment(1);
    tracing::debug!(organization_id = %org, size = log.size, "Signed a checkpoint");
    Ok(())
}

/// The checkpoint signer as a background job (`checkpoints`). Two nodes may both run it: a
/// checkpoint another node signed first is a `Conflict` the round skips.
pub struct CheckpointJob;

#[async_trait::async_trait]
impl Job for CheckpointJob {
    fn name(&self) -> &'static str {
        "checkpoints"
    }

    fn interval(&self) -> Duration {
        CHECKPOINT_INTERVAL
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<()> {
        checkpoint_once(state).await.map(drop)
    }
}
