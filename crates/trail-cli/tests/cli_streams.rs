//! End to end: `trail streams` against a real server on `127.0.0.1:0` (its stream worker
//! running), delivering to a webhook receiver in the test.

use std::sync::{Arc, Mutex};

use serde_json::Value;

mod common;

use common::{OPERATOR, ok, trail};

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_stream_is_created_tested_paused_replayed_and_deleted() {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let kept = received.clone();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body.0);
                axum::http::StatusCode::OK
            }
        }),
    );
    let hook_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", hook_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(hook_listener, hook).await.unwrap() });

    let data = tempfile::tempdir().unwrap();
    let settings = trail_server::Settings::for_tests(data.path(), OPERATOR);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = trail_server::spawn(settings, listener).await.unwrap();
    let url = server.url();
    let org: Value =
        serde_json::from_str(&ok(&url, &["orgs", "create", "Acme", "--json"], "").await).unwrap();
    let org = org["id"].as_str().unwrap().to_owned();

    let made: Value = serde_json::from_str(
        &ok(
            &url,
            &[
                "streams",
                "create",
                "webhook",
                "--name",
                "Hook",
                "--destination",
                &hook_url,
                "--format",
                "ocsf",
                "--secret-stdin",
                "--org",
                &org,
            ],
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
        )
        .await,
    )
    .unwrap();
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["secret_set"], true);
    assert!(made.get("secret").is_none());
    let tested = ok(&url, &["streams", "test", &id, "--org", &org], "").await;
    assert!(tested.contains("Delivered the test event"), "{tested}");
    assert_eq!(received.lock().unwrap().len(), 1);

    let listed = ok(&url, &["streams", "list", "--org", &org], "").await;
    assert!(
        listed.contains("Hook") && listed.contains("active"),
        "{listed}"
    );
    let paused = ok(&url, &["streams", "pause", &id, "--org", &org], "").await;
    assert!(paused.contains("paused"), "{paused}");
    let replayed = ok(
        &url,
        &["streams", "replay", &id, "--from-seq", "0", "--org", &org],
        "",
    )
    .await;
    assert!(replayed.contains("from seq 0 (paused)"), "{replayed}");
    ok(&url, &["streams", "resume", &id, "--org", &org], "").await;
    let shown: Value =
        serde_json::from_str(&ok(&url, &["streams", "show", &id, "--org", &org], "").await)
            .unwrap();
    assert_eq!(shown["format"], "ocsf");
    ok(&url, &["streams", "delete", &id, "--org", &org], "").await;
    let gone = trail(&url, &["streams", "show", &id, "--org", &org], "").await;
    assert_eq!(gone.status.code(), Some(1));
    server.stop().await.unwrap();
}
