//! Hostile clients over real TCP against a real server: a slow header, a stalled body or an idle
//! connection is cut and does not starve `/healthz`; connections beyond the limit are answered 503
//! at once instead of waiting or exhausting file descriptors; ingest past the in-flight limit answers 503 with Retry-After at
//! once; rate limits answer 429 with `RateLimit-*` headers; `/readyz` turns not ready while
//! writes fail.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{OPERATOR, TestApp};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trail_server::Settings;

/// A running server on a private directory with `adjust`ed settings.
async fn server(adjust: impl FnOnce(&mut Settings)) -> (trail_server::Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(dir.path(), OPERATOR);
    adjust(&mut settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    (trail_server::spawn(settings, listener).await.unwrap(), dir)
}

/// Sends `raw` on a new connection and reads until the server closes it (at most `within`).
async fn exchange(
    addr: std::net::SocketAddr,
    raw: &[u8],
    within: Duration,
) -> (u16, Value, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut answer))
        .await
        .expect("the server answered in time")
        .unwrap();
    parse(&answer)
}

/// GETs `path` until it is not refused with 503 `overloaded` (or `within` passes); the last answer.
async fn until_served(addr: std::net::SocketAddr, path: &str, within: Duration) -> (u16, Value) {
    let started = Instant::now();
    loop {
        let (status, body, _) =
            exchange(addr, &request("GET", path, ""), Duration::from_secs(5)).await;
        if status != 503 || started.elapsed() > within {
            return (status, body);
        }
        assert_eq!(body["error"]["code"], "overloaded", "{body:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn parse(answer: &[u8]) -> (u16, Value, String) {
    let text = String::from_utf8_lossy(answer).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(Value::Null),
        text,
    )
}

fn request(method: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {OPERATOR}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Whether the server closed `stream` (EOF or reset) before `deadline`.
async fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn slow_headers_are_cut_and_do_not_starve_healthz() {
    let (running, _dir) = server(|s| {
        s.http.header_timeout = Duration::from_secs(1);
        s.http.max_connections = 8;
    })
    .await;
    let addr = running.addr;
    // Twice as many slow clients as connection slots: each sends a header byte now and then.
    let mut slow = Vec::new();
    for _ in 0..16 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ").await;
        slow.push(stream);
    }
    let trickle = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut cut = 0;
        for stream in &mut slow {
            if closed_by(stream, deadline).await {
                cut += 1;
            }
        }
        cut
    });
    // While the slow clients hold the slots `/healthz` may be refused with 503 at once; it is
    // served as soon as the slow ones are cut.
    let (status, body) = until_served(addr, "/healthz", Duration::from_secs(20)).await;
    assert_eq!(status, 200, "{body:?}");
    assert_eq!(body["status"], "ok");
    assert_eq!(trickle.await.unwrap(), 16, "every slow client was cut");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn connections_past_the_limit_are_answered_503_at_once() {
    let (running, _dir) = server(|s| s.http.max_connections = 4).await;
    let addr = running.addr;
    // Four idle connections hold every slot (the idle timeout is a minute).
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // The accept loop takes them in order; make sure it has before the fifth comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body, text) = exchange(
            addr,
            &request("POST", "/v1/organizations", r#"{"name":"acme"}"#),
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(status, 503, "{text}");
        assert_eq!(body["error"]["code"], "overloaded");
        assert_eq!(body["error"]["details"][0]["rule"], "max_connections");
        assert_eq!(body["error"]["details"][0]["limit"], 4);
        let lower = text.to_ascii_lowercase();
        assert!(lower.contains("\r\nretry-after: 1\r\n"), "{text}");
        assert!(lower.contains("\r\nconnection: close\r\n"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // Nothing was created by the refused requests, and a freed slot serves again.
    drop(held.pop());
    let (status, orgs) = until_served(addr, "/v1/organizations", Duration::from_secs(10)).await;
    assert_eq!(status, 200, "{orgs:?}");
    assert_eq!(
        orgs["organizations"].as_array().map(Vec::len),
        Some(0),
        "{orgs:?}"
    );
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_idle_connection_and_a_stalled_body_are_cut() {
    let (running, _dir) = server(|s| {
        s.http.idle_timeout = Duration::from_secs(1);
        s.http.body_timeout = Duration::from_secs(1);
    })
    .await;
    let mut idle = TcpStream::connect(running.addr).await.unwrap();
    assert!(closed_by(&mut idle, Instant::now() + Duration::from_secs(15)).await);

    let (status, org, _) = exchange(
        running.addr,
        &request("POST", "/v1/organizations", r#"{"name":"acme"}"#),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(status, 201, "{org:?}");
    let path = format!("/v1/events?organization_id={}", org["id"].as_str().unwrap());
    let mut stalled = request("POST", &path, &" ".repeat(100));
    stalled.truncate(stalled.len() - 90);
    let (status, body, text) = exchange(running.addr, &stalled, Duration::from_secs(15)).await;
    assert_eq!(status, 408, "{text}");
    assert_eq!(body["error"]["code"], "request_timeout");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn ingest_past_the_in_flight_limit_is_shed_with_503() {
    let (running, _dir) = server(|s| s.http.max_inflight_requests = 1).await;
    let (_, org, _) = exchange(
        running.addr,
        &request("POST", "/v1/organizations", r#"{"name":"acme"}"#),
        Duration::from_secs(10),
    )
    .await;
    let path = format!("/v1/events?organization_id={}", org["id"].as_str().unwrap());
    let event = json!({"action": "a.b", "actor": {"id": "alice"}}).to_string();
    // One ingest holds the only slot while its body has not all arrived.
    let padded = format!("{event}{}", " ".repeat(1000));
    let full = request("POST", &path, &padded);
    let mut holder = TcpStream::connect(running.addr).await.unwrap();
    holder.write_all(&full[..full.len() - 500]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let shed = loop {
        let (status, body, text) = exchange(
            running.addr,
            &request("POST", &path, &event),
            Duration::from_secs(10),
        )
        .await;
        if status == 503 {
            assert!(
                text.to_ascii_lowercase().contains("retry-after: "),
                "{text}"
            );
            break body;
        }
        assert_eq!(status, 200, "{text}");
        assert!(Instant::now() < deadline, "never shed");
    };
    assert_eq!(shed["error"]["code"], "overloaded");
    holder.write_all(&full[full.len() - 500..]).await.unwrap();
    let mut answer = Vec::new();
    holder.read_to_end(&mut answer).await.unwrap();
    assert_eq!(parse(&answer).0, 200, "the held request completes");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn rate_limits_answer_429_with_ratelimit_headers_per_key_and_per_organization() {
    let app = TestApp::with(|s| {
        s.http.rates.ingest_per_key = 1;
        s.http.rates.search_per_org = 1;
    })
    .await;
    let (org, key) = app.tenant("acme").await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let reply = app
            .ingest(&key, common::event(&format!("a.e{i}"), "alice"))
            .await;
        assert_eq!(reply.headers["ratelimit-limit"], "1");
        assert!(reply.headers.contains_key("ratelimit-remaining"));
        assert!(reply.headers.contains_key("ratelimit-reset"));
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(reply.code(), "rate_limited");
            assert!(reply.headers.contains_key("retry-after"));
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Searches are limited per organization: a second key of the same one shares the bucket.
    let other = app.key(&org, &["events:read"]).await;
    let mut limited = false;
    for i in 0..5 {
        let token = if i % 2 == 0 { &key } else { &other };
        let reply = app.get("/v1/events", token).await;
        limited |= reply.status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited);
    // A request that does not authenticate is not counted; it gets its 401.
    let reply = app.get("/v1/events", "nope").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn readyz_is_not_ready_while_writes_fail() {
    use axum::routing::{get, post};
    let app = TestApp::new().await;
    // An ingest route whose store write fails, as on a full disk.
    let failing = axum::Router::new()
        .route(
            "/v1/events",
            post(|| async {
                trail_server::error::ApiError::unavailable("commit failed: disk full")
            }),
        )
        .route("/readyz", get(trail_server::routes::ops::readyz));
    let router = trail_server::http::layer(failing, &app.state)
        .unwrap()
        .with_state(app.state.clone());
    let call = |method: &str, uri: &str| {
        axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(axum::body::Body::from("{}"))
            .unwrap()
    };
    use tower::ServiceExt;
    let ready = router
        .clone()
        .oneshot(call("GET", "/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let write = router
        .clone()
        .oneshot(call("POST", "/v1/events"))
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready = router
        .clone()
        .oneshot(call("GET", "/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}
