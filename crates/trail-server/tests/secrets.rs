//! Secrets — passwords, API-key secrets, session cookies, CSRF tokens, viewer tokens — never
//! appear in the server's logs (captured at TRACE level), in error answers or in `Debug` output.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use common::{Auth, OPERATOR, PASSWORD, TestApp};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_stay_out_of_logs_answers_and_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::with(|s| s.audit = trail_server::config::AuditSettings::default()).await;
    let org = app.org("Acme").await;
    app.add_member(&org, "alice@example.com", "owner").await;
    let wrong = app
        .call(
            Method::POST,
            "/v1/auth/login",
            &Auth::None,
            Some(&json!({"email": "alice@example.com", "password": "guess-123456"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let session = app.login("alice@example.com", None).await;
    let key = app.key(&org, &["admin"]).await;
    let viewer = app.post("/v1/viewer-tokens", &key, json!({})).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/v1/events", &viewer).await.status, StatusCode::OK);
    let as_member = Auth::Session(session.clone());
    assert_eq!(
        app.call(Method::GET, "/v1/me", &as_member, None)
            .await
            .status,
        StatusCode::OK
    );
    let me_debug = format!(
        "{:?}",
        app.call(Method::GET, "/v1/me", &as_member, None).await.body
    );
    let keys = app
        .get(&format!("/v1/api-keys?organization_id={org}"), OPERATOR)
        .await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("Signed in"), "the capture works: {logs}");
    for secret in [
        PASSWORD,
        "guess-123456",
        &session.cookie,
        &session.csrf,
        &key,
        &viewer,
    ] {
        assert!(!logs.contains(secret), "a secret in the logs");
        assert!(!me_debug.contains(secret));
        assert!(!keys.body.to_string().contains(secret));
        assert!(!wrong.body.to_string().contains(secret));
    }
    assert!(!logs.contains("$argon2id$"), "no password hash in the logs");
}
