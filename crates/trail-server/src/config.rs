//! Settings: defaults → `trail.toml` → `TRAIL_*` environment variables → `trail serve` flags.

use std::path::PathBuf;

use trail_core::validate::Limits;

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(\"[redacted]\")")
    }
}

/// Everything a running server needs. Tests build this in code with `Settings::for_tests`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<Secret>,
    pub admin_token: Option<Secret>,
    pub log_origin: String,
    pub limits: Limits,
}

impl Settings {
    /// A server on a private data directory with a known operator token.
    pub fn for_tests(data_dir: impl Into<PathBuf>, admin_token: &str) -> Settings {
        Settings {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.into(),
            database_url: None,
            admin_token: Some(Secret(admin_token.to_owned())),
            log_origin: "trail.test".into(),
            limits: Limits::default(),
        }
    }
}

/// `trail serve` flags (each also a `TRAIL_*` variable and a `trail.toml` key).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8480].
    #[arg(long, env = "TRAIL_LISTEN")]
    pub listen: Option<String>,
}
