//! Trail's HTTP server: the `/v1` API, authentication, operations endpoints and background jobs.
//! `serve` is what `trail serve` runs; `spawn` starts a server on a given listener for tests and
//! benchmarks.

pub mod access;
pub mod addresses;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod clock;
pub mod compat;
pub mod config;
pub mod error;
pub mod exports;
pub mod extract;
pub mod http;
pub mod integrity;
pub mod jobs;
pub mod locations;
pub mod login_limit;
pub mod password;
pub mod retention;
pub mod routes;
pub mod services;
pub mod state;
pub mod streams;
pub mod telemetry;
pub mod viewer_tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tower_http::trace::TraceLayer;
use trail_store::Store;
use trail_store::postgres::{PostgresOptions, PostgresStore};
use trail_store::sqlite::{SqliteOptions, SqliteStore};

pub use config::{ServeArgs, Settings};
use state::AppState;

/// A server started by [`spawn`]: where it listens and the operator credential to call it with.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_token: String,
    /// `https` when the settings gave a certificate, else `http`.
    pub scheme: &'static str,
    /// The plain-HTTP listener that redirects to HTTPS, when configured.
    pub redirect_addr: Option<SocketAddr>,
    /// The TLS side, when serving HTTPS (tests read the certificate being served).
    pub tls: Option<Arc<http::tls::Tls>>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Graceful shutdown: stops accepting, finishes in-flight requests and acknowledged writes.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(());
        self.task.await?
    }
}

/// A built application: the router, the store it serves and the state its jobs share.
pub struct App {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub boot: bootstrap::Bootstrap,
    /// What handlers and background jobs share (tests drain jobs with it).
    pub state: AppState,
    /// The certificate and key when serving HTTPS, loaded (and checked) at build.
    pub tls: Option<Arc<http::tls::Tls>>,
    /// The bound plain-HTTP listener that redirects to HTTPS, when configured.
    pub redirect_listener: Option<tokio::net::TcpListener>,
}

/// Opens the store named by `settings`, runs first-start setup, and builds the router.
pub async fn build(settings: Settings) -> anyhow::Result<App> {
    build_with_clock(settings, Arc::new(clock::SystemClock)).await
}

/// [`build`] with another clock (tests pass a `clock::TestClock` and advance it).
pub async fn build_with_clock(
    settings: Settings,
    clock: Arc<dyn clock::Clock>,
) -> anyhow::Result<App> {
    let store: Arc<dyn Store> = match &settings.database_url {
        Some(url) => Arc::new(
            PostgresStore::connect(&url.0, PostgresOptions::default())
                .await
                .context("connecting to PostgreSQL (TRAIL_DATABASE_URL)")?,
        ),
        None => Arc::new(
            SqliteStore::open(&settings.data_dir, SqliteOptions::default()).with_context(|| {
                format!(
                    "opening the embedded store in {}",
                    settings.data_dir.display()
                )
            })?,
        ),
    };
    assemble(settings, store, clock).await
}

/// Builds the application over an already opened store (tests use this to pick the backend).
pub async fn build_with_store(settings: Settings, store: Arc<dyn Store>) -> anyhow::Result<App> {
    assemble(settings, store, Arc::new(clock::SystemClock)).await
}

async fn assemble(
    settings: Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn clock::Clock>,
) -> anyhow::Result<App> {
    let tls = settings
        .tls
        .as_ref()
        .map(|tls| http::tls::Tls::load(tls).map(Arc::new))
        .transpose()?;
    let redirect_listener = match settings
        .tls
        .as_ref()
        .and_then(|t| t.redirect_listen.as_ref())
    {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr} (tls_redirect_listen)"))?,
        ),
        None => None,
    };
    let boot = bootstrap::run(store.as_ref(), &settings)
        .await
        .context("first-start setup")?;
    let log_keys = integrity::LogKeys::load(&settings).context("loading the log signing keys")?;
    let viewer_keys = viewer_tokens::ViewerTokenKey::load(store.as_ref())
        .await
        .context("loading the viewer token key")?;
    let locator = match &settings.location_database {
        Some(path) => {
            let locator = locations::Locator::open(path)?;
            tracing::info!(database = %path.display(), source = locator.source(), "Adding locations to events from the location database");
            Some(Arc::new(locator))
        }
        None => {
            tracing::info!(
                "No location database (location_database): event locations stay as sent"
            );
            None
        }
    };
    let sealer_file = streams::sealing::key_file(&settings);
    let sealer = streams::sealing::Sealer::load(&sealer_file)
        .context("loading the key that seals stream secrets (streams.secrets_key_file)")?;
    let (api, mut openapi) = routes::router();
    http::openapi::document_layer_errors(&mut openapi);
    let openapi_json = Arc::new(
        openapi
            .to_json()
            .context("rendering the OpenAPI document")?,
    );
    let state = AppState::with_clock(
        store.clone(),
        settings,
        boot.operator_hash,
        telemetry::metrics_handle(),
        log_keys,
        viewer_keys,
        clock,
    )
    .with_locator(locator)
    .with_stream_sealer(sealer);
    let web = trail_web::router(trail_web::WebConfig {
        embed_frame_ancestors: state.settings.embed_frame_ancestors.clone(),
    });
    let router = api
        .merge(web)
        .merge(compat::router())
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let json = openapi_json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        json.as_str().to_owned(),
                    )
                }
            }),
        )
        .fallback(|| async { error::ApiError::not_found("route") });
    let router = http::layer(router, &state)?
        .layer(axum::middleware::from_fn(compat::shape_errors))
        .layer(axum::middleware::from_fn(telemetry::track_http))
        .layer(TraceLayer::new_for_http())
        .with_state(state.clone());
    Ok(App {
        router,
        store,
        boot,
        state,
        tls,
        redirect_listener,
    })
}

/// Serves `app` on `listener` and runs the background jobs until `shutdown` resolves, then lets
/// in-flight requests finish, stops the jobs, signs a last checkpoint and closes the store, which
/// completes every acknowledged write.
pub async fn run(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let App {
        router,
        store,
        state,
        tls,
        redirect_listener,
        ..
    } = app;
    let jobs = jobs::Registry::start(&state, jobs::server_jobs(&state));
    let (stop_side_tasks, stopped) = tokio::sync::watch::channel(false);
    let mut side_tasks = Vec::new();
    if let Some(tls) = &tls {
        side_tasks.push(tokio::spawn(tls.clone().watch(stopped.clone())));
    }
    if let Some(redirect) = redirect_listener {
        let https_port = listener.local_addr()?.port();
        let mut stopped = stopped.clone();
        let http_settings = state.settings.http.clone();
        side_tasks.push(tokio::spawn(async move {
            let stop = async move {
                let _ = stopped.changed().await;
            };
            let router = http::redirect::router(https_port);
            if let Err(e) = http::serve::serve(redirect, router, &http_settings, None, stop).await {
                tracing::warn!(error = %e, "The HTTP redirect listener failed");
            }
        }));
    }
    let served = http::serve::serve(listener, router, &state.settings.http, tls, shutdown).await;
    let _ = stop_side_tasks.send(true);
    for task in side_tasks {
        let _ = task.await;
    }
    jobs.stop().await;
    if let Err(e) = integrity::checkpoint_once(&state).await {
        tracing::warn!(error = %format!("{e:#}"), "Could not sign the last checkpoints");
    }
    store.close().await;
    tracing::info!("Server stopped");
    served.context("serving HTTP")
}

/// Starts a server with `settings` on `listener` (bind `127.0.0.1:0` in tests). `settings.admin_token`
/// must be set.
pub async fn spawn(
    settings: Settings,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<Running> {
    let admin_token = settings
        .admin_token
        .clone()
        .context("spawn needs settings.admin_token")?
        .0;
    let app = build(settings).await?;
    let addr = listener.local_addr()?;
    let scheme = if app.tls.is_some() { "https" } else { "http" };
    let redirect_addr = match &app.redirect_listener {
        Some(l) => Some(l.local_addr()?),
        None => None,
    };
    let tls = app.tls.clone();
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(app, listener, async move {
        let _ = signal.await;
    }));
    Ok(Running {
        addr,
        admin_token,
        scheme,
        redirect_addr,
        tls,
        shutdown,
        task,
    })
}

/// `trail serve`: loads settings (defaults → trail.toml → TRAIL_* → flags), opens the store, prints
/// where to open Trail and how to log in, and serves until SIGINT/SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::load(&args)?;
    telemetry::init_logging(settings.log_format);
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let app = build(settings.clone()).await?;
    let scheme = if app.tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr()?);
    let first_org = match &app.boot.created_organization {
        Some(org) => Some(org.clone()),
        None => app.store.list_organizations().await?.into_iter().next(),
    };
    println!(
        "{}",
        bootstrap::banner(&url, &settings, &app.boot, first_org.as_ref())
    );
    tracing::info!(listen = %url, data_dir = %settings.data_dir.display(), "Trail started");
    run(app, listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("Shutdown requested; finishing in-flight requests and acknowledged writes");
}
