//! `/v1/exports`: asynchronous export jobs. Create (the record count is known at once), the Export
//! History (newest first, with who asked), one job with its progress or error, the file (with HTTP
//! `Range`, so a download resumes), and delete (the file too).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, RANGE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use trail_core::{Millis, ids};
use trail_store::Change;
use trail_store::{ExportJob, ExportStatus};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access;
use crate::access::Scope;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::exports::spec::{self, ExportRequest, ExportSpec, Restriction};
use crate::exports::worker::export_dir;
use crate::extract;
use crate::extract::OrgParam;
use crate::state::AppState;

/// An export job as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ExportView {
    id: String,
    name: String,
    /// `queued`, `running`, `completed`, `failed` or `expired`.
    status: String,
    /// Events matching when the job was created ("Export N records").
    record_count: u64,
    /// Share of `record_count` written so far, 0 to 1.
    progress: f64,
    /// Events written so far.
    exported_count: u64,
    /// Why a `failed` job failed.
    error: Option<String>,
    /// Who asked: `operator`, or the API key's id and name.
    created_by: String,
    #[schema(value_type = String)]
    created_at: Millis,
    #[schema(value_type = Option<String>)]
    started_at: Option<Millis>,
    #[schema(value_type = Option<String>)]
    finished_at: Option<Millis>,
    /// When the file is deleted and the job becomes `expired`.
    #[schema(value_type = Option<String>)]
    expires_at: Option<Millis>,
    /// Size of the finished file in bytes.
    file_size: Option<u64>,
    /// `/v1/exports/{id}/download` once completed.
    download_url: Option<String>,
    /// The request: format, gzip, verifiable, q, filters, time_frame, from, to, rows_per_file.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    spec: serde_json::Value,
}

impl From<ExportJob> for ExportView {
    fn from(job: ExportJob) -> Self {
        let progress = match job.status {
            ExportStatus::Completed | ExportStatus::Expired => 1.0,
            _ if job.record_count == 0 => 0.0,
            _ => (job.progress as f64 / job.record_count as f64).min(1.0),
        };
        ExportView {
            download_url: (job.status == ExportStatus::Completed)
                .then(|| format!("/v1/exports/{}/download", job.id)),
            id: job.id,
            name: job.name,
            status: job.status.as_str().to_owned(),
            record_count: job.record_count,
            progress,
            exported_count: job.progress,
            error: job.error,
            created_by: job.created_by,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            expires_at: job.expires_at,
            file_size: job.file_size,
            spec: job.spec,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ExportList {
    /// Newest first.
    exports: Vec<ExportView>,
}

/// Who asked, as the Export History shows it.
fn requester(principal: &Principal) -> String {
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

/// Create an export job. Answers at once with `record_count`; the file is written in the background.
#[utoipa::path(post, path = "/v1/exports", tag = "exports", request_body = ExportRequest,
    responses((status = 201, body = ExportView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Past the organization's retention or longest export window; the message says how to split", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<ExportView>)> {
    principal.require(Scope::Exports)?;
    let request: ExportRequest =
        extract::json_body(&headers, body, state.settings.limits.max_request_bytes).await?;
    let org = principal
        .organization(&state, request.organization_id.as_deref())
        .await?;
    let limits = state.store.org_settings(&org).await?;
    let now = state.clock.now();
    let (name, mut spec) = spec::resolve(&request, now, &limits)?;
    spec.restricted_to = Restriction::from_conditions(&access::restrictions(&principal))
        .ok_or_else(|| {
            ApiError::forbidden(
                "This caller's reading restrictions cannot be applied to an export job.",
            )
        })?;
    spec.below_seq = Some(
        state
            .store
            .head(&org)
            .await
            .map_err(|e| ApiError::from_store(e, "organization"))?
            .size,
    );
    let record_count = state
        .store
        .count(&org, &spec.search(now)?)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    let job = ExportJob {
        id: ids::new_export_id(),
        organization_id: org,
        name,
        spec: serde_json::to_value(&spec).map_err(ApiError::internal)?,
        status: ExportStatus::Queued,
        record_count,
        progress: 0,
        error: None,
        created_by: requester(&principal),
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
    audit::change(
        &state,
        &principal,
        &meta,
        &job.organization_id,
        change,
        |_| Some(entry),
    )
    .await?;
    state.export_queue.notify();
    metrics::counter!("trail_exports_created_total").increment(1);
    Ok((StatusCode::CREATED, Json(job.into())))
}

/// The Export History: the organization's export jobs, newest first.
#[utoipa::path(get, path = "/v1/exports", tag = "exports", params(OrgParam),
    responses((status = 200, body = ExportList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ExportList>> {
    let org = authorize(&state, &principal, raw.as_deref()).await?;
    let jobs = state.store.list_exports(&org).await?;
    Ok(Json(ExportList {
        exports: jobs
            .into_iter()
            .filter(|job| may_see(&principal, job))
            .map(ExportView::from)
            .collect(),
    }))
}

async fn authorize(
    state: &AppState,
    principal: &Principal,
    raw: Option<&str>,
) -> ApiResult<String> {
    principal.require(Scope::Exports)?;
    let params: OrgParam = extract::query(raw)?;
    principal
        .organization(state, params.organization_id())
        .await
}

/// The job, or 404 when it does not exist or the caller may not see it (`may_see`).
async fn find(
    state: &AppState,
    principal: &Principal,
    org: &str,
    id: &str,
) -> ApiResult<ExportJob> {
    let job = state
        .store
        .get_export(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "export"))?;
    if may_see(principal, &job) {
        Ok(job)
    } else {
        Err(ApiError::not_found("export"))
    }
}

/// One export job: status, progress, error.
#[utoipa::path(get, path = "/v1/exports/{id}", tag = "exports", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = ExportView), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ExportView>> {
    let org = authorize(&state, &principal, raw.as_deref()).await?;
    Ok(Json(find(&state, &principal, &org, &id).await?.into()))
}

/// Delete an export job and its file (a running job stops).
#[utoipa::path(delete, path = "/v1/exports/{id}", tag = "exports", params(("id" = String, Path), OrgParam),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    let org = authorize(&state, &principal, raw.as_deref()).await?;
    let job = find(&state, &principal, &org, &id).await?;
    state
        .store
        .delete_export(&org, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "export"))?;
    if let Some(name) = &job.file_name {
        let _ = tokio::fs::remove_file(export_dir(&state).join(name)).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The finished file. Supports `Range: bytes=N-` (and `N-M`), so an interrupted download resumes.
#[utoipa::path(get, path = "/v1/exports/{id}/download", tag = "exports", params(("id" = String, Path), OrgParam),
    responses((status = 200, description = "The whole file"), (status = 206, description = "The requested range"),
        (status = 404, body = ErrorBody), (status = 409, description = "Not completed yet", body = ErrorBody),
        (status = 410, description = "Expired", body = ErrorBody), (status = 416, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let org = authorize(&state, &principal, raw.as_deref()).await?;
    let job = find(&state, &principal, &org, &id).await?;
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
    let path = export_dir(&state).join(&name);
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal(format!("opening export file {}: {e}", path.display())))?;
    let total = file.metadata().await.map_err(ApiError::internal)?.len();
    let range = headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .map(|r| parse_range(r, total))
        .transpose()?;
    let (start, end) = range.unwrap_or((0, total));
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(ApiError::internal)?;
    let spec: Option<ExportSpec> = serde_json::from_value(job.spec.clone()).ok();
    let content_type = if name.ends_with(".zip") {
        "application/zip"
    } else if name.ends_with(".gz") {
        "application/gzip"
    } else {
        spec.map_or("application/octet-stream", |s| s.format.content_type())
    };
    let download_name = format!("{}{}", file_stem(&job.name), &name[job.id.len()..]);
    let mut response = Response::builder()
        .status(if range.is_some() {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        })
        .header(CONTENT_TYPE, content_type)
        .header(CONTENT_LENGTH, end - start)
        .header(ACCEPT_RANGES, "bytes")
        .header(ETAG, format!("\"{}-{total}\"", job.id))
        .header(CACHE_CONTROL, "no-store")
        .header(
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{download_name}\""),
        );
    if range.is_some() {
        response = response.header(CONTENT_RANGE, format!("bytes {start}-{}/{total}", end - 1));
    }
    response
        .body(file_body(file, end - start))
        .map_err(ApiError::internal)
        .map(IntoResponse::into_response)
}

/// `bytes=N-`, `bytes=N-M` or `bytes=-N` as `[start, end)`; one range only.
fn parse_range(header: &str, total: u64) -> ApiResult<(u64, u64)> {
    let unsatisfiable = || {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
            format!("The file has {total} bytes; ask for one range within it, like `bytes=1024-`."),
        )
    };
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or_else(unsatisfiable)?;
    let (first, last) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| unsatisfiable());
    let (start, end) = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n = number(suffix)?.min(total);
            (total - n, total)
        }
        (start, "") => (number(start)?, total),
        (start, end) => (number(start)?, number(end)?.saturating_add(1).min(total)),
    };
    if start >= total || start >= end {
        return Err(unsatisfiable());
    }
    Ok((start, end))
}

/// A file name from a job's name: letters, digits, `-` and `_` kept, the rest `_`.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "export".into()
    } else {
        stem
    }
}

/// `len` bytes of `file` from where it stands, in 64 KiB chunks.
fn file_body(file: tokio::fs::File, len: u64) -> Body {
    let chunks = stream::unfold((file, len), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buffer = vec![0; left.min(64 * 1024) as usize];
        match file.read(&mut buffer).await {
            Ok(0) => Some((
                Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the export file is shorter than it was",
                )),
                (file, 0),
            )),
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(bytes::Bytes::from(buffer)), (file, left - n as u64)))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    Body::from_stream(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resume_and_reject_what_is_outside() {
        assert_eq!(parse_range("bytes=0-", 10).unwrap(), (0, 10));
        assert_eq!(parse_range("bytes=4-", 10).unwrap(), (4, 10));
        assert_eq!(parse_range("bytes=2-5", 10).unwrap(), (2, 6));
        assert_eq!(parse_range("bytes=-3", 10).unwrap(), (7, 10));
        assert_eq!(parse_range("bytes=2-100", 10).unwrap(), (2, 10));
        for bad in ["bytes=10-", "bytes=5-2", "items=1-2", "bytes=x-"] {
            assert_eq!(parse_range(bad, 10).unwrap_err().status, 416, "{bad}");
        }
    }
}
