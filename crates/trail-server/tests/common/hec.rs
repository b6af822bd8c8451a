//! A Splunk HTTP Event Collector for tests, implementing the protocol as Splunk documents it:
//! `Authorization: Splunk <token>` (401 code 2/3, 403 code 4), gzip bodies of concatenated JSON
//! envelopes (400 code 6 when malformed, 12 without `event`), the indexer-acknowledgement
//! channel (`X-Splunk-Request-Channel`, `ackId`, `/services/collector/ack`), 413 above a number
//! of events per request, and injected faults (answers planned in advance, or down).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

#[derive(Default)]
pub struct Inner {
    pub token: String,
    /// Every envelope accepted, in arrival order.
    pub envelopes: Vec<Value>,
    /// Requests received (accepted or not).
    pub requests: usize,
    /// Answers to give instead of accepting, in order: `(status, code)`.
    pub plan: VecDeque<(u16, i64)>,
    /// Refuse (413) a request with more envelopes than this.
    pub max_events: Option<usize>,
    /// Require a channel and answer with an `ackId`.
    pub ack: bool,
    pub next_ack: u64,
    /// Headers of the last request.
    pub last_headers: Option<HeaderMap>,
}

#[derive(Clone)]
pub struct HecReceiver {
    pub addr: SocketAddr,
    pub inner: Arc<Mutex<Inner>>,
    task: Arc<Mutex<Option<Running>>>,
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn answer(status: u16, code: i64, text: &str) -> (StatusCode, axum::Json<Value>) {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"text": text, "code": code})),
    )
}

async fn event(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    let mut inner = inner.lock().unwrap();
    inner.requests += 1;
    inner.last_headers = Some(headers.clone());
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        None => return answer(401, 2, "Token is required"),
        Some(auth) if !auth.starts_with("Splunk ") => {
            return answer(401, 3, "Invalid authorization");
        }
        Some(auth) if auth["Splunk ".len()..] != inner.token => {
            return answer(403, 4, "Invalid token");
        }
        Some(_) => {}
    }
    if inner.ack && headers.get("x-splunk-request-channel").is_none() {
        return answer(400, 10, "Data channel is missing");
    }
    if let Some((status, code)) = inner.plan.pop_front() {
        return answer(status, code, "planned");
    }
    let mut raw = Vec::new();
    if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        if flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut raw)
            .is_err()
        {
            return answer(400, 6, "Invalid data format");
        }
    } else {
        raw = body.to_vec();
    }
    let mut envelopes = Vec::new();
    for value in serde_json::Deserializer::from_slice(&raw).into_iter::<Value>() {
        let Ok(value) = value else {
            return answer(400, 6, "Invalid data format");
        };
        if value.get("event").is_none() {
            return answer(400, 12, "Event field is required");
        }
        envelopes.push(value);
    }
    if envelopes.is_empty() {
        return answer(400, 5, "No data");
    }
    if inner.max_events.is_some_and(|max| envelopes.len() > max) {
        return answer(413, 0, "Content too large");
    }
    inner.envelopes.extend(envelopes);
    if inner.ack {
        inner.next_ack += 1;
        let id = inner.next_ack;
        return (
            StatusCode::OK,
            axum::Json(json!({"text": "Success", "code": 0, "ackId": id})),
        );
    }
    answer(200, 0, "Success")
}

async fn ack(State(inner): State<Arc<Mutex<Inner>>>, body: Bytes) -> axum::Json<Value> {
    let inner = inner.lock().unwrap();
    let asked: Value = serde_json::from_slice(&body).unwrap_or_default();
    let acks: serde_json::Map<String, Value> = asked["acks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .map(|id| (id.to_string(), json!(id <= inner.next_ack)))
        .collect();
    axum::Json(json!({"acks": acks}))
}

impl HecReceiver {
    pub async fn start(token: &str) -> HecReceiver {
        let inner = Arc::new(Mutex::new(Inner {
            token: token.into(),
            ..Inner::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = HecReceiver {
            addr: listener.local_addr().unwrap(),
            inner,
            task: Arc::default(),
        };
        receiver.serve(listener);
        receiver
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/services/collector/event", post(event))
            .route("/services/collector/ack", post(ack))
            .with_state(self.inner.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        *self.task.lock().unwrap() = Some(Running { stop, task });
    }

    /// Stops listening: connections are refused until [`up`](Self::up).
    pub async fn down(&self) {
        let running = self.task.lock().unwrap().take();
        if let Some(running) = running {
            let _ = running.stop.send(());
            let _ = running.task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn up(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `fields.trail_seq` of every envelope received, in order.
    pub fn seqs(&self) -> Vec<u64> {
        self.inner
            .lock()
            .unwrap()
            .envelopes
            .iter()
            .map(|e| e["fields"]["trail_seq"].as_u64().unwrap())
            .collect()
    }
}
