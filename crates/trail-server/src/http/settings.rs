//! Settings of the HTTP front: timeouts, connection and in-flight limits, rate limits and CORS.
//! Each is a flag, a `TRAIL_*` variable and a key of `trail.toml`, resolved like the rest of
//! [`crate::config`].

use std::time::Duration;

use serde::Deserialize;

/// The resolved settings.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// Time allowed to receive a request's head, counted from when the connection is ready for one
    /// (so it also closes connections idle between requests).
    pub header_timeout: Duration,
    /// Time allowed to receive a whole request body; past it the request gets 408.
    pub body_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; up to a quarter more (at least 64) are accepted only to be
    /// answered 503 `overloaded` at once, and past that they wait in the listen backlog.
    pub max_connections: usize,
    /// Largest request head (all header lines) in bytes; larger ones get 431.
    pub max_header_bytes: usize,
    /// Longest request target (path and query) in bytes; longer ones get 414.
    pub max_uri_bytes: usize,
    /// Ingest requests handled at once; further ones get 503 with `Retry-After`.
    pub max_inflight_requests: usize,
    /// Request-body bytes of ingest requests held at once; past it 503 with `Retry-After`.
    pub max_inflight_bytes: usize,
    /// Rate limits in requests per second (0 turns one off); bursts of one second's worth.
    pub rates: RateLimits,
    /// Origins allowed to call the API from a browser; empty turns CORS off.
    pub cors_origins: Vec<String>,
}

/// Requests per second allowed per credential and per organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub ingest_per_key: u32,
    pub ingest_per_org: u32,
    pub search_per_key: u32,
    pub search_per_org: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
            max_uri_bytes: 64 * 1024,
            max_inflight_requests: 32,
            max_inflight_bytes: 64 * 1024 * 1024,
            rates: RateLimits {
                ingest_per_key: 200,
                ingest_per_org: 1000,
                search_per_key: 50,
                search_per_org: 200,
            },
            cors_origins: Vec::new(),
        }
    }
}

impl HttpSettings {
    /// The defaults without rate limits (tests send bursts on purpose).
    pub fn for_tests() -> Self {
        HttpSettings {
            rates: RateLimits {
                ingest_per_key: 0,
                ingest_per_org: 0,
                search_per_key: 0,
                search_per_org: 0,
            },
            ..Default::default()
        }
    }

    /// Resolves flags and variables over the file over the defaults.
    pub fn load(args: &HttpArgs, file: &HttpFileSettings) -> anyhow::Result<HttpSettings> {
        let d = HttpSettings::default();
        let duration = |name: &str, flag: &Option<String>, file: &Option<String>, default| {
            flag.as_ref()
                .or(file.as_ref())
                .map(|v| crate::config::positive_duration(name, v, "10s"))
                .transpose()
                .map(|v| v.unwrap_or(default))
        };
        let settings = HttpSettings {
            header_timeout: duration(
                "header_timeout",
                &args.header_timeout,
                &file.header_timeout,
                d.header_timeout,
            )?,
            body_timeout: duration(
                "body_timeout",
                &args.body_timeout,
                &file.body_timeout,
                d.body_timeout,
            )?,
            idle_timeout: duration(
                "idle_timeout",
                &args.idle_timeout,
                &file.idle_timeout,
                d.idle_timeout,
            )?,
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .unwrap_or(d.max_connections),
            max_header_bytes: args
                .max_header_bytes
                .or(file.max_header_bytes)
                .unwrap_or(d.max_header_bytes),
            max_uri_bytes: args
                .max_uri_bytes
                .or(file.max_uri_bytes)
                .unwrap_or(d.max_uri_bytes),
            max_inflight_requests: args
                .max_inflight_requests
                .or(file.max_inflight_requests)
                .unwrap_or(d.max_inflight_requests),
            max_inflight_bytes: args
                .max_inflight_bytes
                .or(file.max_inflight_bytes)
                .unwrap_or(d.max_inflight_bytes),
            rates: RateLimits {
                ingest_per_key: args
                    .ingest_rate_per_key
                    .or(file.ingest_rate_per_key)
                    .unwrap_or(d.rates.ingest_per_key),
                ingest_per_org: args
                    .ingest_rate_per_org
                    .or(file.ingest_rate_per_org)
                    .unwrap_or(d.rates.ingest_per_org),
                search_per_key: args
                    .search_rate_per_key
                    .or(file.search_rate_per_key)
                    .unwrap_or(d.rates.search_per_key),
                search_per_org: args
                    .search_rate_per_org
                    .or(file.search_rate_per_org)
                    .unwrap_or(d.rates.search_per_org),
            },
            cors_origins: if args.cors_origin.is_empty() {
                file.cors_origins.clone().unwrap_or_default()
            } else {
                args.cors_origin.clone()
            },
        };
        anyhow::ensure!(
            settings.max_connections > 0,
            "max_connections must be at least 1"
        );
        anyhow::ensure!(
            settings.max_inflight_requests > 0,
            "max_inflight_requests must be at least 1"
        );
        anyhow::ensure!(
            settings.max_header_bytes >= 1024 && settings.max_uri_bytes >= 256,
            "max_header_bytes must be at least 1024 and max_uri_bytes at least 256"
        );
        Ok(settings)
    }
}

/// The keys of `trail.toml` this module reads (taken out of the file's table before the rest is
/// checked for unknown keys).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFileSettings {
    header_timeout: Option<String>,
    body_timeout: Option<String>,
    idle_timeout: Option<String>,
    max_connections: Option<usize>,
    max_header_bytes: Option<usize>,
    max_uri_bytes: Option<usize>,
    max_inflight_requests: Option<usize>,
    max_inflight_bytes: Option<usize>,
    ingest_rate_per_key: Option<u32>,
    ingest_rate_per_org: Option<u32>,
    search_rate_per_key: Option<u32>,
    search_rate_per_org: Option<u32>,
    cors_origins: Option<Vec<String>>,
}

const FILE_KEYS: &[&str] = &[
    "header_timeout",
    "body_timeout",
    "idle_timeout",
    "max_connections",
    "max_header_bytes",
    "max_uri_bytes",
    "max_inflight_requests",
    "max_inflight_bytes",
    "ingest_rate_per_key",
    "ingest_rate_per_org",
    "search_rate_per_key",
    "search_rate_per_org",
    "cors_origins",
];

impl HttpFileSettings {
    /// Removes this module's keys from `table` and reads them.
    pub fn take_from(table: &mut toml::Table) -> anyhow::Result<HttpFileSettings> {
        let mut mine = toml::Table::new();
        for key in FILE_KEYS {
            if let Some(value) = table.remove(*key) {
                mine.insert((*key).to_owned(), value);
            }
        }
        Ok(mine.try_into()?)
    }
}

/// Flags (and their `TRAIL_*` variables) of this module, flattened into `trail serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HttpArgs {
    /// Time to receive a request's head, also the longest idle wait between requests [default: 10s].
    #[arg(long, env = "TRAIL_HEADER_TIMEOUT", value_name = "DURATION")]
    pub header_timeout: Option<String>,
    /// Time to receive a whole request body; past it 408 [default: 60s].
    #[arg(long, env = "TRAIL_BODY_TIMEOUT", value_name = "DURATION")]
    pub body_timeout: Option<String>,
    /// Close a connection on which nothing moves for this long [default: 60s].
    #[arg(long, env = "TRAIL_IDLE_TIMEOUT", value_name = "DURATION")]
    pub idle_timeout: Option<String>,
    /// Connections served at once [default: 1024].
    #[arg(long, env = "TRAIL_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Largest request head in bytes; larger get 431 [default: 16384].
    #[arg(long, env = "TRAIL_MAX_HEADER_BYTES", value_name = "BYTES")]
    pub max_header_bytes: Option<usize>,
    /// Longest request target in bytes; longer get 414 [default: 65536].
    #[arg(long, env = "TRAIL_MAX_URI_BYTES", value_name = "BYTES")]
    pub max_uri_bytes: Option<usize>,
    /// Ingest requests handled at once; more get 503 + Retry-After [default: 32].
    #[arg(long, env = "TRAIL_MAX_INFLIGHT_REQUESTS", value_name = "N")]
    pub max_inflight_requests: Option<usize>,
    /// Ingest body bytes held at once; more get 503 + Retry-After [default: 67108864].
    #[arg(long, env = "TRAIL_MAX_INFLIGHT_BYTES", value_name = "BYTES")]
    pub max_inflight_bytes: Option<usize>,
    /// Ingest requests per second per credential, 0 = off [default: 200].
    #[arg(long, env = "TRAIL_INGEST_RATE_PER_KEY", value_name = "N")]
    pub ingest_rate_per_key: Option<u32>,
    /// Ingest requests per second per organization, 0 = off [default: 1000].
    #[arg(long, env = "TRAIL_INGEST_RATE_PER_ORG", value_name = "N")]
    pub ingest_rate_per_org: Option<u32>,
    /// Search requests per second per credential, 0 = off [default: 50].
    #[arg(long, env = "TRAIL_SEARCH_RATE_PER_KEY", value_name = "N")]
    pub search_rate_per_key: Option<u32>,
    /// Search requests per second per organization, 0 = off [default: 200].
    #[arg(long, env = "TRAIL_SEARCH_RATE_PER_ORG", value_name = "N")]
    pub search_rate_per_org: Option<u32>,
    /// An origin allowed to call the API from a browser (repeat, or comma-separate the variable);
    /// none turns CORS off [default: none].
    #[arg(
        long,
        env = "TRAIL_CORS_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origin: Vec<String>,
}
