//! Splunk HTTP Event Collector: `POST /services/collector/event` with `Authorization: Splunk
//! <token>`, a gzipped body of concatenated JSON envelopes (`time` in epoch seconds with
//! milliseconds, `host`, `source`, `sourcetype`, `index`, `event`, flat `fields`), at most
//! [`MAX_BODY_BYTES`] before compression. Splunk's status and `code` table decides what happens:
//! 500, 503 and "server busy" (codes 8, 9, 18–20) are retried; 400, 401 and 403 stop the stream
//! with the reason shown; 413 splits the request in two. With `ack`, each request carries a
//! channel (`X-Splunk-Request-Channel`) and counts only once `/services/collector/ack` confirms
//! its `ackId`.

use std::io::Write;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use trail_core::event::Event;
use trail_core::siem::Format;
use trail_store::Stream;

use super::{Sink, SinkError, chunks_by_size, snippet};
use crate::streams::safety;
use crate::streams::settings::StreamSettings;

/// Splunk Cloud refuses bodies over 1 MB; batches stay under this before gzip.
pub const MAX_BODY_BYTES: usize = 900 * 1024;

pub struct HecSink {
    client: reqwest::Client,
    event_url: reqwest::Url,
    ack_url: reqwest::Url,
    token: String,
    format: Format,
    host: String,
    source: String,
    sourcetype: String,
    index: Option<String>,
    /// The acknowledgement channel, when `ack` is on.
    channel: Option<String>,
    allow_private: bool,
    ack_timeout: Duration,
}

/// What Splunk's `code` means: `(retry, meaning)`.
pub fn code_meaning(code: i64) -> (bool, &'static str) {
    match code {
        0 => (false, "Success"),
        1 => (false, "Token disabled"),
        2 => (false, "Token is required"),
        3 => (false, "Invalid authorization"),
        4 => (false, "Invalid token"),
        5 => (false, "No data"),
        6 => (false, "Invalid data format"),
        7 => (false, "Incorrect index"),
        8 => (true, "Internal server error"),
        9 => (true, "Server is busy"),
        10 => (false, "Data channel is missing"),
        11 => (false, "Invalid data channel"),
        12 => (false, "Event field is required"),
        13 => (false, "Event field cannot be blank"),
        14 => (false, "ACK is disabled"),
        15 => (false, "Error in handling indexed fields"),
        16 => (false, "Query string authorization is not enabled"),
        17 => (false, "HEC is healthy"),
        18 => (true, "HEC is unhealthy, queues are full"),
        19 => (true, "HEC is unhealthy, ack service unavailable"),
        20 => (
            true,
            "HEC is unhealthy, queues are full, ack service unavailable",
        ),
        _ => (false, "Unknown code"),
    }
}

fn setting<'a>(stream: &'a Stream, key: &str) -> Option<&'a str> {
    stream.settings.get(key).and_then(Value::as_str)
}

fn new_channel() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl HecSink {
    pub fn new(
        stream: &Stream,
        format: Format,
        settings: &StreamSettings,
        origin: &str,
    ) -> Result<HecSink, SinkError> {
        let mut base = reqwest::Url::parse(&stream.url)
            .map_err(|e| SinkError::fatal(None, format!("bad url: {e}")))?;
        if base.path() == "/" || base.path().is_empty() {
            base.set_path("/services/collector/event");
        }
        let mut ack_url = base.clone();
        ack_url.set_path(
            &base
                .path()
                .replace("/collector/event", "/collector/ack")
                .replace("/collector/raw", "/collector/ack"),
        );
        let token = stream
            .secrets
            .get("token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let ack = stream
            .settings
            .get("ack")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(HecSink {
            client: safety::http_client(
                settings.allow_private_destinations,
                settings.request_timeout,
            )
            .map_err(|e| SinkError::retry(None, e))?,
            event_url: base,
            ack_url,
            token,
            format,
            host: setting(stream, "host").unwrap_or(origin).to_owned(),
            source: setting(stream, "source").unwrap_or("trail").to_owned(),
            sourcetype: setting(stream, "sourcetype")
                .unwrap_or("trail:audit")
                .to_owned(),
            index: setting(stream, "index").map(str::to_owned),
            channel: ack.then(new_channel),
            allow_private: settings.allow_private_destinations,
            ack_timeout: settings.request_timeout,
        })
    }

    /// One event's envelope, as a line of JSON.
    pub fn envelope(&self, event: &Event) -> Vec<u8> {
        let data = &event.data;
        let mut envelope = json!({
            "time": data.occurred_at.0 as f64 / 1000.0,
            "host": self.host,
            "source": self.source,
            "sourcetype": self.sourcetype,
            "event": self.format.to_json(event),
            "fields": {
                "trail_id": data.id,
                "trail_seq": event.seq,
                "organization_id": event.organization_id,
                "action": data.action,
                "area": data.area,
                "outcome": data.outcome.as_str(),
            },
        });
        if let Some(index) = &self.index {
            envelope["index"] = json!(index);
        }
        serde_json::to_vec(&envelope).unwrap_or_default()
    }

    fn request(&self, url: &reqwest::Url) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .post(url.clone())
            .header("Authorization", format!("Splunk {}", self.token));
        if let Some(channel) = &self.channel {
            request = request.header("X-Splunk-Request-Channel", channel);
        }
        request
    }

    /// Sends `lines` as one request, splitting it on 413. `Ok` once acknowledged.
    async fn post(&self, lines: &[Vec<u8>]) -> Result<(), SinkError> {
        let mut body = Vec::with_capacity(lines.iter().map(Vec::len).sum::<usize>() + lines.len());
        for line in lines {
            body.extend_from_slice(line);
            body.push(b'\n');
        }
        let mut gz = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
        gz.write_all(&body)
            .map_err(|e| SinkError::retry(None, e.to_string()))?;
        let gz = gz
            .finish()
            .map_err(|e| SinkError::retry(None, e.to_string()))?;
        let response = self
            .request(&self.event_url)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .body(gz)
            .send()
            .await
            .map_err(|e| request_error("HEC request", &e))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if status == 413 {
            if lines.len() == 1 {
                return Err(SinkError::fatal(
                    Some(413),
                    "HEC refused one event as too large (413)",
                ));
            }
            let (first, second) = lines.split_at(lines.len() / 2);
            Box::pin(self.post(first)).await?;
            let bytes = first.iter().map(|l| l.len() as u64 + 1).sum();
            return Box::pin(self.post(second))
                .await
                .map_err(|e| e.after(first.len(), bytes));
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let code = answer.get("code").and_then(Value::as_i64);
        let described = match code {
            Some(code) => format!(
                "HEC {status} code {code} ({}): {}",
                code_meaning(code).1,
                snippet(&text)
            ),
            None => format!("HEC {status}: {}", snippet(&text)),
        };
        match status {
            200..=299 if code.is_none_or(|c| c == 0) => {}
            200..=299 => return Err(SinkError::fatal(Some(status), described)),
            400 | 401 | 403 => return Err(SinkError::fatal(Some(status), described)),
            429 | 500..=599 => return Err(SinkError::retry(Some(status), described)),
            _ if code.is_some_and(|c| code_meaning(c).0) => {
                return Err(SinkError::retry(Some(status), described));
            }
            _ => return Err(SinkError::fatal(Some(status), described)),
        }
        match (&self.channel, answer.get("ackId").and_then(Value::as_u64)) {
            (Some(_), Some(ack_id)) => self.wait_for_ack(ack_id).await,
            (Some(_), None) => Err(SinkError::fatal(
                Some(status),
                format!(
                    "HEC answered without an ackId although `ack` is on: {}",
                    snippet(&text)
                ),
            )),
            (None, _) => Ok(()),
        }
    }

    /// Polls `/services/collector/ack` until Splunk confirms `ack_id` (or the time is up: then
    /// the batch is sent again).
    async fn wait_for_ack(&self, ack_id: u64) -> Result<(), SinkError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let response = self
                .request(&self.ack_url)
                .json(&json!({"acks": [ack_id]}))
                .send()
                .await
                .map_err(|e| request_error("HEC ack request", &e))?;
            let status = response.status().as_u16();
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            if status != 200 {
                return Err(SinkError::retry(
                    Some(status),
                    format!("HEC ack {status}: {}", snippet(&answer.to_string())),
                ));
            }
            if answer["acks"][ack_id.to_string()].as_bool() == Some(true) {
                return Ok(());
            }
            if started.elapsed() >= self.ack_timeout {
                return Err(SinkError::retry(
                    Some(200),
                    format!(
                        "HEC did not acknowledge ackId {ack_id} within {:?}",
                        self.ack_timeout
                    ),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

/// A request that got no answer: retried, unless the destination is refused as private.
pub fn request_error(what: &str, e: &reqwest::Error) -> SinkError {
    let message = format!("{what} failed: {}", error_chain(e));
    if message.contains("allow_private_destinations") {
        SinkError::fatal(None, message)
    } else {
        SinkError::retry(None, message)
    }
}

/// An error with its causes (reqwest's top level hides the connection error).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl Sink for HecSink {
    async fn send(&self, events: &[Event]) -> Result<u64, SinkError> {
        safety::check_url(&self.event_url, self.allow_private)
            .map_err(|e| SinkError::fatal(None, e))?;
        let lines: Vec<Vec<u8>> = events.iter().map(|e| self.envelope(e)).collect();
        let sizes: Vec<usize> = lines.iter().map(|l| l.len() + 1).collect();
        let mut sent = 0u64;
        let mut done = 0usize;
        for range in chunks_by_size(&sizes, MAX_BODY_BYTES) {
            let bytes: u64 = sizes[range.clone()].iter().map(|s| *s as u64).sum();
            self.post(&lines[range.clone()])
                .await
                .map_err(|e| e.after(done, sent))?;
            done = range.end;
            sent += bytes;
        }
        Ok(sent)
    }
}
