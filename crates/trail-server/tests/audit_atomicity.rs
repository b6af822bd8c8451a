//! Changes and their audit events are stored together, audit events never refuse what a caller
//! asked, and a read whose audit event cannot be recorded is not served (issue 10's repros).

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::{TestApp, event};
use serde_json::{Value, json};
use trail_server::exports;

/// An app that records reads and changes, as a production server does by default.
async fn audited(backend: common::Backend) -> TestApp {
    TestApp::on_with(backend, |settings| {
        settings.audit.record_reads = true;
        settings.audit.record_changes = true;
    })
    .await
}

/// The organization's events with `action`, as the API returns them.
async fn recorded(app: &TestApp, key: &str, action: &str) -> Vec<Value> {
    let found = app
        .get(&format!("/v1/events?q=action:{action}&limit=1000"), key)
        .await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    found.body["events"].as_array().unwrap().clone()
}

on_every_backend! {
async fn exports_with_oversized_numbers_or_queries_are_recorded_not_refused(backend) {
    let app = audited(backend).await;
    let (org, _) = app.tenant("Acme").await;
    let key = app.key(&org, &["events:write", "events:read", "exports"]).await;
    app.ingest(&key, event("user.login", "fz")).await;
    let padded = format!("actor.id:\"fz\"{}", " ".repeat(17_000));
    let bodies = [
        json!({"format": "csv", "time_frame": "last_30_days", "rows_per_file": 9_007_199_254_740_993u64}),
        json!({"format": "csv", "time_frame": "last_30_days", "q": padded}),
    ];
    for body in bodies {
        let created = app.post("/v1/exports", &key, body.clone()).await;
        assert_ne!(created.status, StatusCode::INTERNAL_SERVER_ERROR, "{body}: {:?}", created.body);
        assert!(created.status.is_success() || created.status.is_client_error(), "{:?}", created.body);
    }
    exports::run_pending(&app.state).await.unwrap();
    let jobs = app.get("/v1/exports", &key).await.body["exports"].as_array().unwrap().clone();
    let audited = recorded(&app, &key, "trail.export.created").await;
    assert_eq!(jobs.len(), 2, "both exports are accepted: {jobs:?}");
    assert!(jobs.iter().all(|job| job["status"] == "completed"), "{jobs:?}");
    assert_eq!(jobs.len(), audited.len(), "every export job has its audit event: {jobs:?} {audited:?}");
    for job in &jobs {
        let id = job["id"].as_str().unwrap();
        let event = audited.iter().find(|e| e["resource"]["id"] == id).expect("the job's audit event");
        let spec = &event["metadata"]["spec"];
        if let Some(rows) = spec.get("rows_per_file").filter(|r| !r.is_null()) {
            assert_eq!(rows, "9007199254740993", "kept as a string: {spec}");
        }
        if let Some(q) = spec.get("q").and_then(Value::as_str) {
            assert!(q.starts_with("actor.id:\"fz\"") && q.len() <= 1024, "truncated: {} bytes", q.len());
        }
    }
}

async fn a_search_with_a_huge_query_is_recorded_before_it_is_served(backend) {
    let app = audited(backend).await;
    let (_, key) = app.tenant("Acme").await;
    app.ingest(&key, event("user.login", "fz")).await;
    let padded = format!("actor.id:%22fz%22{}", "%20".repeat(17_000));
    let found = app.get(&format!("/v1/events?q={padded}"), &key).await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    assert_eq!(found.body["events"].as_array().unwrap().len(), 1);
    // Served only once recorded: the event is there without waiting.
    let searches = recorded(&app, &key, "trail.events.searched").await;
    let asked = searches
        .iter()
        .find(|e| e["metadata"]["q"].as_str().is_some_and(|q| q.starts_with("actor.id:\"fz\"")))
        .unwrap_or_else(|| panic!("the padded search is recorded: {searches:?}"));
    assert!(asked["metadata"]["q"].as_str().unwrap().len() <= 1024);
    assert!(asked["actor"]["id"].as_str().unwrap().starts_with("key_"), "names the caller");
}

async fn reads_are_refused_when_their_audit_queue_is_full(backend) {
    let app = audited(backend).await;
    let (org, key) = app.tenant("Acme").await;
    let appended = app.ingest(&key, event("user.login", "fz")).await;
    let id = appended.body["events"][0]["id"].as_str().unwrap().to_owned();
    let gate = app.state.read_gate.clone();
    let held: Vec<_> = (0..gate.capacity()).map(|_| gate.admit().unwrap()).collect();
    let before = app.state.store.head(&org).await.unwrap().size;
    for uri in ["/v1/events".to_owned(), format!("/v1/events/{id}")] {
        let refused = app.get(&uri, &key).await;
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}: {:?}", refused.body);
        assert_eq!(refused.headers.get("retry-after").unwrap(), "1");
        assert!(refused.body.get("events").is_none() && refused.body.get("event").is_none(), "nothing served");
    }
    assert_eq!(app.state.store.head(&org).await.unwrap().size, before, "nothing recorded either");
    drop(held);
    assert_eq!(app.get("/v1/events", &key).await.status, StatusCode::OK);
    assert_eq!(app.state.store.head(&org).await.unwrap().size, before + 1);
}
}
