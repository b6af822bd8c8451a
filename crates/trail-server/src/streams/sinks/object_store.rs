//! Object storage (S3 and S3-compatible servers, through the `object_store` crate): each batch
//! becomes gzipped NDJSON files, one per hour of the events' `received_at`, named
//! `<prefix>/<organization>/<stream>/YYYY/MM/DD/HH/<first-seq>-<last-seq>.json.gz` — GitHub's
//! audit-log streaming layout, with the organization and stream in the path so that two streams
//! (or two organizations) pointed at the same bucket and prefix can never overwrite each other.
//!
//! A file is one `PUT`, so it is written whole or not at all. A batch sent again (after a failure
//! or a restart) has the same first and last seq and so the same names: the retry overwrites the
//! same objects with the same bytes. When a batch spans several hours and a later file fails, the
//! files already written count as delivered and the cursor moves past them.
//!
//! Requests go through the streams' HTTP client ([`safety::http_client`]): its resolver refuses
//! private addresses unless the operator allows them, checked at each connection.

use std::io::Write as _;
use std::sync::Arc;

use async_trait::async_trait;
use flate2::Compression;
use flate2::write::GzEncoder;
use object_store::aws::{AmazonS3, AmazonS3Builder, AwsCredential};
use object_store::client::{HttpClient, HttpConnector};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStoreExt as _, PutPayload, RetryConfig,
    StaticCredentialProvider,
};
use serde_json::Value;
use trail_core::event::Event;
use trail_core::siem::Format;
use trail_store::Stream;

use super::{Sink, SinkError, snippet};
use crate::streams::safety;
use crate::streams::settings::StreamSettings;

/// The region used when a stream names none.
pub const DEFAULT_REGION: &str = "us-east-1";
/// How long events wait to fill a file when a stream sets no `flush_seconds`.
pub const DEFAULT_FLUSH_SECONDS: u64 = 60;

/// How long the oldest undelivered event of an object storage stream may wait for a full batch
/// (`None` for other kinds, which send what they have at once): files of a few events each would
/// cost a request and a listing entry per event.
pub fn flush_wait(stream: &Stream) -> Option<std::time::Duration> {
    (stream.kind == crate::streams::Kind::ObjectStore.as_str()).then(|| {
        std::time::Duration::from_secs(
            stream
                .settings
                .get("flush_seconds")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_FLUSH_SECONDS),
        )
    })
}

pub struct ObjectStoreSink {
    store: AmazonS3,
    /// `<prefix>/<organization>/<stream>`.
    root: Path,
    format: Format,
    /// Where the files go, for messages (`s3://bucket/prefix`).
    display: String,
}

/// `object_store`'s HTTP clients are the streams' own: the safe resolver, no proxy, the timeout.
#[derive(Debug)]
struct SafeConnector {
    allow_private: bool,
    timeout: std::time::Duration,
}

impl HttpConnector for SafeConnector {
    fn connect(&self, _: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = safety::http_client(self.allow_private, self.timeout).map_err(|e| {
            object_store::Error::Generic {
                store: "S3",
                source: e.into(),
            }
        })?;
        Ok(HttpClient::new(client))
    }
}

/// The bucket and the key prefix of an `s3://bucket/prefix` URL (the prefix without slashes at
/// either end, possibly empty).
pub fn bucket_and_prefix(url: &reqwest::Url) -> (String, String) {
    (
        url.host_str().unwrap_or_default().to_owned(),
        url.path().trim_matches('/').to_owned(),
    )
}

/// The hour directory of a time: `YYYY/MM/DD/HH` in UTC.
pub fn hour_path(at: trail_core::Millis) -> String {
    let dt = at.to_datetime();
    format!(
        "{:04}/{:02}/{:02}/{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour()
    )
}

/// Runs of consecutive events received in the same hour: the files of a batch.
pub fn hour_runs(events: &[Event]) -> Vec<std::ops::Range<usize>> {
    let hour = |e: &Event| e.received_at.0.div_euclid(3_600_000);
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=events.len() {
        if i == events.len() || hour(&events[i]) != hour(&events[start]) {
            if start < i {
                runs.push(start..i);
            }
            start = i;
        }
    }
    runs
}

/// The gzipped NDJSON of some events in a format.
pub fn encode(format: Format, events: &[Event]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    for event in events {
        gz.write_all(format.to_line(event).as_bytes())
            .and_then(|()| gz.write_all(b"\n"))
            .expect("writing to memory cannot fail");
    }
    gz.finish().expect("writing to memory cannot fail")
}

/// What an `object_store` error means for the stream: a refused credential, a missing bucket or
/// another client error stops it (retrying cannot help); anything else is retried.
fn sink_error(error: &object_store::Error, display: &str) -> SinkError {
    // The whole chain: the resolver's refusal or the server's answer is in a source.
    let mut text = error.to_string();
    let mut innermost = text.clone();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let more = inner.to_string();
        innermost.clone_from(&more);
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = inner.source();
    }
    // The HTTP status is only in the error's text ("… status code: 400 Bad Request: <body>").
    let status = text
        .split_once("status code: ")
        .and_then(|(_, rest)| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    let message = format!("writing to {display}: {}", snippet(&text));
    match error {
        object_store::Error::PermissionDenied { .. } => {
            SinkError::fatal(status.or(Some(403)), message)
        }
        object_store::Error::Unauthenticated { .. } => {
            SinkError::fatal(status.or(Some(401)), message)
        }
        object_store::Error::NotFound { .. } => SinkError::fatal(
            status.or(Some(404)),
            format!("{message} (does the bucket exist?)"),
        ),
        _ if text.contains(safety::PRIVATE_SETTING) => {
            SinkError::fatal(None, format!("writing to {display}: {innermost}"))
        }
        _ => match status {
            Some(code) if (400..500).contains(&code) && code != 408 && code != 429 => {
                SinkError::fatal(Some(code), message)
            }
            _ => SinkError::retry(status, message),
        },
    }
}

impl ObjectStoreSink {
    pub fn new(
        stream: &Stream,
        format: Format,
        settings: &StreamSettings,
    ) -> Result<ObjectStoreSink, SinkError> {
        let url = reqwest::Url::parse(&stream.url)
            .map_err(|e| SinkError::fatal(None, format!("bad url: {e}")))?;
        let (bucket, prefix) = bucket_and_prefix(&url);
        let get = |map: &Value, key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region(get(&stream.settings, "region").unwrap_or_else(|| DEFAULT_REGION.into()))
            .with_http_connector(SafeConnector {
                allow_private: settings.allow_private_destinations,
                timeout: settings.request_timeout,
            })
            // The worker retries with its own backoff and window; one quick retry here absorbs
            // a dropped connection without holding the batch for minutes.
            .with_retry(RetryConfig {
                backoff: BackoffConfig::default(),
                max_retries: 1,
                retry_timeout: settings.request_timeout,
            });
        // The stream's own keys, always: never the server's environment or instance role, which
        // would let an organization write wherever the operator's credentials may.
        let (Some(key_id), Some(secret)) = (
            get(&stream.settings, "access_key_id"),
            get(&stream.secrets, "secret_access_key"),
        ) else {
            return Err(SinkError::fatal(
                None,
                "the stream has no access_key_id and secret_access_key",
            ));
        };
        builder =
            builder.with_credentials(Arc::new(StaticCredentialProvider::new(AwsCredential {
                key_id,
                secret_key: secret,
                token: None,
            })));
        if let Some(endpoint) = get(&stream.settings, "endpoint") {
            let endpoint_url = reqwest::Url::parse(&endpoint)
                .map_err(|e| SinkError::fatal(None, format!("bad endpoint: {e}")))?;
            safety::check_url(&endpoint_url, settings.allow_private_destinations)
                .map_err(|e| SinkError::fatal(None, e))?;
            builder = builder
                .with_allow_http(endpoint_url.scheme() == "http")
                // S3-compatible servers (MinIO, moto, Ceph …) answer path-style requests.
                .with_virtual_hosted_style_request(false)
                .with_endpoint(endpoint.trim_end_matches('/'));
        }
        let store = builder
            .build()
            .map_err(|e| SinkError::fatal(None, format!("object storage setup: {e}")))?;
        let root = Path::parse(
            [prefix.as_str(), &stream.organization_id, &stream.id]
                .iter()
                .filter(|part| !part.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/"),
        )
        .map_err(|e| SinkError::fatal(None, format!("bad prefix: {e}")))?;
        Ok(ObjectStoreSink {
            store,
            root,
            format,
            display: format!("s3://{bucket}/{prefix}"),
        })
    }

    /// The name of the file holding `events` (one hour's run of a batch). The test event of
    /// `POST /v1/streams/{id}/test` (not in the log: no hash) goes under `test/` by its id.
    pub fn file_name(&self, events: &[Event]) -> Path {
        let (first, last) = (&events[0], &events[events.len() - 1]);
        let name = if first.hash.is_empty() {
            format!("{}/test/{}.json.gz", self.root, first.data.id)
        } else {
            format!(
                "{}/{}/{}-{}.json.gz",
                self.root,
                hour_path(first.received_at),
                first.seq,
                last.seq
            )
        };
        Path::from(name)
    }
}

#[async_trait]
impl Sink for ObjectStoreSink {
    async fn send(&self, events: &[Event]) -> Result<u64, SinkError> {
        let (mut done, mut bytes) = (0, 0u64);
        for run in hour_runs(events) {
            let part = &events[run];
            let body = encode(self.format, part);
            let size = body.len() as u64;
            let path = self.file_name(part);
            if let Err(e) = self.store.put(&path, PutPayload::from(body)).await {
                return Err(sink_error(&e, &self.display).after(done, bytes));
            }
            done += part.len();
            bytes += size;
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trail_core::Millis;

    fn at(seq: u64, ms: i64) -> Event {
        let mut event = crate::services::streams::test_event(
            &Stream {
                organization_id: "org_1".into(),
                id: "strm_1".into(),
                name: "s".into(),
                kind: "object_store".into(),
                format: "trail".into(),
                url: "s3://bucket".into(),
                filter: String::new(),
                settings: Value::Null,
                secrets: Value::Null,
                created_at: Millis(0),
                updated_at: Millis(0),
            },
            Millis(ms),
        );
        event.seq = seq;
        event
    }

    #[test]
    fn a_batch_is_cut_where_the_hour_changes() {
        let hour = 3_600_000;
        let events = [at(0, 10), at(1, hour - 1), at(2, hour), at(3, 2 * hour + 5)];
        assert_eq!(hour_runs(&events), [0..2, 2..3, 3..4]);
        assert_eq!(hour_runs(&events[..1]), vec![0..1_usize]);
        assert!(hour_runs(&[]).is_empty());
        assert_eq!(hour_path(Millis(1_764_777_000_000)), "2025/12/03/15");
    }

    #[test]
    fn files_are_gzipped_ndjson_in_the_format() {
        let events = [at(7, 0), at(8, 0)];
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&encode(Format::Ecs, &events)[..]),
            &mut text,
        )
        .unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["event"]["sequence"], 8);
    }

    #[test]
    fn client_errors_stop_and_server_errors_retry() {
        let generic = |text: &str| object_store::Error::Generic {
            store: "S3",
            source: text.to_owned().into(),
        };
        let bad = sink_error(
            &generic("Server returned non-2xx status code: 400 Bad Request: <Error/>"),
            "s3://b/",
        );
        assert!(!bad.retry);
        assert_eq!(bad.status, Some(400));
        let busy = sink_error(
            &generic("Server returned non-2xx status code: 503 Service Unavailable"),
            "s3://b/",
        );
        assert!(busy.retry);
        assert_eq!(busy.status, Some(503));
        assert!(sink_error(&generic("status code: 429 Too Many Requests"), "x").retry);
        assert!(sink_error(&generic("connection refused"), "x").retry);
        let denied = object_store::Error::PermissionDenied {
            path: "p".into(),
            source: "no".into(),
        };
        assert!(!sink_error(&denied, "x").retry);
    }
}
