//! Syslog: each event one RFC 5424 message — `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID
//! [sd_id id="…" seq="…" org="…"] MSG`, the event in the stream's format as MSG (JSON, or CEF) —
//! framed by octet counting (RFC 6587 §3.4.1) over one kept TCP connection, or over TLS (RFC 5425).
//! A batch counts as delivered once written and flushed; a broken connection is reopened and the
//! batch sent again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use trail_core::event::{Event, Outcome};
use trail_core::siem::Format;
use trail_store::Stream;

use super::{Sink, SinkError};
use crate::streams::safety;
use crate::streams::settings::StreamSettings;

/// The default facility: 13, "log audit".
pub const DEFAULT_FACILITY: u8 = 13;
/// The default structured-data id (32473 is the private enterprise number RFC 5612 reserves for
/// documentation; set your own `sd_id`).
pub const DEFAULT_SD_ID: &str = "trail@32473";

trait Connection: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Connection for T {}

pub struct SyslogSink {
    host: String,
    port: u16,
    tls: Option<tokio_rustls::TlsConnector>,
    format: Format,
    facility: u8,
    hostname: String,
    app_name: String,
    sd_id: String,
    timeout: Duration,
    allow_private: bool,
    connection: Mutex<Option<Box<dyn Connection>>>,
}

/// The certificates of a PEM text (for `ca_cert`).
pub fn parse_ca(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate found".into());
    }
    Ok(certs)
}

fn tls_connector(ca_cert: Option<&str>) -> Result<tokio_rustls::TlsConnector, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(pem) = ca_cert {
        for cert in parse_ca(pem)? {
            roots.add(cert).map_err(|e| e.to_string())?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Printable ASCII without spaces, at most `max` characters, `-` when empty (RFC 5424 header fields).
fn header_field(text: &str, max: usize) -> String {
    let out: String = text
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if out.is_empty() { "-".into() } else { out }
}

/// Escapes an SD-PARAM value: `"`, `\` and `]` (RFC 5424 §6.3.3).
pub fn sd_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl SyslogSink {
    pub fn new(
        stream: &Stream,
        format: Format,
        settings: &StreamSettings,
        origin: &str,
    ) -> Result<SyslogSink, SinkError> {
        let url = reqwest::Url::parse(&stream.url)
            .map_err(|e| SinkError::fatal(None, format!("bad url: {e}")))?;
        let get = |key: &str| stream.settings.get(key).and_then(Value::as_str);
        let tls = match url.scheme() {
            "tls" => Some(
                tls_connector(get("ca_cert"))
                    .map_err(|e| SinkError::fatal(None, format!("TLS setup: {e}")))?,
            ),
            _ => None,
        };
        Ok(SyslogSink {
            host: url
                .host_str()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: url.port().unwrap_or(if tls.is_some() { 6514 } else { 514 }),
            tls,
            format,
            facility: stream
                .settings
                .get("facility")
                .and_then(Value::as_u64)
                .map_or(DEFAULT_FACILITY, |f| f.min(23) as u8),
            hostname: header_field(get("host").unwrap_or(origin), 255),
            app_name: header_field(get("app_name").unwrap_or("trail"), 48),
            sd_id: get("sd_id").unwrap_or(DEFAULT_SD_ID).to_owned(),
            timeout: settings.request_timeout,
            allow_private: settings.allow_private_destinations,
            connection: Mutex::new(None),
        })
    }

    /// One RFC 5424 message (without its octet count).
    pub fn message(&self, event: &Event) -> String {
        let data = &event.data;
        let severity = match data.outcome {
            Outcome::Success => 6,
            Outcome::Failure => 4,
        };
        format!(
            "<{}>1 {} {} {} - {} [{} id=\"{}\" seq=\"{}\" org=\"{}\"] {}",
            u16::from(self.facility) * 8 + severity,
            data.occurred_at.to_rfc3339(),
            self.hostname,
            self.app_name,
            header_field(&data.action, 32),
            self.sd_id,
            sd_value(&data.id),
            event.seq,
            sd_value(&event.organization_id),
            self.format.to_line(event),
        )
    }

    async fn connect(&self) -> Result<Box<dyn Connection>, SinkError> {
        let addrs = safety::resolve(&self.host, self.port, self.allow_private)
            .await
            .map_err(|e| {
                if e.contains("allow_private_destinations") {
                    SinkError::fatal(None, e)
                } else {
                    SinkError::retry(None, e)
                }
            })?;
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect(&addrs[..]))
            .await
            .map_err(|_| {
                SinkError::retry(
                    None,
                    format!("syslog connect to {}:{} timed out", self.host, self.port),
                )
            })?
            .map_err(|e| {
                SinkError::retry(
                    None,
                    format!("syslog connect to {}:{}: {e}", self.host, self.port),
                )
            })?;
        tcp.set_nodelay(true).ok();
        let Some(tls) = &self.tls else {
            return Ok(Box::new(tcp));
        };
        let name = ServerName::try_from(self.host.clone())
            .map_err(|e| SinkError::fatal(None, format!("TLS server name {}: {e}", self.host)))?;
        let stream = tokio::time::timeout(self.timeout, tls.connect(name, tcp))
            .await
            .map_err(|_| SinkError::retry(None, "syslog TLS handshake timed out"))?
            .map_err(|e| SinkError::retry(None, format!("syslog TLS handshake: {e}")))?;
        Ok(Box::new(stream))
    }
}

/// Whether a kept connection was closed by the other side (a read that ends at once).
async fn closed(connection: &mut Box<dyn Connection>) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(Duration::from_millis(1), connection.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[async_trait]
impl Sink for SyslogSink {
    async fn send(&self, events: &[Event]) -> Result<u64, SinkError> {
        let mut frames = Vec::new();
        for event in events {
            let message = self.message(event);
            frames.extend_from_slice(format!("{} {message}", message.len()).as_bytes());
        }
        let mut kept = self.connection.lock().await;
        if let Some(connection) = kept.as_mut()
            && closed(connection).await
        {
            *kept = None;
        }
        let connection = match kept.as_mut() {
            Some(connection) => connection,
            None => kept.insert(self.connect().await?),
        };
        let written = tokio::time::timeout(self.timeout, async {
            connection.write_all(&frames).await?;
            connection.flush().await
        })
        .await;
        match written {
            Ok(Ok(())) => Ok(frames.len() as u64),
            Ok(Err(e)) => {
                *kept = None;
                Err(SinkError::retry(None, format!("syslog write: {e}")))
            }
            Err(_) => {
                *kept = None;
                Err(SinkError::retry(None, "syslog write timed out"))
            }
        }
    }
}
