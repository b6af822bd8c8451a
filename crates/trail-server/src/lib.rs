//! Trail's HTTP server: the `/v1` API, authentication, operations endpoints and background jobs.
//! `serve` is what `trail serve` runs; `spawn` starts a server on a given listener for tests and
//! benchmarks.

pub mod config;

use std::net::SocketAddr;

pub use config::{ServeArgs, Settings};

/// A server started by [`spawn`]: where it listens and the operator credential to call it with.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_token: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful shutdown: stops accepting, finishes in-flight requests and acknowledged writes.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(());
        self.task.await?
    }
}

/// Starts a server with `settings` on `listener` (bind `127.0.0.1:0` in tests). `settings.admin_token`
/// must be set.
pub async fn spawn(settings: Settings, listener: tokio::net::TcpListener) -> anyhow::Result<Running> {
    let _ = (settings, listener);
    anyhow::bail!("not yet implemented")
}

/// `trail serve`: loads settings (defaults → trail.toml → TRAIL_* → flags), opens the store, prints
/// where to open Trail and how to log in, and serves until SIGINT/SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("not yet implemented")
}
