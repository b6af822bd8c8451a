//! SIEM streams end to end: the API (validation naming fields, write-only secrets, audit events),
//! delivery to a Splunk HEC receiver that implements the protocol (envelopes, gzip, the status
//! and code table, 413, acknowledgement) with injected faults, webhooks checked by an
//! independent verifier, the private-address refusal at connect time, filters, pause, resume
//! and replay, on both backends.

#[macro_use]
mod common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::hec::HecReceiver;
use common::streams::{create, ingest, status};
use common::{Auth, Backend, OPERATOR, TestApp, event};
use serde_json::{Value, json};
use trail_core::Millis;
use trail_server::clock::{Clock, TestClock};
use trail_server::streams::worker::{Outcome, deliver};

const TOKEN: &str = "11111111-2222-3333-4444-555555555555";

async fn hec_stream(app: &TestApp, org: &str, hec: &HecReceiver, extra: Value) -> String {
    let mut body = json!({"name": "Splunk", "kind": "splunk_hec", "url": hec.url(), "token": TOKEN,
        "index": "audit", "sourcetype": "trail:audit"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let reply = create(app, org, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

on_every_backend! {
    async fn hec_receives_every_event_once_in_order(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        ingest(&app, &key, "before", 3).await;
        let hec = HecReceiver::start(TOKEN).await;
        let id = hec_stream(&app, &org, &hec, json!({})).await;
        ingest(&app, &key, "member", 40).await;
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::CaughtUp);
        assert_eq!(hec.seqs(), (3..43).collect::<Vec<u64>>(), "from creation on, in order, once");
        let (first, headers) = {
            let inner = hec.inner.lock().unwrap();
            (inner.envelopes[0].clone(), inner.last_headers.clone().unwrap())
        };
        assert_eq!(first["index"], "audit");
        assert_eq!(first["sourcetype"], "trail:audit");
        assert_eq!(first["source"], "trail");
        assert_eq!(first["host"], "trail.test");
        assert_eq!(first["event"]["action"], "member.e0");
        assert_eq!(first["event"]["seq"], 3);
        assert_eq!(first["fields"]["trail_id"], first["event"]["id"]);
        let time = first["time"].as_f64().unwrap();
        let occurred = Millis::parse_rfc3339(first["event"]["occurred_at"].as_str().unwrap()).unwrap();
        assert!((time * 1000.0 - occurred.0 as f64).abs() < 1.0, "epoch seconds with milliseconds");
        assert_eq!(headers["content-encoding"], "gzip");
        assert_eq!(headers["authorization"], format!("Splunk {TOKEN}"));
        let health = status(&app, &org, &id).await;
        assert_eq!(health["state"], "active");
        assert_eq!(health["cursor"], 43);
        assert_eq!(health["lag_events"], 0);
        assert_eq!(health["events_delivered"], 40);
        assert!(health["bytes_delivered"].as_u64().unwrap() > 0);
        assert!(health["last_success_at"].is_string());
    }

    async fn a_failing_destination_is_retried_with_backoff_then_catches_up(backend) {
        let clock = Arc::new(TestClock::at(Millis::now()));
        let app = TestApp::on_with_clock(backend, |_| {}, clock.clone()).await;
        let (org, key) = app.tenant("Acme").await;
        let hec = HecReceiver::start(TOKEN).await;
        let id = hec_stream(&app, &org, &hec, json!({})).await;
        ingest(&app, &key, "a", 5).await;
        hec.inner.lock().unwrap().plan.extend([(503, 9), (500, 8)]);
        let Outcome::Retrying { at } = deliver(&app.state, &org, &id).await.unwrap() else {
            panic!("503 server busy is retried");
        };
        let health = status(&app, &org, &id).await;
        assert_eq!(health["state"], "retrying");
        assert_eq!(health["last_error"]["status"], 503);
        assert!(health["last_error"]["message"].as_str().unwrap().contains("Server is busy"), "{health}");
        assert_eq!(health["lag_events"], 5);
        assert!(health["oldest_undelivered_at"].is_string());
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Waiting, "not before the backoff");
        clock.set(at);
        assert!(matches!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Retrying { .. }));
        hec.down().await;
        clock.advance_ms(60_000);
        assert!(matches!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Retrying { .. }), "a refused connection is retried");
        hec.up().await;
        ingest(&app, &key, "b", 3).await;
        clock.advance_ms(600_000);
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::CaughtUp);
        assert_eq!(hec.seqs(), (0..8).collect::<Vec<u64>>(), "nothing lost, nothing reordered");
        let health = status(&app, &org, &id).await;
        assert_eq!((health["state"].as_str(), health["attempts"].as_u64()), (Some("active"), Some(0)));
    }

    async fn a_bad_request_stops_the_stream_in_error_until_resumed(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        let hec = HecReceiver::start(TOKEN).await;
        let id = hec_stream(&app, &org, &hec, json!({})).await;
        ingest(&app, &key, "a", 4).await;
        hec.inner.lock().unwrap().plan.push_back((400, 7));
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Stopped);
        let health = status(&app, &org, &id).await;
        assert_eq!(health["state"], "error");
        assert_eq!(health["last_error"]["status"], 400);
        assert!(health["last_error"]["message"].as_str().unwrap().contains("Incorrect index"), "{health}");
        assert_eq!(health["undelivered"], json!({"from_seq": 0, "to_seq": 4}));
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Stopped, "error stays until resumed");
        let resumed = app.post(&format!("/v1/streams/{id}/resume?organization_id={org}"), OPERATOR, json!({})).await;
        assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
        assert_eq!(resumed.body["health"]["state"], "active");
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::CaughtUp);
        assert_eq!(hec.seqs(), vec![0, 1, 2, 3]);
    }

    async fn a_wrong_token_stops_the_stream_and_says_why(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        let hec = HecReceiver::start("another-token").await;
        let id = hec_stream(&app, &org, &hec, json!({})).await;
        ingest(&app, &key, "a", 1).await;
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Stopped);
        let health = status(&app, &org, &id).await;
        assert_eq!(health["last_error"]["status"], 403);
        assert!(health["last_error"]["message"].as_str().unwrap().contains("Invalid token"), "{health}");
    }
}

#[tokio::test]
async fn too_large_batches_are_split_and_still_arrive_in_order() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    hec.inner.lock().unwrap().max_events = Some(7);
    let id = hec_stream(&app, &org, &hec, json!({})).await;
    ingest(&app, &key, "a", 50).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    assert_eq!(hec.seqs(), (0..50).collect::<Vec<u64>>());
    assert!(
        hec.inner.lock().unwrap().requests > 8,
        "413 split the batch"
    );
}

#[tokio::test]
async fn indexer_acknowledgement_uses_a_channel() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    hec.inner.lock().unwrap().ack = true;
    let id = hec_stream(&app, &org, &hec, json!({"ack": true})).await;
    ingest(&app, &key, "a", 5).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    assert_eq!(hec.seqs(), (0..5).collect::<Vec<u64>>());
    let inner = hec.inner.lock().unwrap();
    let channel = inner.last_headers.as_ref().unwrap()["x-splunk-request-channel"]
        .to_str()
        .unwrap();
    assert_eq!(channel.len(), 36, "a GUID: {channel}");
}

#[tokio::test]
async fn retries_past_the_window_stop_in_error_with_the_range_kept() {
    let clock = Arc::new(TestClock::at(Millis::now()));
    let app = TestApp::on_with_clock(
        Backend::Sqlite,
        |s| {
            s.streams.retry_window = std::time::Duration::from_secs(3600);
            s.streams.max_backoff = std::time::Duration::from_secs(600);
        },
        clock.clone(),
    )
    .await;
    let (org, key) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    let id = hec_stream(&app, &org, &hec, json!({})).await;
    ingest(&app, &key, "a", 2).await;
    hec.down().await;
    let mut outcome = deliver(&app.state, &org, &id).await.unwrap();
    let mut attempts = 1;
    while let Outcome::Retrying { at } = outcome {
        clock.set(at);
        outcome = deliver(&app.state, &org, &id).await.unwrap();
        attempts += 1;
        assert!(attempts < 200, "the retry window ends");
    }
    assert_eq!(outcome, Outcome::Stopped);
    let health = status(&app, &org, &id).await;
    assert_eq!(health["state"], "error");
    assert!(
        health["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("gave up"),
        "{health}"
    );
    assert_eq!(health["undelivered"], json!({"from_seq": 0, "to_seq": 2}));
    hec.up().await;
    let replay = app
        .post(
            &format!("/v1/streams/{id}/replay?organization_id={org}"),
            OPERATOR,
            json!({"from_seq": 0}),
        )
        .await;
    assert_eq!(replay.status, StatusCode::OK, "{:?}", replay.body);
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    assert_eq!(hec.seqs(), vec![0, 1]);
}

#[tokio::test]
async fn the_filter_selects_events_and_replay_sends_again() {
    let clock = Arc::new(TestClock::at(Millis::now()));
    let app = TestApp::on_with_clock(Backend::Sqlite, |_| {}, clock.clone()).await;
    let (org, key) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    let id = hec_stream(&app, &org, &hec, json!({"filter": "action:keep.*"})).await;
    ingest(&app, &key, "keep", 3).await;
    ingest(&app, &key, "drop", 3).await;
    clock.advance_ms(10_000);
    let later = clock.now();
    ingest(&app, &key, "keep", 2).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    assert_eq!(hec.seqs(), vec![0, 1, 2, 6, 7]);
    let paused = app
        .post(
            &format!("/v1/streams/{id}/pause?organization_id={org}"),
            OPERATOR,
            json!({}),
        )
        .await;
    assert_eq!(paused.body["health"]["state"], "paused");
    let replay = app
        .post(
            &format!("/v1/streams/{id}/replay?organization_id={org}"),
            OPERATOR,
            json!({"from": later.to_rfc3339()}),
        )
        .await;
    assert_eq!(replay.status, StatusCode::OK, "{:?}", replay.body);
    assert_eq!(
        replay.body["health"]["cursor"], 6,
        "the first event received at or after `from`"
    );
    assert_eq!(replay.body["health"]["state"], "paused");
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::Stopped,
        "paused sends nothing"
    );
    app.post(
        &format!("/v1/streams/{id}/resume?organization_id={org}"),
        OPERATOR,
        json!({}),
    )
    .await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    assert_eq!(hec.seqs(), vec![0, 1, 2, 6, 7, 6, 7]);
    let bad = app
        .post(
            &format!("/v1/streams/{id}/replay?organization_id={org}"),
            OPERATOR,
            json!({"from_seq": 99}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.error_fields()),
        (StatusCode::BAD_REQUEST, vec!["from_seq".to_owned()])
    );
}

#[tokio::test]
async fn private_destinations_are_refused_when_connecting() {
    let app = TestApp::with(|s| s.streams.allow_private_destinations = false).await;
    let (org, key) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    let literal = hec_stream(&app, &org, &hec, json!({})).await;
    let named = hec_stream(
        &app,
        &org,
        &hec,
        json!({"name": "By name", "url": format!("http://localhost:{}", hec.addr.port())}),
    )
    .await;
    ingest(&app, &key, "a", 2).await;
    for id in [&literal, &named] {
        assert_eq!(
            deliver(&app.state, &org, id).await.unwrap(),
            Outcome::Stopped
        );
        let health = status(&app, &org, id).await;
        assert_eq!(health["state"], "error");
        assert!(
            health["last_error"]["message"]
                .as_str()
                .unwrap()
                .contains("allow_private_destinations"),
            "{health}"
        );
    }
    assert_eq!(
        hec.inner.lock().unwrap().requests,
        0,
        "nothing reached the private address"
    );
}

#[tokio::test]
async fn the_api_validates_and_never_returns_secrets() {
    let app = TestApp::with(|s| s.audit.record_changes = true).await;
    let (org, _) = app.tenant("Acme").await;
    let cases = [
        (
            json!({"kind": "splunk_hec", "url": "https://h", "token": "t"}),
            "name",
        ),
        (
            json!({"name": "x", "url": "https://h", "token": "t"}),
            "kind",
        ),
        (
            json!({"name": "x", "kind": "kafka", "url": "https://h"}),
            "kind",
        ),
        (
            json!({"name": "x", "kind": "splunk_hec", "token": "t"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "splunk_hec", "url": "ftp://h", "token": "t"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "splunk_hec", "url": "https://h"}),
            "token",
        ),
        (
            json!({"name": "x", "kind": "splunk_hec", "url": "https://h", "token": "t", "format": "cef"}),
            "format",
        ),
        (
            json!({"name": "x", "kind": "splunk_hec", "url": "https://h", "token": "t", "secret": "whsec_x"}),
            "secret",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://h", "secret": "nope"}),
            "secret",
        ),
        (
            json!({"name": "x", "kind": "syslog", "url": "tcp://h"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "syslog", "url": "tcp://h:514", "facility": 40}),
            "facility",
        ),
        (
            json!({"name": "x", "kind": "syslog", "url": "tcp://h:514", "app_name": "has space"}),
            "app_name",
        ),
        (
            json!({"name": "x", "kind": "webhook", "url": "https://h", "unknown": 1}),
            "unknown",
        ),
    ];
    for (body, field) in cases {
        let reply = create(&app, &org, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.error_fields(),
            vec![field.to_owned()],
            "{body}: {:?}",
            reply.body
        );
    }
    let bad_filter = create(
        &app,
        &org,
        json!({"name": "x", "kind": "webhook", "url": "https://h", "filter": "acton:member.*"}),
    )
    .await;
    assert_eq!(
        (bad_filter.status, bad_filter.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    assert!(
        app.state.store.list_streams(&org).await.unwrap().is_empty(),
        "no partial writes"
    );

    let hook = create(
        &app,
        &org,
        json!({"name": "Hook", "kind": "webhook", "url": "https://hooks.example.com/t"}),
    )
    .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{:?}", hook.body);
    let secret = hook.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "generated and shown once");
    let id = hook.body["id"].as_str().unwrap();
    let again = app
        .get(&format!("/v1/streams/{id}?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(again.body["secret_set"], true);
    assert!(again.body.get("secret").is_none());
    let hec = create(&app, &org, json!({"name": "Splunk", "kind": "splunk_hec", "url": "https://splunk.example.com:8088", "token": "hec-secret-token"})).await;
    assert_eq!(hec.status, StatusCode::CREATED, "{:?}", hec.body);
    let taken = create(
        &app,
        &org,
        json!({"name": "Splunk", "kind": "webhook", "url": "https://h"}),
    )
    .await;
    assert_eq!(
        (taken.status, taken.error_fields()),
        (StatusCode::CONFLICT, vec!["name".to_owned()])
    );
    let hec_id = hec.body["id"].as_str().unwrap();
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v1/streams/{hec_id}?organization_id={org}"),
            &Auth::Bearer(OPERATOR.into()),
            Some(&json!({"token": "rotated-token", "format": "ocsf", "kind": "webhook"})),
        )
        .await;
    assert_eq!(
        patched.error_fields(),
        vec!["kind".to_owned()],
        "the kind cannot change"
    );
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v1/streams/{hec_id}?organization_id={org}"),
            &Auth::Bearer(OPERATOR.into()),
            Some(&json!({"token": "rotated-token", "format": "ocsf"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["format"], "ocsf");
    let rotated = app
        .call(
            Method::PATCH,
            &format!("/v1/streams/{id}?organization_id={org}"),
            &Auth::Bearer(OPERATOR.into()),
            Some(&json!({"rotate_secret": true})),
        )
        .await;
    let new_secret = rotated.body["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let stored = app.state.store.get_stream(&org, id).await.unwrap().stream;
    assert_eq!(
        stored.secrets["secrets"].as_array().unwrap().len(),
        2,
        "the old secret signs during the overlap"
    );

    let listed = app
        .get(&format!("/v1/streams?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(listed.body["streams"].as_array().unwrap().len(), 2);
    let everything = format!("{} {} {}", listed.body, patched.body, again.body);
    for secret_text in ["hec-secret-token", "rotated-token", &secret[6..]] {
        assert!(!everything.contains(secret_text), "{secret_text} leaked");
    }
    let audit = app
        .get(
            &format!("/v1/events?organization_id={org}&q=area:trail&limit=100"),
            OPERATOR,
        )
        .await;
    let actions: Vec<&str> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["trail.stream.created", "trail.stream.updated"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
    let audit_text = audit.body.to_string();
    for secret_text in [
        "hec-secret-token",
        "rotated-token",
        &secret[6..],
        &new_secret[6..],
    ] {
        assert!(
            !audit_text.contains(secret_text),
            "{secret_text} in the audit trail"
        );
    }
    let deleted = app
        .delete(&format!("/v1/streams/{id}?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app
        .get(&format!("/v1/streams/{id}?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_test_event_is_marked_and_reports_failures() {
    let app = TestApp::new().await;
    let (org, _) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    let id = hec_stream(&app, &org, &hec, json!({"format": "ocsf"})).await;
    let sent = app
        .post(
            &format!("/v1/streams/{id}/test?organization_id={org}"),
            OPERATOR,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    assert_eq!(sent.body["delivered"], true);
    let envelope = hec.inner.lock().unwrap().envelopes[0].clone();
    assert_eq!(
        envelope["event"]["metadata"]["event_code"],
        "trail.stream.test"
    );
    assert_eq!(envelope["event"]["unmapped"]["metadata"]["test"], true);
    hec.inner.lock().unwrap().plan.push_back((503, 9));
    let failed = app
        .post(
            &format!("/v1/streams/{id}/test?organization_id={org}"),
            OPERATOR,
            json!({}),
        )
        .await;
    assert_eq!(
        (
            failed.body["delivered"].as_bool(),
            failed.body["status"].as_u64()
        ),
        (Some(false), Some(503))
    );
    assert_eq!(
        status(&app, &org, &id).await["cursor"],
        0,
        "a test moves no cursor"
    );
}

/// The formats a HEC stream can carry each hold the event's id and seq.
#[tokio::test]
async fn every_format_carries_id_and_seq() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    for format in ["trail", "ocsf", "ecs"] {
        hec_stream(&app, &org, &hec, json!({"name": format, "format": format})).await;
    }
    ingest(&app, &key, "user", 1).await;
    for record in app.state.store.list_streams(&org).await.unwrap() {
        deliver(&app.state, &org, &record.stream.id).await.unwrap();
    }
    let inner = hec.inner.lock().unwrap();
    let text: Vec<String> = inner
        .envelopes
        .iter()
        .map(|e| e["event"].to_string())
        .collect();
    let id = inner.envelopes[0]["fields"]["trail_id"].as_str().unwrap();
    assert_eq!(text.len(), 3);
    for t in &text {
        assert!(t.contains(id), "{t}");
    }
    let by_format: Vec<&Value> = inner.envelopes.iter().map(|e| &e["event"]).collect();
    let ocsf = by_format
        .iter()
        .find(|e| e.get("class_uid").is_some())
        .unwrap();
    assert_eq!(ocsf["metadata"]["sequence"], 0);
    assert_eq!(
        ocsf["type_uid"],
        ocsf["class_uid"].as_u64().unwrap() * 100 + ocsf["activity_id"].as_u64().unwrap()
    );
    let ecs = by_format.iter().find(|e| e.get("ecs").is_some()).unwrap();
    assert_eq!(
        (
            ecs["event"]["id"].as_str(),
            ecs["event"]["sequence"].as_u64()
        ),
        (Some(id), Some(0))
    );
}

/// What a webhook receiver got: headers and body of each request.
type Received = Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;

async fn webhook_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let kept = kept.clone();
                async move {
                    kept.lock().unwrap().push((headers, body.to_vec()));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// Checks a Standard Webhooks signature with Python's standard library (an implementation
/// independent of Trail's), and with the `standardwebhooks` package when it is installed.
fn verify_in_python(secret: &str, headers: &axum::http::HeaderMap, body: &[u8]) -> bool {
    let script = r#"
import base64, hashlib, hmac, json, sys
secret, msg_id, ts, sigs = sys.argv[1:5]
body = sys.stdin.buffer.read()
key = base64.b64decode(secret.removeprefix("whsec_"))
want = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
ok = any(s.split(",", 1)[1] == want for s in sigs.split(" "))
try:
    from standardwebhooks.webhooks import Webhook
except ImportError:
    print("standardwebhooks: SKIPPED (pip install standardwebhooks)", file=sys.stderr)
else:
    try:
        Webhook(secret).verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sigs})
        library_ok = True
    except Exception:
        library_ok = False
    if library_ok != ok:
        print("standardwebhooks disagrees with the stdlib check", file=sys.stderr)
        sys.exit(2)
sys.exit(0 if ok else 1)
"#;
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            script,
            secret,
            &header("webhook-id"),
            &header("webhook-timestamp"),
            &header("webhook-signature"),
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(body).unwrap();
    let code = child.wait().unwrap().code();
    assert!(
        matches!(code, Some(0 | 1)),
        "the verifiers disagree or failed: {code:?}"
    );
    code == Some(0)
}

#[tokio::test]
async fn webhooks_are_signed_per_standard_webhooks_during_a_rotation_too() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let (url, received) = webhook_receiver().await;
    let old = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let hook = create(
        &app,
        &org,
        json!({"name": "Hook", "kind": "webhook", "url": url, "secret": old, "format": "ecs"}),
    )
    .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{:?}", hook.body);
    assert!(
        hook.body.get("secret").is_none(),
        "a given secret is not echoed"
    );
    let id = hook.body["id"].as_str().unwrap().to_owned();
    ingest(&app, &key, "a", 3).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    let rotated = app
        .call(
            Method::PATCH,
            &format!("/v1/streams/{id}?organization_id={org}"),
            &Auth::Bearer(OPERATOR.into()),
            Some(&json!({"rotate_secret": true})),
        )
        .await;
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    ingest(&app, &key, "b", 2).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 2);
    let (headers, body) = &received[0];
    let message: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(message["type"], "trail.events");
    let seqs: Vec<u64> = message["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![0, 1, 2]);
    assert!(headers["webhook-id"].to_str().unwrap().starts_with("msg_"));
    assert!(verify_in_python(old, headers, body));
    let (headers, body) = &received[1];
    assert_eq!(
        headers["webhook-signature"]
            .to_str()
            .unwrap()
            .split(' ')
            .count(),
        2
    );
    assert!(verify_in_python(&new, headers, body), "the new secret");
    assert!(
        verify_in_python(old, headers, body),
        "the old secret during the overlap"
    );
    assert!(!verify_in_python(
        "whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldCEh",
        headers,
        body
    ));
}

/// A real server (background jobs running) stopped while its destination is down and events
/// wait, then started again on the same data directory: the receiver ends with every event,
/// first copies in order.
#[tokio::test]
async fn a_restart_mid_delivery_loses_and_reorders_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hec = HecReceiver::start(TOKEN).await;
    let start = || async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut settings = trail_server::Settings::for_tests(dir.path(), OPERATOR);
        settings.streams.batch_events = 7;
        trail_server::spawn(settings, listener).await.unwrap()
    };
    let client = reqwest::Client::new();
    let server = start().await;
    let base = server.url();
    let org: Value = client
        .post(format!("{base}/v1/organizations"))
        .bearer_auth(OPERATOR)
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = org["id"].as_str().unwrap().to_owned();
    let made = client
        .post(format!("{base}/v1/streams"))
        .bearer_auth(OPERATOR)
        .json(&json!({"organization_id": org, "name": "Splunk", "kind": "splunk_hec", "url": hec.url(), "token": TOKEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let send = |base: String, from: usize| {
        let (client, org) = (client.clone(), org.clone());
        async move {
            for batch in 0..5 {
                let events: Vec<Value> = (0..10)
                    .map(|i| event(&format!("e.n{}", from + batch * 10 + i), "alice"))
                    .collect();
                let reply = client
                    .post(format!("{base}/v1/events?organization_id={org}"))
                    .bearer_auth(OPERATOR)
                    .json(&events)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reply.status(), StatusCode::OK);
            }
        }
    };
    let until_delivered = |n: usize| {
        let hec = hec.clone();
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let mut seen = hec.seqs();
                seen.sort_unstable();
                seen.dedup();
                if seen.len() >= n {
                    return;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{} of {n} delivered",
                    seen.len()
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    send(base.clone(), 0).await;
    until_delivered(50).await;
    hec.down().await;
    send(base.clone(), 50).await;
    server.stop().await.unwrap();
    assert_eq!(hec.seqs().len(), 50, "the second half waits");
    hec.up().await;
    let server = start().await;
    send(server.url(), 100).await;
    until_delivered(150).await;
    server.stop().await.unwrap();
    let seqs = hec.seqs();
    let mut firsts = Vec::new();
    for seq in &seqs {
        if !firsts.contains(seq) {
            firsts.push(*seq);
        }
    }
    assert_eq!(
        firsts,
        (0..150).collect::<Vec<u64>>(),
        "first copies in order: {seqs:?}"
    );
}

/// The pull API for SIEMs that poll: `sort=seq&order=asc` pages linked by `Link: rel="next"`,
/// the last page's cursor kept for the next poll, and an event that arrives late (an old
/// `occurred_at`) still read once, after what was read before.
#[tokio::test]
async fn polling_by_seq_follows_links_and_never_skips_a_late_event() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    ingest(&app, &key, "a", 5).await;
    let mut url = format!("/v1/events?organization_id={org}&sort=seq&order=asc&limit=2");
    let mut read = Vec::new();
    let poll = |url: String| {
        let app = app.clone();
        async move {
            let reply = app.get(&url, OPERATOR).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            let link = reply.headers["link"].to_str().unwrap().to_owned();
            let next = link
                .strip_prefix('<')
                .and_then(|l| l.strip_suffix(">; rel=\"next\""))
                .unwrap_or_else(|| panic!("{link}"))
                .to_owned();
            let seqs: Vec<u64> = reply.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_u64().unwrap())
                .collect();
            assert_eq!(
                reply.body["poll_cursor"]
                    .as_str()
                    .map(|c| next.ends_with(&format!("cursor={c}"))),
                Some(true)
            );
            (seqs, next)
        }
    };
    for _ in 0..4 {
        let (seqs, next) = poll(url.clone()).await;
        read.extend(seqs);
        url = next;
    }
    assert_eq!(read, vec![0, 1, 2, 3, 4]);
    let last = app.get(&url, OPERATOR).await;
    assert_eq!(
        last.body["next_cursor"],
        Value::Null,
        "the last page says so, as in every order"
    );
    let late = common::at(event("late.arrival", "alice"), "2020-01-01T00:00:00Z");
    assert_eq!(app.ingest(&key, late).await.status, StatusCode::OK);
    ingest(&app, &key, "b", 1).await;
    let (seqs, _) = poll(url.clone()).await;
    assert_eq!(seqs, vec![5, 6], "the late event is not skipped");
}

/// Against a real Splunk when `SPLUNK_HEC_URL` and `SPLUNK_HEC_TOKEN` are set (SKIPPED
/// otherwise): three events are accepted and the stream is caught up and active.
#[tokio::test]
async fn a_real_splunk_accepts_the_stream() {
    let (Ok(url), Ok(token)) = (
        std::env::var("SPLUNK_HEC_URL"),
        std::env::var("SPLUNK_HEC_TOKEN"),
    ) else {
        eprintln!("SKIPPED: set SPLUNK_HEC_URL and SPLUNK_HEC_TOKEN to test against a real Splunk");
        return;
    };
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let reply = create(
        &app,
        &org,
        json!({"name": "Splunk", "kind": "splunk_hec", "url": url, "token": token}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    ingest(&app, &key, "trail.splunk_test", 3).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    let health = status(&app, &org, &id).await;
    assert_eq!(
        (
            health["state"].as_str(),
            health["events_delivered"].as_u64()
        ),
        (Some("active"), Some(3))
    );
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_and_open_only_with_the_servers_key() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let hec = HecReceiver::start(TOKEN).await;
    let id = hec_stream(&app, &org, &hec, json!({})).await;
    let stored = app.state.store.get_stream(&org, &id).await.unwrap().stream;
    let raw = stored.secrets.to_string();
    assert!(!raw.contains(TOKEN) && raw.contains("sealed:v1:"), "{raw}");
    // Nowhere in the data directory (database, WAL) is the token in clear.
    let dir = &app.state.settings.data_dir;
    let key_file = dir.join("stream-secrets.key");
    assert!(key_file.exists(), "the key is generated on first start");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                "{} holds the token in clear",
                path.display()
            );
        }
    }
    ingest(&app, &key, "a", 2).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    assert_eq!(hec.seqs(), vec![0, 1], "the sink opens the token to send");

    // A key that does not open the secrets (another key file) stops the stream with the reason.
    let other = trail_server::streams::sealing::Sealer::new(&[9; 32]);
    let error = other.open(&stored).unwrap_err();
    assert!(error.contains("streams.secrets_key_file"), "{error}");
}
