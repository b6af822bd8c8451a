//! SIEM streams (`/v1/streams`): create, list, one, change, delete, pause, resume, replay and
//! test. Bodies are the API's JSON (`kind`-specific fields vary); answers are typed.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Client, Error, path_segment};

/// A stream's health as the server reports it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StreamHealth {
    /// `active`, `retrying`, `error`, `paused` or `disabled`.
    pub state: String,
    pub cursor: u64,
    pub lag_events: u64,
    pub oldest_undelivered_age_seconds: Option<f64>,
    pub last_success_at: Option<String>,
    /// `{"at", "status", "message"}`.
    pub last_error: Option<Value>,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    /// `{"from_seq", "to_seq"}` while stopped with events waiting.
    pub undelivered: Option<Value>,
    pub events_delivered: u64,
    pub bytes_delivered: u64,
}

/// A stream as the server shows it (never its token or secret, except a generated webhook
/// secret in the answer that made it).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Stream {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub format: String,
    pub url: String,
    pub filter: String,
    pub settings: Value,
    pub secret_set: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub health: StreamHealth,
    pub created_at: String,
    pub updated_at: String,
}

impl Client {
    fn stream_path(id: &str, action: &str) -> String {
        format!("v1/streams/{}{action}", path_segment(id))
    }

    /// `GET /v1/streams`.
    pub async fn list_streams(&self) -> Result<Vec<Stream>, Error> {
        #[derive(Deserialize)]
        struct List {
            streams: Vec<Stream>,
        }
        let list: List = self
            .send_json(Method::GET, "v1/streams", &self.org_query(), None::<&()>)
            .await?;
        Ok(list.streams)
    }

    /// `POST /v1/streams` with the API's body (`name`, `kind`, `url`, …).
    pub async fn create_stream(&self, body: &Value) -> Result<Stream, Error> {
        let mut body = body.clone();
        if let (Some(org), Some(object)) = (&self.organization_id, body.as_object_mut()) {
            object
                .entry("organization_id")
                .or_insert_with(|| Value::String(org.clone()));
        }
        self.send_json(Method::POST, "v1/streams", &[], Some(&body))
            .await
    }

    /// `GET /v1/streams/{id}`.
    pub async fn get_stream(&self, id: &str) -> Result<Stream, Error> {
        self.send_json(
            Method::GET,
            &Self::stream_path(id, ""),
            &self.org_query(),
            None::<&()>,
        )
        .await
    }

    /// `PATCH /v1/streams/{id}`.
    pub async fn update_stream(&self, id: &str, body: &Value) -> Result<Stream, Error> {
        self.send_json(
            Method::PATCH,
            &Self::stream_path(id, ""),
            &self.org_query(),
            Some(body),
        )
        .await
    }

    /// `DELETE /v1/streams/{id}`.
    pub async fn delete_stream(&self, id: &str) -> Result<(), Error> {
        let request = self.request(
            Method::DELETE,
            &Self::stream_path(id, ""),
            &self.org_query(),
        )?;
        let response = request.send().await.map_err(Error::Transport)?;
        crate::exports::check(response).await.map(drop)
    }

    /// `POST /v1/streams/{id}/pause` or `/resume`.
    pub async fn control_stream(&self, id: &str, resume: bool) -> Result<Stream, Error> {
        let action = if resume { "/resume" } else { "/pause" };
        self.send_json(
            Method::POST,
            &Self::stream_path(id, action),
            &self.org_query(),
            Some(&serde_json::json!({})),
        )
        .await
    }

    /// `POST /v1/streams/{id}/replay` with `{"from_seq": n}` or `{"from": "24h"}`.
    pub async fn replay_stream(&self, id: &str, body: &Value) -> Result<Stream, Error> {
        self.send_json(
            Method::POST,
            &Self::stream_path(id, "/replay"),
            &self.org_query(),
            Some(body),
        )
        .await
    }

    /// `POST /v1/streams/{id}/test`: `{"delivered", "status", "error", "event_id"}`.
    pub async fn test_stream(&self, id: &str) -> Result<Value, Error> {
        self.send_json(
            Method::POST,
            &Self::stream_path(id, "/test"),
            &self.org_query(),
            Some(&serde_json::json!({})),
        )
        .await
    }
}
