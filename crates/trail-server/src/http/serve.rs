//! The accept loop: at most `max_connections` connections served at once, a deadline on every
//! request head, and a connection on which nothing moves for `idle_timeout` closed. Connections
//! beyond the limit are still accepted — up to [`shed_capacity`] more — and answered at once with
//! 503 `overloaded` and `Retry-After` (over TLS: closed at once), so that a client past the limit
//! learns it in milliseconds instead of waiting out SYN retransmissions in a full listen backlog.
//! Only past both limits do connections wait in the backlog, which keeps file descriptors bounded. Graceful shutdown stops
//! accepting and lets open requests finish. With TLS the handshake runs in the connection's own
//! task (within `header_timeout`), under the same limits.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::HttpSettings;
use super::tls::Tls;

/// hyper's own ceiling on a request head, above [`HttpSettings::max_header_bytes`] so that the
/// limits middleware (not hyper, which answers with an empty body) refuses most oversize heads.
const HYPER_MAX_HEAD_BYTES: usize = 256 * 1024;
/// hyper's own ceiling on header lines, above the middleware's.
const HYPER_MAX_HEADERS: usize = 1000;

/// Serves `router` on `listener` until `shutdown` resolves, then waits for open connections.
/// With `tls`, every connection first completes a TLS handshake (within `header_timeout`); the
/// connection limit, the idle timeout and graceful shutdown apply to it the same way.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &HttpSettings,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(settings.max_connections));
    let shed_permits = Arc::new(Semaphore::new(shed_capacity(settings.max_connections)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_buf_size(HYPER_MAX_HEAD_BYTES)
        .max_headers(HYPER_MAX_HEADERS);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(HYPER_MAX_HEAD_BYTES as u32)
        .keep_alive_interval(Some(settings.idle_timeout / 2))
        .keep_alive_timeout(settings.header_timeout);
    let idle_timeout = settings.idle_timeout;
    let handshake_timeout = settings.header_timeout;
    let max_connections = settings.max_connections;
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => Slot::Serve(permit.expect("never closed")),
            permit = shed_permits.clone().acquire_owned() => Slot::Shed(permit.expect("never closed")),
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // EMFILE and friends: back off briefly rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // A serving slot may have freed while this one waited in `accept`.
        let permit = match slot {
            Slot::Serve(permit) => permit,
            Slot::Shed(shed) => match permits.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => {
                    let plain = tls.is_none();
                    tokio::spawn(async move {
                        if plain {
                            refuse(stream, max_connections).await;
                        }
                        drop(shed);
                    });
                    continue;
                }
            },
        };
        let activity = Activity::new();
        let tracked = Tracked {
            inner: stream,
            activity: activity.clone(),
        };
        let connection = Connection {
            router: router.clone(),
            builder: builder.clone(),
            watcher: graceful.watcher(),
            peer,
            activity,
            idle_timeout,
        };
        let tls = tls.as_ref().map(|tls| tls.acceptor().clone());
        tokio::spawn(async move {
            match tls {
                None => connection.run(tracked).await,
                Some(acceptor) => {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(tracked)).await {
                        Ok(Ok(stream)) => connection.run(stream).await,
                        Ok(Err(err)) => {
                            tracing::debug!(error = %err, %peer, "TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Connections accepted beyond `max_connections` only to be refused with 503: a quarter of the
/// limit, at least 64.
pub fn shed_capacity(max_connections: usize) -> usize {
    (max_connections / 4).max(64)
}

/// What an accepted connection will get.
enum Slot {
    Serve(tokio::sync::OwnedSemaphorePermit),
    Shed(tokio::sync::OwnedSemaphorePermit),
}

/// How long a refused connection may take to receive its 503, and then to finish sending what it
/// had started (read and discarded, so that the client reads the answer rather than a reset).
const REFUSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);
const REFUSE_DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
const REFUSE_DRAIN_BYTES: usize = 256 * 1024;

/// Answers a connection past the limit with 503 `overloaded` in the documented error shape, without
/// reading its request, and closes it.
async fn refuse(mut stream: TcpStream, max_connections: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    metrics::counter!("trail_http_shed_total", "limit" => "connections").increment(1);
    let body = serde_json::json!({"error": {
        "code": "overloaded",
        "message": format!(
            "Trail is serving its limit of {max_connections} connections; retry after the time in Retry-After."
        ),
        "details": [{"rule": "max_connections", "limit": max_connections}],
    }})
    .to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let written = tokio::time::timeout(REFUSE_WRITE_TIMEOUT, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        return;
    }
    // Closing with unread bytes would reset the connection and could discard the answer before the
    // client reads it; take what it is still sending, up to a bound.
    let _ = tokio::time::timeout(REFUSE_DRAIN_TIMEOUT, async {
        let mut buf = [0u8; 8192];
        let mut taken = 0;
        while taken < REFUSE_DRAIN_BYTES {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => taken += n,
            }
        }
    })
    .await;
}

/// One accepted connection, served until it ends, idles out, or shutdown closes it.
struct Connection {
    router: Router,
    builder: auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
    peer: SocketAddr,
    activity: Activity,
    idle_timeout: Duration,
}

impl Connection {
    async fn run<I>(self, io: I)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            router,
            builder,
            watcher,
            peer,
            activity,
            idle_timeout,
        } = self;
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = watcher.watch(
            builder
                .serve_connection_with_upgrades(TokioIo::new(io), service)
                .into_owned(),
        );
        tokio::pin!(connection);
        let check = (idle_timeout / 4).max(Duration::from_millis(50));
        loop {
            tokio::select! {
                result = &mut connection => {
                    if let Err(err) = result {
                        tracing::debug!(error = %err, %peer, "connection ended with an error");
                    }
                    break;
                }
                () = tokio::time::sleep(check) => {
                    if activity.idle_for() >= idle_timeout {
                        tracing::debug!(%peer, "closing a connection idle for too long");
                        break;
                    }
                }
            }
        }
    }
}

/// When bytes last moved on a connection.
#[derive(Clone)]
struct Activity {
    started: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            started: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let now = self.started.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// A TCP stream that records when bytes move.
struct Tracked {
    inner: TcpStream,
    activity: Activity,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The peer address handlers see (`ConnectInfo<SocketAddr>`), as axum's own server sets it.
pub type Peer = ConnectInfo<SocketAddr>;
