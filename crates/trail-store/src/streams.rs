//! SIEM stream destinations (`/v1/streams`) and their delivery state, as stored. The server owns
//! the vocabulary of kinds, formats and settings; the store keeps a stream's configuration, its
//! write-only secrets in a column of their own, and one delivery row the stream worker advances.

use serde::Serialize;
use trail_core::Millis;

/// A destination: where an organization's events go, in which format, selected by a filter.
#[derive(Clone, PartialEq, Serialize)]
pub struct Stream {
    pub organization_id: String,
    /// `strm_…`.
    pub id: String,
    pub name: String,
    /// `splunk_hec`, `webhook`, `syslog` or `object_store`.
    pub kind: String,
    /// `trail`, `ocsf`, `ecs` or `cef`.
    pub format: String,
    pub url: String,
    /// A query in the query language selecting the events delivered; empty for every event.
    pub filter: String,
    /// The kind's settings (index, sourcetype, facility …), never secret.
    pub settings: serde_json::Value,
    /// Tokens, webhook secrets and credentials: write-only, never serialised.
    #[serde(skip)]
    pub secrets: serde_json::Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("organization_id", &self.organization_id)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("format", &self.format)
            .field("url", &self.url)
            .field("filter", &self.filter)
            .field("settings", &self.settings)
            .field("secrets", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Where a stream is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    /// Delivering, or caught up.
    Active,
    /// The last batch failed with a retryable error; the next attempt is scheduled.
    Retrying,
    /// Stopped: a permanent error, or retries ran past the retry window. The undelivered range
    /// starts at the cursor and is kept for replay.
    Error,
    /// Stopped by an administrator.
    Paused,
    /// Stopped by the operator (not delivered, kept).
    Disabled,
}

impl StreamState {
    pub const ALL: [StreamState; 5] = [
        StreamState::Active,
        StreamState::Retrying,
        StreamState::Error,
        StreamState::Paused,
        StreamState::Disabled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            StreamState::Active => "active",
            StreamState::Retrying => "retrying",
            StreamState::Error => "error",
            StreamState::Paused => "paused",
            StreamState::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<StreamState> {
        StreamState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the worker sends batches in this state.
    pub const fn delivers(self) -> bool {
        matches!(self, StreamState::Active | StreamState::Retrying)
    }
}

/// A stream's delivery state: the cursor over `seq`, health and counters. The worker writes it
/// with [`Store::record_delivery`](crate::Store::record_delivery), which only succeeds while
/// `generation` is unchanged; every administrative control bumps `generation`, so a batch in
/// flight during a pause or replay cannot undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamDelivery {
    /// The next `seq` to deliver: every event before it was delivered (or filtered out).
    pub cursor: u64,
    pub state: StreamState,
    pub generation: u64,
    /// Failed attempts of the batch at the cursor.
    pub attempts: u32,
    /// When the next attempt may start (retrying).
    pub next_attempt_at: Option<Millis>,
    /// When the current run of failures began.
    pub failing_since: Option<Millis>,
    pub last_success_at: Option<Millis>,
    pub last_error_at: Option<Millis>,
    /// The last error: what failed, and a snippet of the response.
    pub last_error: Option<String>,
    /// The HTTP status (or 0 for a connection failure) of the last error.
    pub last_status: Option<u16>,
    pub events_delivered: u64,
    pub bytes_delivered: u64,
}

impl StreamDelivery {
    /// A stream that starts delivering at `cursor`.
    pub fn starting_at(cursor: u64) -> StreamDelivery {
        StreamDelivery {
            cursor,
            state: StreamState::Active,
            generation: 0,
            attempts: 0,
            next_attempt_at: None,
            failing_since: None,
            last_success_at: None,
            last_error_at: None,
            last_error: None,
            last_status: None,
            events_delivered: 0,
            bytes_delivered: 0,
        }
    }

    /// Applies an administrative control (and bumps the generation).
    pub fn control(&mut self, control: StreamControl) {
        match control {
            StreamControl::Pause => self.state = StreamState::Paused,
            StreamControl::Resume => {
                self.state = StreamState::Active;
                self.clear_retries();
            }
            StreamControl::Replay { from_seq } => {
                self.cursor = from_seq;
                if self.state != StreamState::Paused && self.state != StreamState::Disabled {
                    self.state = StreamState::Active;
                }
                self.clear_retries();
            }
        }
        self.generation += 1;
    }

    fn clear_retries(&mut self) {
        self.attempts = 0;
        self.next_attempt_at = None;
        self.failing_since = None;
    }
}

/// An administrator's control of a stream's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamControl {
    Pause,
    /// Back to `active` from `paused`, `error` or `retrying`, retrying at once.
    Resume,
    /// Moves the cursor (back or forward) to `from_seq`.
    Replay {
        from_seq: u64,
    },
}

/// A stream with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    pub stream: Stream,
    pub delivery: StreamDelivery,
}
