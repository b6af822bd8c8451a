//! The retention job: every `retention_interval`, for each organization, removes the events
//! received more than its `retention_days` ago, oldest first, in batches of [`BATCH`] (each one
//! short write transaction, so ingest goes on between them), then records one
//! `trail.retention.purged` event in the organization's log saying how many were removed, the
//! cutoff and the first seq kept.
//!
//! What is removed is always a prefix of the log by seq: receipt time grows with seq, and the
//! store stops at the first event received after the cutoff. The removed events' leaf hashes are
//! kept by the store, so proofs, checkpoints and `trail verify` keep working.

use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use trail_core::Millis;

use crate::audit::{self, Entry};
use crate::state::AppState;

/// Events removed per write transaction.
pub const BATCH: usize = 5_000;

/// The action of the event that records a purge.
pub const PURGED_ACTION: &str = "trail.retention.purged";

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Runs the job every `settings.retention_interval` (the first round one interval after start)
/// until `stop` changes; a zero interval starts nothing.
pub fn spawn(state: AppState, mut stop: watch::Receiver<()>) -> Option<JoinHandle<()>> {
    let interval = state.settings.retention_interval;
    if interval == Duration::ZERO {
        return None;
    }
    Some(tokio::spawn(async move {
        let start = tokio::time::Instant::now() + interval;
        let mut ticks = tokio::time::interval_at(start, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.changed() => break,
            }
            if let Err(e) = purge_once(&state).await {
                tracing::warn!(error = %format!("{e:#}"), "Retention job round failed");
            }
        }
        tracing::debug!("Retention job stopped");
    }))
}

/// One round of the job now; returns how many events were removed in all organizations.
pub async fn purge_once(state: &AppState) -> anyhow::Result<u64> {
    purge_at(state, Millis::now()).await
}

/// One round of the job as if it were `now` (tests move time forward with it).
pub async fn purge_at(state: &AppState, now: Millis) -> anyhow::Result<u64> {
    let mut total = 0;
    let mut failed = None;
    for org in state.store.list_organizations().await? {
        match purge_organization(state, &org.id, now).await {
            Ok(purged) => total += purged,
            Err(e) => {
                tracing::warn!(organization_id = %org.id, error = %format!("{e:#}"), "Could not apply retention");
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

/// Removes the organization's events received before `now - retention_days` and records the
/// purge in its log; returns how many were removed.
pub async fn purge_organization(
    state: &AppState,
    organization_id: &str,
    now: Millis,
) -> anyhow::Result<u64> {
    let settings = state.store.org_settings(organization_id).await?;
    let cutoff = now.plus_ms(-i64::from(settings.retention_days) * DAY_MS);
    let mut purged = 0u64;
    loop {
        let removed = state
            .store
            .purge_received_before(organization_id, cutoff, BATCH)
            .await
            .context("removing a batch of old events")?;
        purged += removed;
        metrics::counter!("trail_retention_purged_total").increment(removed);
        if removed < BATCH as u64 {
            break;
        }
        // Let waiting appends take the writer between batches.
        tokio::task::yield_now().await;
    }
    if purged == 0 {
        return Ok(0);
    }
    let first_retained_seq = state.store.first_retained_seq(organization_id).await?;
    tracing::info!(
        organization_id,
        purged,
        first_retained_seq,
        received_before = %cutoff.to_rfc3339(),
        "Removed events past retention"
    );
    let entry = Entry::new(
        PURGED_ACTION,
        format!(
            "Retention removed {purged} events received more than {} days ago",
            settings.retention_days
        ),
    )
    .metadata("purged", purged)
    .metadata("received_before", cutoff.to_rfc3339())
    .metadata("first_retained_seq", first_retained_seq)
    .metadata("retention_days", settings.retention_days);
    audit::record_system(state, organization_id, entry)
        .await
        .map_err(|e| anyhow::anyhow!("recording the purge: {}", e.message))?;
    Ok(purged)
}
