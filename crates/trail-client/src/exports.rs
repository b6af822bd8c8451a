//! Export jobs (`/v1/exports`): create, history, one, delete, and the file's download from a byte
//! offset (HTTP `Range`), so that an interrupted download resumes.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::RANGE;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Client, Error, Filter, path_segment};

/// How long a download may take in all (the client's usual timeout is for API calls).
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// The body of `POST /v1/exports`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewExport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `csv`, `json` or `ndjson`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<Filter>>,
    /// `last_30_days`, `last_90_days` or `custom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_frame: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub gzip: bool,
    pub verifiable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_per_file: Option<u64>,
}

/// An export job as the server shows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Export {
    pub id: String,
    pub name: String,
    /// `queued`, `running`, `completed`, `failed` or `expired`.
    pub status: String,
    pub record_count: u64,
    /// 0 to 1.
    pub progress: f64,
    pub exported_count: u64,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub expires_at: Option<String>,
    pub file_size: Option<u64>,
    pub format: Option<String>,
    /// Every other field the server sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl Export {
    /// Whether the job will not change any more (but for expiring).
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "completed" | "failed" | "expired")
    }
}

/// A download in progress: the response to read chunks from, where it starts, the file's size.
pub struct Download {
    pub response: reqwest::Response,
    /// The byte the body starts at (the offset asked for, or 0 when the server sent it all).
    pub offset: u64,
    /// The whole file's size, when the server said it.
    pub total: Option<u64>,
}

impl Client {
    /// `POST /v1/exports`; fills `organization_id` from [`Client::with_organization`].
    pub async fn create_export(&self, export: &NewExport) -> Result<Export, Error> {
        let mut export = export.clone();
        if export.organization_id.is_none() {
            export.organization_id.clone_from(&self.organization_id);
        }
        self.send_json(Method::POST, "v1/exports", &[], Some(&export))
            .await
    }

    /// `GET /v1/exports`: the Export History, newest first.
    pub async fn list_exports(&self) -> Result<Vec<Export>, Error> {
        #[derive(Deserialize)]
        struct List {
            exports: Vec<Export>,
        }
        let list: List = self
            .send_json(Method::GET, "v1/exports", &self.org_query(), None::<&()>)
            .await?;
        Ok(list.exports)
    }

    /// `GET /v1/exports/{id}`.
    pub async fn get_export(&self, id: &str) -> Result<Export, Error> {
        let path = format!("v1/exports/{}", path_segment(id));
        self.send_json(Method::GET, &path, &self.org_query(), None::<&()>)
            .await
    }

    /// `DELETE /v1/exports/{id}` (the file too).
    pub async fn delete_export(&self, id: &str) -> Result<(), Error> {
        let path = format!("v1/exports/{}", path_segment(id));
        let request = self.request(Method::DELETE, &path, &self.org_query())?;
        let response = request.send().await.map_err(Error::Transport)?;
        check(response).await.map(drop)
    }

    /// `GET /v1/exports/{id}/download` from byte `offset` on.
    pub async fn download_export(&self, id: &str, offset: u64) -> Result<Download, Error> {
        let path = format!("v1/exports/{}/download", path_segment(id));
        let mut request = self
            .request(Method::GET, &path, &self.org_query())?
            .timeout(DOWNLOAD_TIMEOUT);
        if offset > 0 {
            request = request.header(RANGE, format!("bytes={offset}-"));
        }
        let response = check(request.send().await.map_err(Error::Transport)?).await?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (offset, total) = match header(reqwest::header::CONTENT_RANGE) {
            // `bytes START-END/TOTAL`
            Some(range) => {
                let (span, total) = range
                    .trim_start_matches("bytes ")
                    .split_once('/')
                    .unwrap_or(("", ""));
                let start = span.split('-').next().and_then(|s| s.parse().ok());
                (start.unwrap_or(0), total.parse().ok())
            }
            None => (0, response.content_length()),
        };
        Ok(Download {
            response,
            offset,
            total,
        })
    }
}

/// The response when its status is a success, else the server's error.
pub(crate) async fn check(response: reqwest::Response) -> Result<reqwest::Response, Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.map_err(Error::Transport)?;
    Err(Error::from_response(
        status.as_u16(),
        retry_after.as_deref(),
        &body,
    ))
}
