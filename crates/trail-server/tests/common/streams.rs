//! Helpers of the stream tests: create a stream as the operator, read its health, ingest
//! numbered events, and a free local port for a receiver.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{OPERATOR, Reply, TestApp, event};

/// A port nothing listens on now (for a receiver the test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `POST /v1/streams` for `org` as the operator.
pub async fn create(app: &TestApp, org: &str, body: Value) -> Reply {
    let mut body = body;
    body["organization_id"] = json!(org);
    app.post("/v1/streams", OPERATOR, body).await
}

/// A stream's health (`GET /v1/streams/{id}/status`).
pub async fn status(app: &TestApp, org: &str, id: &str) -> Value {
    let reply = app
        .get(
            &format!("/v1/streams/{id}/status?organization_id={org}"),
            OPERATOR,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

/// Ingests `n` events with actions `<prefix>.e0` … in one request.
pub async fn ingest(app: &TestApp, key: &str, prefix: &str, n: usize) {
    let events: Vec<Value> = (0..n)
        .map(|i| event(&format!("{prefix}.e{i}"), "alice"))
        .collect();
    let reply = app.ingest(key, json!(events)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}
