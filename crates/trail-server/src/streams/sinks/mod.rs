//! Stream destinations on one contract: a [`Sink`] takes a batch of events (already filtered, in
//! `seq` order) and answers once the destination acknowledged them, or with a [`SinkError`] that
//! says how many it took first and whether the rest may be retried. Retries, backoff, the cursor
//! and batching by count are the worker's; a sink only splits a batch by size for its protocol.
//!
//! - [`hec`]: Splunk HTTP Event Collector (envelopes, gzip, the status and `code` table, 413
//!   split, indexer acknowledgement).
//! - [`webhook`]: Standard Webhooks (`webhook-id`, `-timestamp`, `-signature`, secret rotation).
//! - [`syslog`]: RFC 5424 messages, octet-counted over TCP (RFC 6587) or TLS (RFC 5425).
//! - [`object_store`]: gzipped NDJSON files per hour in S3 or an S3-compatible server.

pub mod hec;
pub mod object_store;
pub mod syslog;
pub mod webhook;

use async_trait::async_trait;
use trail_core::event::Event;
use trail_core::siem::Format;
use trail_store::Stream;

use super::Kind;
use super::settings::StreamSettings;

/// Why a batch was not (wholly) delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    /// Events at the start of the batch the destination acknowledged before it failed.
    pub delivered: usize,
    /// Bytes of those events.
    pub delivered_bytes: u64,
    /// Whether the rest may be sent again (a busy or unreachable destination), or the stream
    /// must stop (a refused token, a malformed request).
    pub retry: bool,
    /// The HTTP status, or `None` for a connection failure.
    pub status: Option<u16>,
    /// What failed, with a snippet of the response.
    pub message: String,
}

impl SinkError {
    pub fn retry(status: Option<u16>, message: impl Into<String>) -> SinkError {
        SinkError {
            delivered: 0,
            delivered_bytes: 0,
            retry: true,
            status,
            message: message.into(),
        }
    }

    pub fn fatal(status: Option<u16>, message: impl Into<String>) -> SinkError {
        SinkError {
            retry: false,
            ..SinkError::retry(status, message)
        }
    }

    /// The same error after `delivered` events (of `bytes`) went through.
    pub fn after(mut self, delivered: usize, bytes: u64) -> SinkError {
        self.delivered += delivered;
        self.delivered_bytes += bytes;
        self
    }
}

/// At most this many characters of a response are kept in an error.
pub const SNIPPET_CHARS: usize = 300;

/// The start of a response body, for an error message.
pub fn snippet(body: &str) -> String {
    let body = body.trim();
    let mut out: String = body.chars().take(SNIPPET_CHARS).collect();
    if body.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

/// A destination.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Delivers `events` in order; `Ok` with the bytes sent once all are acknowledged.
    async fn send(&self, events: &[Event]) -> Result<u64, SinkError>;
}

/// The sink of a stream as stored: its secrets opened with the server's key, then [`build`].
pub fn build_for(
    state: &crate::state::AppState,
    stream: &Stream,
) -> Result<Box<dyn Sink>, SinkError> {
    let opened = state.streams.open(stream)?;
    build(&opened, &state.settings.streams, &state.settings.log_origin)
}

/// The sink of a stream whose secrets are in clear.
pub fn build(
    stream: &Stream,
    settings: &StreamSettings,
    origin: &str,
) -> Result<Box<dyn Sink>, SinkError> {
    let format = Format::parse(&stream.format).unwrap_or(Format::Trail);
    match Kind::parse(&stream.kind) {
        Some(Kind::SplunkHec) => Ok(Box::new(hec::HecSink::new(
            stream, format, settings, origin,
        )?)),
        Some(Kind::Webhook) => Ok(Box::new(webhook::WebhookSink::new(
            stream, format, settings,
        )?)),
        Some(Kind::Syslog) => Ok(Box::new(syslog::SyslogSink::new(
            stream, format, settings, origin,
        )?)),
        Some(Kind::ObjectStore) => Ok(Box::new(object_store::ObjectStoreSink::new(
            stream, format, settings,
        )?)),
        None => Err(SinkError::fatal(
            None,
            format!(
                "streams of kind `{}` cannot be delivered by this version",
                stream.kind
            ),
        )),
    }
}

/// Splits encoded events into runs whose total stays under `max_bytes` (an event larger than
/// that goes alone): the requests of one batch.
pub fn chunks_by_size(sizes: &[usize], max_bytes: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut total) = (0, 0);
    for (i, size) in sizes.iter().enumerate() {
        if i > start && total + size > max_bytes {
            out.push(start..i);
            start = i;
            total = 0;
        }
        total += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_under_the_size_and_keep_order() {
        assert_eq!(chunks_by_size(&[4, 4, 4, 4], 8), [0..2, 2..4]);
        assert_eq!(chunks_by_size(&[10, 1, 1], 8), [0..1, 1..3]);
        assert_eq!(chunks_by_size(&[], 8), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(chunks_by_size(&[3, 3, 3], 9), vec![0..3_usize]);
    }
}
