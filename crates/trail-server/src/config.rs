//! Settings: defaults → `trail.toml` → `TRAIL_*` environment variables → `trail serve` flags.
//! clap resolves flags and environment variables (a flag beats its variable); values neither gave
//! come from the TOML file, then from the defaults.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use trail_core::validate::Limits;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8480";
pub const DEFAULT_DATA_DIR: &str = "./trail-data";
pub const DEFAULT_CONFIG_FILE: &str = "trail.toml";
pub const DEFAULT_EMBED_FRAME_ANCESTORS: &str = "'self'";

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(\"[redacted]\")")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Everything a running server needs. Tests build this in code with [`Settings::for_tests`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    /// `postgres://…` selects the PostgreSQL store instead of the embedded one.
    pub database_url: Option<Secret>,
    /// The operator credential; when `None` one is generated on first start and printed once.
    pub admin_token: Option<Secret>,
    pub log_origin: String,
    /// Files of the keys that sign checkpoints, each generated when missing; empty means
    /// `<data_dir>/log-signing.key`. Two during a key rotation: every checkpoint gets both signatures.
    pub log_signing_key_files: Vec<PathBuf>,
    pub log_format: LogFormat,
    pub limits: Limits,
    /// Create a "Default" organization on first start (so the printed curl line works as is).
    pub bootstrap_organization: bool,
    /// Which requests are recorded in the organization's own log (`crate::audit`).
    pub audit: AuditSettings,
    /// Sign-in attempts allowed per account and per address.
    pub login_limits: crate::login_limit::LoginLimits,
    /// How long a web session lasts after sign-in.
    pub session_ttl: std::time::Duration,
    /// Mark session cookies `Secure` even when the request did not come over HTTPS (as seen by
    /// `X-Forwarded-Proto: https`); set it when TLS ends at a proxy that does not say so.
    pub secure_cookies: bool,
    /// The CSP `frame-ancestors` of `/embed`: the origins allowed to frame the embedded viewer.
    pub embed_frame_ancestors: String,
    /// How long a completed export's file is kept before the job becomes `expired`.
    pub export_expiry_hours: u64,
    /// Export jobs run at the same time (each is one reader of the store).
    pub export_workers: usize,
    /// How often the retention job removes events older than each organization's retention;
    /// zero turns the job off.
    pub retention_interval: std::time::Duration,
    /// Timeouts, connection, in-flight and rate limits, CORS (`crate::http`).
    pub http: crate::http::HttpSettings,
    /// HTTPS on `listen` when set (certificate and key files, the optional redirect listener).
    pub tls: Option<crate::http::tls::TlsSettings>,
    /// SIEM stream delivery (`[streams]`, `TRAIL_STREAMS__*`).
    pub streams: crate::streams::StreamSettings,
    /// A MaxMind-format (`.mmdb`) database that adds locations to events with a public address
    /// and no location (`crate::locations`); none leaves locations as sent.
    pub location_database: Option<PathBuf>,
}

/// What the audit trail of the auditors records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSettings {
    /// Searches and event views (`TRAIL_AUDIT_READS`, default on).
    pub record_reads: bool,
    /// Changes of members, roles, keys, settings and streams (always on in `trail serve`).
    pub record_changes: bool,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            record_reads: true,
            record_changes: true,
        }
    }
}

/// Default lifetime of a web session.
pub const DEFAULT_SESSION_TTL: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

pub const DEFAULT_EXPORT_EXPIRY_HOURS: u64 = 7 * 24;
pub const DEFAULT_EXPORT_WORKERS: usize = 2;
pub const DEFAULT_RETENTION_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

impl Settings {
    /// A server on a private data directory with a known operator token. Nothing is audited
    /// (so that tests count only the events they send); tests of the audit trail turn
    /// `audit` on.
    pub fn for_tests(data_dir: impl Into<PathBuf>, admin_token: &str) -> Settings {
        Settings {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.into(),
            database_url: None,
            admin_token: Some(Secret(admin_token.to_owned())),
            log_origin: "trail.test".into(),
            log_signing_key_files: Vec::new(),
            log_format: LogFormat::Text,
            limits: Limits::default(),
            bootstrap_organization: false,
            audit: AuditSettings {
                record_reads: false,
                record_changes: false,
            },
            login_limits: Default::default(),
            session_ttl: DEFAULT_SESSION_TTL,
            secure_cookies: false,
            embed_frame_ancestors: DEFAULT_EMBED_FRAME_ANCESTORS.into(),
            export_expiry_hours: DEFAULT_EXPORT_EXPIRY_HOURS,
            export_workers: DEFAULT_EXPORT_WORKERS,
            // Off: tests run the retention job themselves (`retention::purge_at`).
            retention_interval: std::time::Duration::ZERO,
            http: crate::http::HttpSettings::for_tests(),
            tls: None,
            streams: crate::streams::StreamSettings::for_tests(),
            location_database: None,
        }
    }

    /// Resolves `args` (flags and `TRAIL_*` variables) over the TOML file over the defaults.
    pub fn load(args: &ServeArgs) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => FileSettings::read(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                FileSettings::read(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => FileSettings::default(),
        };
        let defaults = Limits::default();
        let limits = Limits {
            max_request_bytes: args
                .max_request_bytes
                .or(file.max_request_bytes)
                .unwrap_or(defaults.max_request_bytes),
            max_events_per_request: args
                .max_events_per_request
                .or(file.max_events_per_request)
                .unwrap_or(defaults.max_events_per_request),
            max_metadata_bytes: args
                .max_metadata_bytes
                .or(file.max_metadata_bytes)
                .unwrap_or(defaults.max_metadata_bytes),
            max_string_len: args
                .max_string_bytes
                .or(file.max_string_bytes)
                .unwrap_or(defaults.max_string_len),
            ..defaults
        };
        anyhow::ensure!(
            limits.max_events_per_request > 0,
            "max_events_per_request must be at least 1"
        );
        anyhow::ensure!(
            limits.max_request_bytes >= 1024,
            "max_request_bytes must be at least 1024"
        );
        let tls = tls_settings(args, &file)?;
        Ok(Settings {
            listen: args
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
            data_dir: args
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url: args.database_url.clone().or(file.database_url).map(Secret),
            admin_token: args.admin_token.clone().or(file.admin_token).map(Secret),
            log_origin: args
                .log_origin
                .clone()
                .or(file.log_origin)
                .unwrap_or_else(default_origin),
            log_signing_key_files: match args.log_signing_key_file.as_slice() {
                [] => file
                    .log_signing_key_file
                    .map(KeyFiles::into_vec)
                    .unwrap_or_default(),
                given => given.to_vec(),
            },
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            limits,
            bootstrap_organization: true,
            audit: AuditSettings {
                record_reads: args.audit_reads.or(file.audit_reads).unwrap_or(true),
                record_changes: true,
            },
            login_limits: Default::default(),
            session_ttl: args
                .session_ttl
                .clone()
                .or(file.session_ttl)
                .map(|v| positive_duration("session_ttl", &v, "12h"))
                .transpose()?
                .unwrap_or(DEFAULT_SESSION_TTL),
            secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            embed_frame_ancestors: args
                .embed_frame_ancestors
                .clone()
                .or(file.embed_frame_ancestors)
                .unwrap_or_else(|| DEFAULT_EMBED_FRAME_ANCESTORS.into()),
            export_expiry_hours: args
                .export_expiry_hours
                .or(file.export_expiry_hours)
                .unwrap_or(DEFAULT_EXPORT_EXPIRY_HOURS),
            export_workers: args
                .export_workers
                .or(file.export_workers)
                .unwrap_or(DEFAULT_EXPORT_WORKERS)
                .max(1),
            retention_interval: args
                .retention_interval
                .clone()
                .or(file.retention_interval)
                .map(|v| parse_interval(&v))
                .transpose()?
                .unwrap_or(DEFAULT_RETENTION_INTERVAL),
            http: crate::http::HttpSettings::load(&args.http, &file.http)?,
            tls,
            streams: crate::streams::StreamSettings::load(&args.streams, file.streams.as_ref())?,
            location_database: args.location_database.clone().or(file.location_database),
        })
    }

    /// Session cookies are `Secure` when Trail serves HTTPS itself or the operator says so.
    pub fn cookies_always_secure(&self) -> bool {
        self.secure_cookies || self.tls.is_some()
    }
}

/// HTTPS when a certificate and a key are given (both or neither).
fn tls_settings(
    args: &ServeArgs,
    file: &FileSettings,
) -> anyhow::Result<Option<crate::http::tls::TlsSettings>> {
    let cert = args.tls_cert.clone().or(file.tls_cert.clone());
    let key = args.tls_key.clone().or(file.tls_key.clone());
    let redirect_listen = args
        .tls_redirect_listen
        .clone()
        .or(file.tls_redirect_listen.clone());
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(crate::http::tls::TlsSettings {
            cert,
            key,
            redirect_listen,
            reload_check: crate::http::tls::DEFAULT_RELOAD_CHECK,
            reload_on_sighup: true,
        })),
        (None, None) => {
            anyhow::ensure!(
                redirect_listen.is_none(),
                "tls_redirect_listen needs HTTPS: give tls_cert and tls_key too"
            );
            Ok(None)
        }
        (Some(_), None) => anyhow::bail!("tls_cert is set but tls_key is not: give both"),
        (None, Some(_)) => anyhow::bail!("tls_key is set but tls_cert is not: give both"),
    }
}

/// `1h`, `30m`, …; `0` or `off` turns the job off.
fn parse_interval(v: &str) -> anyhow::Result<std::time::Duration> {
    if v == "0" || v.eq_ignore_ascii_case("off") {
        return Ok(std::time::Duration::ZERO);
    }
    positive_duration("retention_interval", v, "1h (or off)")
}

/// The setting `name`'s value `text` as a positive duration (`30s`, `12h`, `3d`); the error names
/// the setting and gives `like` as an example.
pub fn positive_duration(
    name: &str,
    text: &str,
    like: &str,
) -> anyhow::Result<std::time::Duration> {
    trail_core::time::parse_duration_ms(text)
        .filter(|ms| *ms > 0)
        .map(|ms| std::time::Duration::from_millis(ms as u64))
        .with_context(|| format!("{name} `{text}` is not a duration like {like}"))
}

fn default_origin() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "trail".to_owned())
}

/// `trail.toml`: the same keys as the flags, in snake_case. Unknown keys are an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    admin_token: Option<String>,
    log_origin: Option<String>,
    log_signing_key_file: Option<KeyFiles>,
    log_format: Option<LogFormat>,
    max_request_bytes: Option<usize>,
    max_events_per_request: Option<usize>,
    max_metadata_bytes: Option<usize>,
    max_string_bytes: Option<usize>,
    audit_reads: Option<bool>,
    session_ttl: Option<String>,
    secure_cookies: Option<bool>,
    embed_frame_ancestors: Option<String>,
    export_expiry_hours: Option<u64>,
    export_workers: Option<usize>,
    retention_interval: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_redirect_listen: Option<String>,
    streams: Option<crate::streams::settings::StreamFileSettings>,
    location_database: Option<PathBuf>,
    #[serde(skip)]
    http: crate::http::settings::HttpFileSettings,
}

/// `log_signing_key_file`: one path, or a list of them during a key rotation.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum KeyFiles {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl KeyFiles {
    fn into_vec(self) -> Vec<PathBuf> {
        match self {
            KeyFiles::One(path) => vec![path],
            KeyFiles::Many(paths) => paths,
        }
    }
}

impl FileSettings {
    fn read(path: &Path) -> anyhow::Result<FileSettings> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let parse = || -> anyhow::Result<FileSettings> {
            let mut table: toml::Table = toml::from_str(&text)?;
            let http = crate::http::settings::HttpFileSettings::take_from(&mut table)?;
            Ok(FileSettings {
                http,
                ..table.try_into()?
            })
        };
        parse().with_context(|| format!("parsing {}", path.display()))
    }
}

/// `trail serve` settings. Each is a flag, a `TRAIL_*` environment variable, and a key of
/// `trail.toml`; a flag beats its variable, which beats the file, which beats the default.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Configuration file [default: ./trail.toml when it exists].
    #[arg(long, env = "TRAIL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8480].
    #[arg(long, env = "TRAIL_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory of the embedded store, the signing key and export files [default: ./trail-data].
    #[arg(long, env = "TRAIL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user@host:5432/db` selects the PostgreSQL store instead of the embedded one;
    /// add `?sslmode=verify-full&sslrootcert=CA.pem` for verified TLS.
    #[arg(
        long,
        env = "TRAIL_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The operator's bearer credential. When unset, one is generated on first start, stored
    /// hashed and printed once; setting it replaces the stored one.
    #[arg(
        long,
        env = "TRAIL_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Checkpoint origin prefix [default: the host name].
    #[arg(long, env = "TRAIL_LOG_ORIGIN", value_name = "NAME")]
    pub log_origin: Option<String>,
    /// File of the key that signs checkpoints (`PRIVATE+KEY+…`), generated when missing
    /// [default: <data dir>/log-signing.key]. Give it twice (or comma-separate the variable) to
    /// rotate keys: every checkpoint is then signed by both, the first listed first.
    #[arg(
        long,
        env = "TRAIL_LOG_SIGNING_KEY_FILE",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub log_signing_key_file: Vec<PathBuf>,
    /// Log line format [default: text]. The level comes from RUST_LOG (default `info`).
    #[arg(long, env = "TRAIL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Largest request body in bytes; larger ones get 413 [default: 8388608].
    #[arg(long, env = "TRAIL_MAX_REQUEST_BYTES", value_name = "BYTES")]
    pub max_request_bytes: Option<usize>,
    /// Most events in one ingest request; more get 413 [default: 1000].
    #[arg(long, env = "TRAIL_MAX_EVENTS_PER_REQUEST", value_name = "N")]
    pub max_events_per_request: Option<usize>,
    /// Largest encoded `metadata` of one event [default: 16384].
    #[arg(long, env = "TRAIL_MAX_METADATA_BYTES", value_name = "BYTES")]
    pub max_metadata_bytes: Option<usize>,
    /// Longest string field of an event [default: 1024].
    #[arg(long, env = "TRAIL_MAX_STRING_BYTES", value_name = "BYTES")]
    pub max_string_bytes: Option<usize>,
    /// Record searches and event views in the organization's own log [default: true].
    #[arg(long, env = "TRAIL_AUDIT_READS", value_name = "BOOL")]
    pub audit_reads: Option<bool>,
    /// How long a web session lasts after sign-in (`12h`, `7d`) [default: 12h].
    #[arg(long, env = "TRAIL_SESSION_TTL", value_name = "DURATION")]
    pub session_ttl: Option<String>,
    /// Always mark session cookies `Secure` (TLS ends at a proxy that sends no
    /// `X-Forwarded-Proto`) [default: false].
    #[arg(long, env = "TRAIL_SECURE_COOKIES", value_name = "BOOL")]
    pub secure_cookies: Option<bool>,
    /// Origins allowed to frame `/embed` (CSP `frame-ancestors`, space-separated, e.g.
    /// `https://app.example.com`) [default: 'self'].
    #[arg(long, env = "TRAIL_EMBED_FRAME_ANCESTORS", value_name = "SOURCES")]
    pub embed_frame_ancestors: Option<String>,
    /// Hours a completed export's file is kept before it expires and is deleted [default: 168].
    #[arg(long, env = "TRAIL_EXPORT_EXPIRY_HOURS", value_name = "HOURS")]
    pub export_expiry_hours: Option<u64>,
    /// Export jobs that run at the same time [default: 2].
    #[arg(long, env = "TRAIL_EXPORT_WORKERS", value_name = "N")]
    pub export_workers: Option<usize>,
    /// How often old events are removed per each organization's retention (`1h`, `30m`; `off`)
    /// [default: 1h].
    #[arg(long, env = "TRAIL_RETENTION_INTERVAL", value_name = "DURATION")]
    pub retention_interval: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (server certificate first); needs --tls-key.
    /// Reloaded when the file changes or on SIGHUP.
    #[arg(long, env = "TRAIL_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "TRAIL_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Also listen on this address with plain HTTP that only redirects (308) to HTTPS, e.g.
    /// `0.0.0.0:80` [default: none].
    #[arg(long, env = "TRAIL_TLS_REDIRECT_LISTEN", value_name = "ADDR")]
    pub tls_redirect_listen: Option<String>,
    /// A MaxMind-format `.mmdb` file (GeoLite2/GeoIP2 City or Country, DB-IP) that adds
    /// `context.location` to events with a public IP and no location [default: none].
    #[arg(long, env = "TRAIL_LOCATION_DATABASE", value_name = "FILE")]
    pub location_database: Option<PathBuf>,
    #[command(flatten)]
    pub http: crate::http::HttpArgs,
    #[command(flatten)]
    pub streams: crate::streams::settings::StreamArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/trail\"\nmax_events_per_request = 10\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            listen: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let settings = Settings::load(&args).unwrap();
        assert_eq!(settings.listen, "127.0.0.1:1");
        assert_eq!(settings.data_dir, PathBuf::from("/srv/trail"));
        assert_eq!(settings.limits.max_events_per_request, 10);
        assert_eq!(settings.limits.max_string_len, 1024);
    }

    #[test]
    fn key_files_come_from_flags_or_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.toml");
        std::fs::write(
            &path,
            "log_signing_key_file = [\"/k/new.key\", \"/k/old.key\"]\n",
        )
        .unwrap();
        let mut args = ServeArgs {
            config: Some(path),
            ..Default::default()
        };
        let settings = Settings::load(&args).unwrap();
        let from_file = [PathBuf::from("/k/new.key"), PathBuf::from("/k/old.key")];
        assert_eq!(settings.log_signing_key_files, from_file);
        args.log_signing_key_file = vec![PathBuf::from("/flag.key")];
        let settings = Settings::load(&args).unwrap();
        assert_eq!(settings.log_signing_key_files, [PathBuf::from("/flag.key")]);
    }

    #[test]
    fn retention_interval_defaults_to_an_hour_and_can_be_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.toml");
        std::fs::write(&path, "retention_interval = \"30m\"\n").unwrap();
        let mut args = ServeArgs {
            config: Some(path),
            ..Default::default()
        };
        let interval = |args: &ServeArgs| Settings::load(args).unwrap().retention_interval;
        assert_eq!(interval(&args), std::time::Duration::from_secs(1800));
        args.retention_interval = Some("off".into());
        assert_eq!(interval(&args), std::time::Duration::ZERO);
        args.retention_interval = Some("soon".into());
        assert!(Settings::load(&args).is_err());
        assert_eq!(interval(&ServeArgs::default()), DEFAULT_RETENTION_INTERVAL);
    }

    #[test]
    fn unknown_file_keys_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.toml");
        std::fs::write(&path, "listn = \"x\"\n").unwrap();
        let err = Settings::load(&ServeArgs {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("listn"), "{err:#}");
    }

    #[test]
    fn tls_needs_both_files_and_turns_on_secure_cookies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.toml");
        std::fs::write(&path, "tls_cert = \"/etc/trail/cert.pem\"\n").unwrap();
        let mut args = ServeArgs {
            config: Some(path),
            ..Default::default()
        };
        let err = Settings::load(&args).unwrap_err();
        assert!(format!("{err:#}").contains("tls_key"), "{err:#}");
        args.tls_key = Some("/etc/trail/key.pem".into());
        let settings = Settings::load(&args).unwrap();
        let tls = settings.tls.as_ref().unwrap();
        assert_eq!(tls.cert, PathBuf::from("/etc/trail/cert.pem"));
        assert_eq!(tls.key, PathBuf::from("/etc/trail/key.pem"));
        assert!(settings.cookies_always_secure());
        assert!(
            !Settings::load(&ServeArgs::default())
                .unwrap()
                .cookies_always_secure()
        );
        let redirect_alone = ServeArgs {
            tls_redirect_listen: Some("0.0.0.0:80".into()),
            ..Default::default()
        };
        assert!(Settings::load(&redirect_alone).is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let settings = Settings::for_tests("/tmp/x", "super-secret-token");
        assert!(!format!("{settings:?}").contains("super-secret-token"));
    }
}
