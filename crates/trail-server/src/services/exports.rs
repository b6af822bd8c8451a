//! Export jobs: create one (counted at once, queued with its `trail.export.created` event in one
//! transaction), the history, one job, its finished file, and delete (the file too). A caller
//! whose reading is restricted sees only the jobs it asked for, which carry its restriction.

use axum::http::StatusCode;
use trail_core::ids;
use trail_core::query::Field;
use trail_store::{Change, ExportJob, ExportStatus};

use super::Caller;
use crate::access::{self, Scope};
use crate::audit::{self, Entry};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::exports::spec::{self, ExportRequest, Restriction};
use crate::exports::worker::export_dir;
use crate::state::AppState;

/// Who asked, as the Export History shows it.
pub fn requester(principal: &Principal) -> String {
    match principal {
        Principal::Operator => "operator".to_owned(),
        Principal::Key(key) => format!("{} ({})", key.id, key.name),
        Principal::Member(member) => format!("{} ({})", member.user.id, member.user.email),
        Principal::Viewer(claims) => match &claims.viewer {
            Some(viewer) => format!("viewer {}", viewer.id),
            None => "viewer token".to_owned(),
        },
    }
}

/// Whether `principal` may see `job` in the history and download it: a caller whose reading is
/// restricted (own activity, a scoped viewer token) sees only the jobs it asked for, which
/// carry the same restriction; everyone else with the export permission sees them all.
fn may_see(principal: &Principal, job: &ExportJob) -> bool {
    access::restrictions(principal).is_empty() || job.created_by == requester(principal)
}

/// Creates and queues a job for `request`; its `record_count` is known at once.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    request: &ExportRequest,
) -> ApiResult<ExportJob> {
    caller.require(Scope::Exports)?;
    let org = &caller.organization_id;
    let limits = state.store.org_settings(org).await?;
    let now = state.clock.now();
    let (name, mut spec) = spec::resolve(request, now, &limits)?;
    spec.restricted_to = Restriction::from_conditions(&access::restrictions(&caller.principal))
        .ok_or_else(|| {
            ApiError::forbidden(
                "This caller's reading restrictions cannot be applied to an export job.",
            )
        })?;
    let head = state
        .store
        .head(org)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    spec.below_seq = Some(head.size);
    let filter = spec.search(now)?.filter;
    if filter.conditions.iter().any(|c| c.field == Field::Action) {
        let catalogue = super::search::catalogue(state, org).await?;
        spec.action_labels = super::search::labels_in(&catalogue, &filter);
    }
    let record_count = state
        .store
        .count(org, &spec.search(now)?)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    let job = ExportJob {
        id: ids::new_export_id(),
        organization_id: org.clone(),
        name,
        spec: serde_json::to_value(&spec).map_err(ApiError::internal)?,
        status: ExportStatus::Queued,
        record_count,
        progress: 0,
        error: None,
        created_by: requester(&caller.principal),
        created_at: now,
        started_at: None,
        finished_at: None,
        expires_at: None,
        file_name: None,
        file_size: None,
    };
    let entry = Entry::new(
        "trail.export.created",
        "Requested an export of the activity log",
    )
    .resource("export", &job.id, Some(&job.name))
    .metadata("record_count", job.record_count)
    .metadata("spec", job.spec.clone());
    // The job and its audit event are stored together: an export is never queued unrecorded.
    let change = Change::CreateExport(job.clone());
    audit::change(state, &caller.principal, &caller.meta, org, change, |_| {
        Some(entry)
    })
    .await?;
    state.export_queue.notify();
    metrics::counter!("trail_exports_created_total").increment(1);
    Ok(job)
}

/// The Export History: the jobs the caller may see, newest first.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<ExportJob>> {
    caller.require(Scope::Exports)?;
    let jobs = state.store.list_exports(&caller.organization_id).await?;
    Ok(jobs
        .into_iter()
        .filter(|job| may_see(&caller.principal, job))
        .collect())
}

/// One job, or 404 when it does not exist or the caller may not see it.
pub async fn get(state: &AppState, caller: &Caller, id: &str) -> ApiResult<ExportJob> {
    caller.require(Scope::Exports)?;
    let job = state
        .store
        .get_export(&caller.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "export"))?;
    if may_see(&caller.principal, &job) {
        Ok(job)
    } else {
        Err(ApiError::not_found("export"))
    }
}

/// Deletes a job and its file (a running job stops).
pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    let job = get(state, caller, id).await?;
    state
        .store
        .delete_export(&caller.organization_id, id)
        .await
        .map_err(|e| ApiError::from_store(e, "export"))?;
    if let Some(name) = &job.file_name {
        let _ = tokio::fs::remove_file(export_dir(state).join(name)).await;
    }
    Ok(())
}

/// A completed job and where its file is: 410 once expired, 409 before it is completed.
pub async fn finished_file(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> ApiResult<(ExportJob, String, std::path::PathBuf)> {
    let job = get(state, caller, id).await?;
    let name = match (job.status, &job.file_name) {
        (ExportStatus::Completed, Some(name)) => name.clone(),
        (ExportStatus::Expired, _) => {
            return Err(ApiError::new(
                StatusCode::GONE,
                "expired",
                "This export has expired and its file was deleted; create it again.",
            ));
        }
        (status, _) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_ready",
                format!(
                    "This export is {}; download it once it is completed.",
                    status.as_str()
                ),
            ));
        }
    };
    let path = export_dir(state).join(&name);
    Ok((job, name, path))
}
