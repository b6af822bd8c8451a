//! Operations endpoints: health, readiness, metrics, the generated OpenAPI document, unknown routes.

mod common;

use axum::http::{Method, StatusCode};
use common::{TestApp, event};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::new().await;
    let health = app.raw(Method::GET, "/healthz", None, "", vec![]).await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = app.raw(Method::GET, "/readyz", None, "", vec![]).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
}

#[tokio::test]
async fn metrics_count_ingest() {
    let app = TestApp::new().await;
    let (_, key) = app.tenant("Acme").await;
    app.ingest(&key, event("a.b", "u")).await;
    let metrics = app.raw(Method::GET, "/metrics", None, "", vec![]).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.body.as_str().unwrap();
    for name in [
        "trail_ingest_events_total",
        "trail_ingest_batch_events",
        "trail_http_requests_total",
        "trail_store_commit_seconds",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let app = TestApp::new().await;
    let doc = app
        .raw(Method::GET, "/openapi.json", None, "", vec![])
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/events", "post"),
        ("/v1/events", "get"),
        ("/v1/events/search", "post"),
        ("/v1/events/count", "get"),
        ("/v1/events/facets", "get"),
        ("/v1/events/{id}", "get"),
        ("/v1/organizations", "post"),
        ("/v1/organizations", "get"),
        ("/v1/organizations/{id}", "get"),
        ("/v1/api-keys", "post"),
        ("/v1/api-keys", "get"),
        ("/v1/api-keys/{id}", "delete"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_error_shape() {
    let app = TestApp::new().await;
    let reply = app.raw(Method::GET, "/v1/nothing", None, "", vec![]).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}
