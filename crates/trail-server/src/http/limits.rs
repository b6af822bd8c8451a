//! Request-size checks and load shedding. A request head over `max_header_bytes` gets 431 and a
//! target over `max_uri_bytes` 414; every request body must arrive within `body_timeout` (408);
//! ingest requests beyond `max_inflight_requests` or `max_inflight_bytes` get 503 with
//! `Retry-After` at once instead of queuing, so memory and latency stay bounded under overload.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::Semaphore;

use super::HttpSettings;
use crate::error::ApiError;

/// Permits of the in-flight byte budget are KiB.
const BYTES_PER_PERMIT: usize = 1024;

/// The shared budgets.
pub struct Limiter {
    settings: HttpSettings,
    /// Largest ingest body (`Limits::max_request_bytes`): what a body without `Content-Length` reserves.
    max_request_bytes: usize,
    requests: Arc<Semaphore>,
    kib: Arc<Semaphore>,
    kib_total: usize,
    pub health: Arc<WriteHealth>,
}

impl Limiter {
    pub fn new(settings: &HttpSettings, max_request_bytes: usize) -> Arc<Limiter> {
        let kib_total = settings
            .max_inflight_bytes
            .div_ceil(BYTES_PER_PERMIT)
            .max(1);
        Arc::new(Limiter {
            settings: settings.clone(),
            max_request_bytes,
            requests: Arc::new(Semaphore::new(settings.max_inflight_requests)),
            kib: Arc::new(Semaphore::new(kib_total)),
            kib_total,
            health: Arc::default(),
        })
    }
}

/// Whether a request is an ingest (the only route whose bodies are large and frequent).
pub fn is_ingest(method: &Method, path: &str) -> bool {
    method == Method::POST && path.trim_end_matches('/') == "/v1/events"
}

pub async fn middleware(
    State(limiter): State<Arc<Limiter>>,
    request: Request,
    next: Next,
) -> Response {
    let settings = &limiter.settings;
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if target > settings.max_uri_bytes {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "The request target is {target} bytes, over the limit of {}; send long queries in the body of POST /v1/events/search.",
                settings.max_uri_bytes
            ),
        )
        .into_response();
    }
    let head: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if head > settings.max_header_bytes {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "The request headers are {head} bytes, over the limit of {}.",
                settings.max_header_bytes
            ),
        )
        .into_response();
    }
    let (parts, body) = request.into_parts();
    let body = Body::new(DeadlineBody {
        inner: body,
        deadline: Box::pin(tokio::time::sleep(settings.body_timeout)),
        timeout: settings.body_timeout,
    });
    let request = Request::from_parts(parts, body);
    if !is_ingest(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(limiter.max_request_bytes)
        .min(limiter.max_request_bytes);
    let kib = declared
        .div_ceil(BYTES_PER_PERMIT)
        .clamp(1, limiter.kib_total);
    let Ok(request_permit) = limiter.requests.clone().try_acquire_owned() else {
        return overloaded("requests", settings.max_inflight_requests);
    };
    let Ok(bytes_permit) = limiter.kib.clone().try_acquire_many_owned(kib as u32) else {
        return overloaded("bytes", settings.max_inflight_bytes);
    };
    metrics::gauge!("trail_http_inflight_ingest_requests").increment(1.0);
    let response = next.run(request).await;
    metrics::gauge!("trail_http_inflight_ingest_requests").decrement(1.0);
    if response.status().is_success() {
        limiter.health.record(true);
    } else if response.status().is_server_error() {
        limiter.health.record(false);
    }
    drop((request_permit, bytes_permit));
    response
}

fn overloaded(what: &str, limit: usize) -> Response {
    metrics::counter!("trail_http_shed_total", "limit" => what.to_owned()).increment(1);
    let mut err = ApiError::unavailable(format!(
        "Trail is at its limit of ingest {what} in flight ({limit}); retry after the time in Retry-After."
    ))
    .with_details([serde_json::json!({"rule": format!("max_inflight_{what}"), "limit": limit})]);
    err.code = "overloaded";
    err.into_response()
}

/// The error a body gives when it did not arrive in time.
#[derive(Debug)]
pub struct BodyTimedOut(pub Duration);

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body did not arrive within {}s",
            self.0.as_secs()
        )
    }
}

impl std::error::Error for BodyTimedOut {}

/// Whether `err` (from reading a body) is a [`BodyTimedOut`].
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// 408 for a body that took longer than `body_timeout`.
pub fn body_timeout_error() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "The request body did not arrive in time; send it faster or in smaller requests.",
    )
}

/// A request body that fails once its deadline passes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(self.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Whether writes are succeeding, as ingest answers show: `/readyz` reports not ready while the
/// last write failed less than [`WriteHealth::HOLD`] ago (a full disk, a store that refuses
/// writes), so a load balancer sends writes to another node, and tries this one again after it.
#[derive(Default)]
pub struct WriteHealth {
    last: std::sync::Mutex<Option<(std::time::Instant, bool)>>,
}

impl WriteHealth {
    pub const HOLD: Duration = Duration::from_secs(10);

    pub fn record(&self, ok: bool) {
        *self.last.lock().expect("write health lock") = Some((std::time::Instant::now(), ok));
    }

    /// `Some(age)` when the last write failed `age` ago, within [`Self::HOLD`].
    pub fn failing(&self) -> Option<Duration> {
        match *self.last.lock().expect("write health lock") {
            Some((at, false)) if at.elapsed() < Self::HOLD => Some(at.elapsed()),
            _ => None,
        }
    }
}
