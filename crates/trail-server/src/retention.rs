//! The retention job: every `retention_interval`, for each organization, removes the events
//! received more than its `retention_days` ago, oldest first, in batches of [`BATCH`] (each one
//! short write transaction, so ingest goes on between them). Each batch commits together with a
//! `trail.retention.purged` event in the organization's log saying how many it removed, the
//! cutoff and the first seq kept (one event for a purge of up to [`BATCH`] events).
//!
//! What is removed is always a prefix of the log by seq: receipt time grows with seq, and the
//! store stops at the first event received after the cutoff. The removed events' leaf hashes are
//! kept by the store, so proofs, checkpoints and `trail verify` keep working.

use std::time::Duration;

use anyhow::Context;
use trail_core::Millis;

use trail_store::{Change, Changed};

use crate::audit::{self, Entry};
use crate::jobs::Job;
use crate::state::AppState;

/// Events removed per write transaction.
pub const BATCH: usize = 5_000;

/// The action of the event that records a purge.
pub const PURGED_ACTION: &str = "trail.retention.purged";

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Retention as a background job (`retention`), every `settings.retention_interval` (the first
/// round one interval after start; [`crate::jobs::server_jobs`] leaves it out when the interval
/// is zero). Exclusive: on PostgreSQL one node at a time purges.
pub struct RetentionJob {
    pub interval: Duration,
}

#[async_trait::async_trait]
impl Job for RetentionJob {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn first_round_after(&self) -> Duration {
        self.interval()
    }

    fn exclusive(&self) -> bool {
        true
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<()> {
        purge_once(state).await.map(drop)
    }
}

/// One round of the job now; returns how many events were removed in all organizations.
pub async fn purge_once(state: &AppState) -> anyhow::Result<u64> {
    purge_at(state, state.clock.now()).await
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
        // Each batch commits together with the event that records it (docs/decisions.md
        // "Atomic audit"): a purge is never left unrecorded.
        let first_before = state.store.first_retained_seq(organization_id).await?;
        let retention_days = settings.retention_days;
        let change = Change::Purge {
            cutoff,
            max_events: BATCH,
        };
        let changed = audit::system_change(state, organization_id, change, move |changed| {
            let Changed::Purged(removed) = *changed else {
                return None;
            };
            (removed > 0).then(|| {
                Entry::new(
                    PURGED_ACTION,
                    format!(
                        "Retention removed {removed} events received more than {retention_days} days ago"
                    ),
                )
                .metadata("purged", removed)
                .metadata("received_before", cutoff.to_rfc3339())
                .metadata("first_retained_seq", first_before + removed)
                .metadata("retention_days", retention_days)
            })
        })
        .await
        .context("removing a batch of old events with its audit event")?;
        let Changed::Purged(removed) = changed else {
            anyhow::bail!("a purge answered {changed:?}");
        };
        purged += removed;
        metrics::counter!("trail_retention_purged_total").increment(removed);
        if removed < BATCH as u64 {
            break;
        }
        // Let waiting appends take the writer between batches.
        tokio::task::yield_now().await;
    }
    if purged > 0 {
        tracing::info!(
            organization_id,
            purged,
            received_before = %cutoff.to_rfc3339(),
            "Removed events past retention"
        );
    }
    Ok(purged)
}
