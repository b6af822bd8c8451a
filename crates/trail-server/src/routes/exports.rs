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
use trail_core::Millis;
use trail_store::{ExportJob, ExportStatus};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::exports::spec::{ExportRequest, ExportSpec};
use crate::extract;
use crate::extract::OrgParam;
use crate::services::exports;
use crate::services::{Authorized, OrgCaller, needs};
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

/// Create an export job. Answers at once with `record_count`; the file is written in the background.
#[utoipa::path(post, path = "/v1/exports", tag = "exports", request_body = ExportRequest,
    responses((status = 201, body = ExportView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Past the organization's retention or longest export window; the message says how to split", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    authorized: Authorized<needs::Exports>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<ExportView>)> {
    let request: ExportRequest =
        extract::json_body(&headers, body, state.settings.limits.max_request_bytes).await?;
    let caller = authorized
        .in_organization(&state, request.organization_id.as_deref())
        .await?;
    let job = exports::create(&state, &caller, &request).await?;
    Ok((StatusCode::CREATED, Json(job.into())))
}

/// The Export History: the organization's export jobs, newest first.
#[utoipa::path(get, path = "/v1/exports", tag = "exports", params(OrgParam),
    responses((status = 200, body = ExportList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::Exports>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ExportList>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let jobs = exports::list(&state, &caller).await?;
    Ok(Json(ExportList {
        exports: jobs.into_iter().map(ExportView::from).collect(),
    }))
}

/// One export job: status, progress, error.
#[utoipa::path(get, path = "/v1/exports/{id}", tag = "exports", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = ExportView), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::Exports>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ExportView>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    Ok(Json(exports::get(&state, &caller, &id).await?.into()))
}

/// Delete an export job and its file (a running job stops).
#[utoipa::path(delete, path = "/v1/exports/{id}", tag = "exports", params(("id" = String, Path), OrgParam),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::Exports>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    exports::delete(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The finished file. Supports `Range: bytes=N-` (and `N-M`), so an interrupted download resumes.
#[utoipa::path(get, path = "/v1/exports/{id}/download", tag = "exports", params(("id" = String, Path), OrgParam),
    responses((status = 200, description = "The whole file"), (status = 206, description = "The requested range"),
        (status = 404, body = ErrorBody), (status = 409, description = "Not completed yet", body = ErrorBody),
        (status = 410, description = "Expired", body = ErrorBody), (status = 416, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    OrgCaller(caller, _): OrgCaller<needs::Exports>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let (job, name, path) = exports::finished_file(&state, &caller, &id).await?;
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
