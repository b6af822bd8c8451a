//! SIEM streams (issue 15): every event of an organization delivered, in order and at least
//! once, to the destinations its admins configure — Splunk HEC, signed webhooks, syslog and
//! object storage (S3 and S3-compatible).
//!
//! - [`settings`]: the operator's `[streams]` settings (private destinations, retry window …).
//! - [`input`]: a create or change request checked and turned into a stored
//!   [`Stream`](trail_store::Stream) (kind settings apart from write-only secrets).
//! - [`safety`]: the connect-time refusal of loopback, link-local and private addresses.
//! - [`sealing`]: secrets sealed at rest (AES-256-GCM with a key file outside the database).
//! - [`sinks`]: one [`Sink`](sinks::Sink) per kind on one shared contract — a batch in, the bytes
//!   acknowledged or a [`SinkError`](sinks::SinkError) that says whether to retry.
//! - [`worker`]: the background job that moves each stream's cursor over `seq` (one batch in
//!   flight, backoff with jitter, a lease per stream so one node delivers it) and its metrics.
//!
//! The formats themselves are pure and live in `trail_core::siem`. The API is
//! `services::streams` and `routes::streams`.

pub mod input;
pub mod safety;
pub mod sealing;
pub mod settings;
pub mod sinks;
pub mod worker;

pub use settings::StreamSettings;

/// A destination's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    SplunkHec,
    Webhook,
    Syslog,
    ObjectStore,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::SplunkHec,
        Kind::Webhook,
        Kind::Syslog,
        Kind::ObjectStore,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::SplunkHec => "splunk_hec",
            Kind::Webhook => "webhook",
            Kind::Syslog => "syslog",
            Kind::ObjectStore => "object_store",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}
