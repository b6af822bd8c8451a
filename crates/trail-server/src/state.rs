//! The state every handler shares.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use trail_store::Store;

use crate::audit::reads::ReadGate;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::integrity::LogKeys;
use crate::jobs::JobsHealth;
use crate::login_limit::LoginLimiter;
use crate::viewer_tokens::ViewerTokenKey;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    /// SHA-256 of the operator credential.
    pub operator_hash: [u8; 32],
    pub metrics: PrometheusHandle,
    /// The keys that sign checkpoints.
    pub log_keys: LogKeys,
    /// The key that signs viewer tokens.
    pub viewer_keys: ViewerTokenKey,
    /// Sign-in attempts per account and address.
    pub login_limiter: LoginLimiter,
    /// Wakes the export worker when a job is queued.
    pub export_queue: crate::exports::Queue,
    /// Where server logic reads the time (tests put a `TestClock` here).
    pub clock: Arc<dyn Clock>,
    /// The bounded queue audited reads wait in for their audit event.
    pub read_gate: ReadGate,
    /// The background jobs' health, for `/readyz`.
    pub jobs: JobsHealth,
    /// This server's name as the holder of job leases (random per start).
    pub node_id: String,
    /// Compiled event-type catalogues, per organization.
    pub catalogues: crate::services::event_types::cache::Catalogues,
    /// The stream worker's wake-up and kept sinks.
    pub streams: crate::streams::worker::Streams,
    /// The location database, when the operator configured one.
    pub locator: Option<Arc<crate::locations::Locator>>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        operator_hash: [u8; 32],
        metrics: PrometheusHandle,
        log_keys: LogKeys,
        viewer_keys: ViewerTokenKey,
    ) -> Self {
        Self::with_clock(
            store,
            settings,
            operator_hash,
            metrics,
            log_keys,
            viewer_keys,
            Arc::new(SystemClock),
        )
    }

    /// [`new`](Self::new) with another clock.
    pub fn with_clock(
        store: Arc<dyn Store>,
        settings: Settings,
        operator_hash: [u8; 32],
        metrics: PrometheusHandle,
        log_keys: LogKeys,
        viewer_keys: ViewerTokenKey,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let login_limiter = LoginLimiter::new(settings.login_limits);
        Self(Arc::new(Inner {
            store,
            settings,
            operator_hash,
            metrics,
            log_keys,
            viewer_keys,
            login_limiter,
            export_queue: Default::default(),
            clock,
            read_gate: ReadGate::default(),
            jobs: JobsHealth::default(),
            node_id: format!("node-{:016x}", rand::random::<u64>()),
            catalogues: Default::default(),
            streams: Default::default(),
            locator: None,
        }))
    }

    /// Sets the key that seals stream secrets; only while the state is not yet shared (at start).
    pub fn with_stream_sealer(mut self, sealer: crate::streams::sealing::Sealer) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("the sealer is set before the state is shared")
            .streams
            .sealer = Some(sealer);
        self
    }

    /// Sets the location database; only while the state is not yet shared (at start).
    pub fn with_locator(mut self, locator: Option<Arc<crate::locations::Locator>>) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("the locator is set before the state is shared")
            .locator = locator;
        self
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
