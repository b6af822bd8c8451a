//! HTTPS: the certificate and key loaded from PEM files (with start-up errors that name the file
//! and the problem), a rustls configuration (TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1 by ALPN), and a
//! certificate resolver whose `Arc<CertifiedKey>` is swapped when the files change or on SIGHUP.
//! Handshakes already done keep the key they started with, so a reload drops no connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Where the certificate and key live, and how often their files are checked for a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM certificate chain, the server's certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of the first certificate.
    pub key: PathBuf,
    /// Also listen here with plain HTTP that only redirects (308) to HTTPS.
    pub redirect_listen: Option<String>,
    /// How often the two files are checked for a change.
    pub reload_check: Duration,
    /// Also reload on SIGHUP (`trail serve`; tests leave the process's signals alone).
    pub reload_on_sighup: bool,
}

impl TlsSettings {
    /// HTTPS with `cert` and `key`, no redirect listener, files checked every 100 ms, no SIGHUP.
    pub fn for_tests(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> TlsSettings {
        TlsSettings {
            cert: cert.into(),
            key: key.into(),
            redirect_listen: None,
            reload_check: Duration::from_millis(100),
            reload_on_sighup: false,
        }
    }
}

/// Default interval between checks of the certificate and key files.
pub const DEFAULT_RELOAD_CHECK: Duration = Duration::from_secs(5);

/// The TLS side of the listener: the acceptor and the resolver it reads the current key from.
pub struct Tls {
    settings: TlsSettings,
    resolver: Arc<CertResolver>,
    acceptor: TlsAcceptor,
    /// SIGHUP, listened to from [`Tls::load`] on (so that a SIGHUP sent once `trail serve` has
    /// printed its banner is never the default "terminate"), taken by [`Tls::watch`].
    hangup: std::sync::Mutex<Option<Hangup>>,
}

impl Tls {
    /// Loads the certificate and key; an error names the file and what is wrong with it. Call it
    /// within a tokio runtime.
    pub fn load(settings: &TlsSettings) -> anyhow::Result<Tls> {
        let key = load_certified_key(&settings.cert, &settings.key)?;
        let resolver = Arc::new(CertResolver {
            current: RwLock::new(Arc::new(key)),
        });
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .context("configuring TLS")?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            settings: settings.clone(),
            resolver,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            hangup: std::sync::Mutex::new(hangup_signal(settings.reload_on_sighup)),
        })
    }

    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    pub fn settings(&self) -> &TlsSettings {
        &self.settings
    }

    /// Reads the files again and, when they hold a valid pair, serves it to new handshakes. A bad
    /// pair (say, the certificate written but not yet its key) keeps the current one.
    pub fn reload(&self) -> anyhow::Result<()> {
        let key = load_certified_key(&self.settings.cert, &self.settings.key)?;
        *self.resolver.current.write().expect("resolver lock") = Arc::new(key);
        Ok(())
    }

    /// The end-entity certificate new handshakes get (DER).
    pub fn current_certificate(&self) -> Vec<u8> {
        let key = self.resolver.current.read().expect("resolver lock").clone();
        key.cert.first().map(|c| c.to_vec()).unwrap_or_default()
    }

    /// Reloads when either file changes (checked every `reload_check`) and, when
    /// `reload_on_sighup`, on SIGHUP, until `stop` changes.
    pub async fn watch(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut hangup = self.hangup.lock().expect("hangup lock").take();
        let mut seen = self.fingerprint();
        let mut tick = tokio::time::interval(self.settings.reload_check);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let forced = tokio::select! {
                _ = tick.tick() => false,
                Some(()) = recv(&mut hangup) => true,
                _ = stop.changed() => return,
            };
            let now = self.fingerprint();
            if !forced && now == seen {
                continue;
            }
            seen = now;
            match self.reload() {
                Ok(()) => tracing::info!(
                    cert = %self.settings.cert.display(),
                    reason = if forced { "SIGHUP" } else { "file changed" },
                    "Reloaded the TLS certificate"
                ),
                Err(e) => tracing::warn!(
                    error = %format!("{e:#}"),
                    "Could not reload the TLS certificate; still serving the previous one"
                ),
            }
        }
    }

    /// Modification time and length of both files (following symbolic links, so a Kubernetes
    /// secret's swapped `..data` link counts as a change).
    fn fingerprint(&self) -> [Option<(SystemTime, u64)>; 2] {
        let stat = |path: &Path| {
            std::fs::metadata(path)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        };
        [stat(&self.settings.cert), stat(&self.settings.key)]
    }
}

#[cfg(unix)]
type Hangup = tokio::signal::unix::Signal;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup_signal(enabled: bool) -> Option<Hangup> {
    use tokio::signal::unix::{SignalKind, signal};
    if !enabled {
        return None;
    }
    match signal(SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(e) => {
            tracing::warn!(error = %e, "Cannot listen for SIGHUP; TLS reloads on file changes only");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signal(_enabled: bool) -> Option<Hangup> {
    None
}

#[cfg(unix)]
async fn recv(signal: &mut Option<Hangup>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn recv(_signal: &mut Option<()>) -> Option<()> {
    std::future::pending().await
}

/// Serves new handshakes the current key; [`Tls::reload`] swaps it.
#[derive(Debug)]
struct CertResolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("resolver lock").clone())
    }
}

/// Reads a PEM certificate chain and its private key and checks that they belong together.
pub fn load_certified_key(cert_path: &Path, key_path: &Path) -> anyhow::Result<CertifiedKey> {
    let read = |what: &str, path: &Path| {
        std::fs::read(path)
            .with_context(|| format!("TLS {what} file {}: cannot read it", path.display()))
    };
    let cert_pem = read("certificate", cert_path)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow::anyhow!(
                "TLS certificate file {}: not valid PEM ({e})",
                cert_path.display()
            )
        })?;
    anyhow::ensure!(
        !chain.is_empty(),
        "TLS certificate file {}: holds no PEM `CERTIFICATE` block",
        cert_path.display()
    );
    let key_pem = read("key", key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => anyhow::anyhow!(
            "TLS key file {}: holds no PEM private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)",
            key_path.display()
        ),
        e => anyhow::anyhow!("TLS key file {}: not valid PEM ({e})", key_path.display()),
    })?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signing_key = provider.key_provider.load_private_key(key).map_err(|e| {
        anyhow::anyhow!(
            "TLS key file {}: not a usable private key ({e})",
            key_path.display()
        )
    })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(_)) => anyhow::bail!(
            "TLS key file {} does not match the certificate in {}",
            key_path.display(),
            cert_path.display()
        ),
        Err(e) => anyhow::bail!(
            "TLS certificate file {}: the first certificate cannot be parsed ({e})",
            cert_path.display()
        ),
    }
}
