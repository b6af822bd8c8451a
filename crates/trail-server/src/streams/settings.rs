//! The operator's settings of SIEM streams: `[streams]` in `trail.toml`, `TRAIL_STREAMS__*`
//! variables and `--streams-*` flags (a flag beats its variable, which beats the file, which
//! beats the default).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// How streams deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// Allow destinations that resolve to loopback, link-local or private addresses (checked at
    /// every connection, so that DNS cannot be used to get around it).
    pub allow_private_destinations: bool,
    /// How long a stream keeps retrying a failing batch before it goes to `error`.
    pub retry_window: Duration,
    /// The longest wait between two attempts (backoff doubles up to it, with jitter).
    pub max_backoff: Duration,
    /// How often the worker looks for new events when nothing wakes it.
    pub interval: Duration,
    /// Most events read for one batch.
    pub batch_events: usize,
    /// The longest one delivery request may take.
    pub request_timeout: Duration,
    /// The key file that seals stream secrets at rest ([`super::sealing`]); `None` for
    /// `<data dir>/stream-secrets.key`.
    pub secrets_key_file: Option<PathBuf>,
}

pub const DEFAULT_RETRY_WINDOW: Duration = Duration::from_secs(3 * 24 * 3600);

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            allow_private_destinations: false,
            retry_window: DEFAULT_RETRY_WINDOW,
            max_backoff: Duration::from_secs(300),
            interval: Duration::from_secs(1),
            batch_events: 1000,
            request_timeout: Duration::from_secs(30),
            secrets_key_file: None,
        }
    }
}

/// `[streams]` of `trail.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamFileSettings {
    allow_private_destinations: Option<bool>,
    retry_window: Option<String>,
    max_backoff: Option<String>,
    batch_events: Option<usize>,
    request_timeout: Option<String>,
    secrets_key_file: Option<PathBuf>,
}

/// The flags (and variables) of streams, flattened into `trail serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StreamArgs {
    /// Allow stream destinations on loopback, link-local or private addresses [default: false].
    #[arg(
        long = "streams-allow-private-destinations",
        env = "TRAIL_STREAMS__ALLOW_PRIVATE_DESTINATIONS",
        value_name = "BOOL"
    )]
    pub allow_private_destinations: Option<bool>,
    /// How long a failing stream retries before it stops in `error` (`3d`, `12h`) [default: 3d].
    #[arg(
        long = "streams-retry-window",
        env = "TRAIL_STREAMS__RETRY_WINDOW",
        value_name = "DURATION"
    )]
    pub retry_window: Option<String>,
    /// The longest wait between two attempts of a failing stream [default: 5m].
    #[arg(
        long = "streams-max-backoff",
        env = "TRAIL_STREAMS__MAX_BACKOFF",
        value_name = "DURATION"
    )]
    pub max_backoff: Option<String>,
    /// Most events one stream batch reads [default: 1000].
    #[arg(
        long = "streams-batch-events",
        env = "TRAIL_STREAMS__BATCH_EVENTS",
        value_name = "N"
    )]
    pub batch_events: Option<usize>,
    /// The longest one delivery request may take [default: 30s].
    #[arg(
        long = "streams-request-timeout",
        env = "TRAIL_STREAMS__REQUEST_TIMEOUT",
        value_name = "DURATION"
    )]
    pub request_timeout: Option<String>,
    /// The key file that seals stream secrets (tokens, webhook secrets, secret access keys) in
    /// the database; generated when missing [default: <data dir>/stream-secrets.key].
    #[arg(
        long = "streams-secrets-key-file",
        env = "TRAIL_STREAMS__SECRETS_KEY_FILE",
        value_name = "FILE"
    )]
    pub secrets_key_file: Option<PathBuf>,
}

fn duration(name: &str, text: &str) -> anyhow::Result<Duration> {
    crate::config::positive_duration(&format!("streams.{name}"), text, "3d or 30s")
}

impl StreamSettings {
    pub fn load(args: &StreamArgs, file: Option<&StreamFileSettings>) -> anyhow::Result<Self> {
        let empty = StreamFileSettings::default();
        let file = file.unwrap_or(&empty);
        let defaults = StreamSettings::default();
        let pick =
            |name: &str, arg: &Option<String>, file: &Option<String>, default: Duration| match arg
                .as_ref()
                .or(file.as_ref())
            {
                Some(text) => duration(name, text),
                None => Ok(default),
            };
        Ok(StreamSettings {
            allow_private_destinations: args
                .allow_private_destinations
                .or(file.allow_private_destinations)
                .unwrap_or(false),
            retry_window: pick(
                "retry_window",
                &args.retry_window,
                &file.retry_window,
                defaults.retry_window,
            )?,
            max_backoff: pick(
                "max_backoff",
                &args.max_backoff,
                &file.max_backoff,
                defaults.max_backoff,
            )?,
            interval: defaults.interval,
            batch_events: args
                .batch_events
                .or(file.batch_events)
                .unwrap_or(defaults.batch_events)
                .clamp(1, 10_000),
            request_timeout: pick(
                "request_timeout",
                &args.request_timeout,
                &file.request_timeout,
                defaults.request_timeout,
            )?,
            secrets_key_file: args
                .secrets_key_file
                .clone()
                .or_else(|| file.secrets_key_file.clone()),
        })
    }

    /// Tests deliver to receivers on 127.0.0.1 and retry quickly.
    pub fn for_tests() -> StreamSettings {
        StreamSettings {
            allow_private_destinations: true,
            max_backoff: Duration::from_millis(200),
            interval: Duration::from_millis(50),
            request_timeout: Duration::from_secs(5),
            ..StreamSettings::default()
        }
    }
}
