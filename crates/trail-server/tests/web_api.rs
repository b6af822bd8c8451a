//! The routes the web app needs beyond search: saved views (CRUD, visibility, one default, audit
//! events), the histogram (buckets add up to the count, a Member sees only their own), the live
//! stream (new matching events, `Last-Event-ID` resume) and the `trail.session.*` audit events.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Auth, OPERATOR, PASSWORD, TestApp, event};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn actions(reply: &common::Reply) -> Vec<String> {
    reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

on_every_backend! {
    async fn saved_views_are_personal_or_shared_and_audited(backend) {
        let app = TestApp::on_with(backend, |s| s.audit.record_changes = true).await;
        let org = app.org("Acme").await;
        app.add_member(&org, "alice@example.com", "security_analyst").await;
        app.add_member(&org, "bob@example.com", "security_analyst").await;
        let alice = Auth::Session(app.login("alice@example.com", None).await);
        let bob = Auth::Session(app.login("bob@example.com", None).await);
        let made = app.call(Method::POST, "/v1/views", &alice,
            Some(&json!({"name": "Logins", "filters": {"q": "action:user.login"}, "is_default": true}))).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        let personal = made.body["id"].as_str().unwrap().to_owned();
        assert!(personal.starts_with("view_"));
        assert_eq!(made.body["filters"]["q"], "action:user.login");
        let shared = app.call(Method::POST, "/v1/views", &alice,
            Some(&json!({"name": "Admins", "shared": true, "is_default": true}))).await;
        let shared = shared.body["id"].as_str().unwrap().to_owned();

        let mine = app.call(Method::GET, "/v1/views", &alice, None).await;
        let names: Vec<_> = mine.body["views"].as_array().unwrap().iter().map(|v| (v["name"].as_str().unwrap().to_owned(), v["is_default"].as_bool().unwrap())).collect();
        assert_eq!(names, [("Admins".to_owned(), true), ("Logins".to_owned(), false)], "one default per owner");
        let theirs = app.call(Method::GET, "/v1/views", &bob, None).await;
        let ids: Vec<_> = theirs.body["views"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, std::slice::from_ref(&shared));
        assert_eq!(app.call(Method::GET, &format!("/v1/views/{personal}"), &bob, None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.call(Method::PATCH, &format!("/v1/views/{shared}"), &bob, Some(&json!({"name": "Mine now"}))).await.status, StatusCode::FORBIDDEN);
        let bad = app.call(Method::POST, "/v1/views", &alice, Some(&json!({"name": ""}))).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.body["error"]["details"][0]["field"], "name");

        let renamed = app.call(Method::PATCH, &format!("/v1/views/{shared}"), &alice, Some(&json!({"name": "Owners"}))).await;
        assert_eq!(renamed.body["name"], "Owners", "{}", renamed.body);
        assert_eq!(app.call(Method::DELETE, &format!("/v1/views/{personal}"), &alice, None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(app.call(Method::GET, &format!("/v1/views/{personal}"), &alice, None).await.status, StatusCode::NOT_FOUND);

        let log = app.get(&format!("/v1/events?organization_id={org}&q=action:trail.view.*&order=asc"), OPERATOR).await;
        assert_eq!(actions(&log), ["trail.view.created", "trail.view.created", "trail.view.updated", "trail.view.deleted"]);
        assert_eq!(log.body["events"][2]["changes"][0], json!({"field": "name", "old": "Admins", "new": "Owners"}));
    }

    async fn histogram_buckets_add_up_and_a_member_sees_only_their_own(backend) {
        let app = TestApp::on(backend).await;
        let org = app.org("Acme").await;
        app.add_member(&org, "alice@example.com", "member").await;
        for (actor, n) in [("alice", 3), ("bob", 5)] {
            for _ in 0..n {
                let sent = app.post(&format!("/v1/events?organization_id={org}"), OPERATOR, event("doc.viewed", actor)).await;
                assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
            }
        }
        let all = app.get(&format!("/v1/events/histogram?organization_id={org}&from=24h"), OPERATOR).await;
        assert_eq!(all.status, StatusCode::OK, "{}", all.body);
        assert_eq!(all.body["bucket"], "30m");
        let buckets = all.body["buckets"].as_array().unwrap();
        assert!((48..=49).contains(&buckets.len()), "{}", buckets.len());
        let sum: u64 = buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum();
        assert_eq!(sum, 8);
        assert_eq!(all.body["total"], 8);
        let alice = Auth::Session(app.login("alice@example.com", None).await);
        let own = app.call(Method::GET, "/v1/events/histogram?from=1h", &alice, None).await;
        assert_eq!(own.body["total"], 3, "{}", own.body);
        let narrowed = app.get(&format!("/v1/events/histogram?organization_id={org}&from=1h&q=actor:bob"), OPERATOR).await;
        assert_eq!(narrowed.body["total"], 5);
        let bad = app.get(&format!("/v1/events/histogram?organization_id={org}&q=actr:x"), OPERATOR).await;
        assert_eq!(bad.body["error"]["code"], "invalid_query");
    }

    async fn sign_in_sign_out_and_failures_are_in_the_log(backend) {
        let app = TestApp::on_with(backend, |s| s.audit.record_changes = true).await;
        let org = app.org("Acme").await;
        app.add_member(&org, "alice@example.com", "owner").await;
        let wrong = app.call(Method::POST, "/v1/auth/login", &Auth::None,
            Some(&json!({"email": "alice@example.com", "password": "not the password"}))).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let session = app.login("alice@example.com", None).await;
        let out = app.call(Method::POST, "/v1/auth/logout", &Auth::Session(session), None).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        let log = app.get(&format!("/v1/events?organization_id={org}&q=action:trail.session.*&order=asc"), OPERATOR).await;
        assert_eq!(actions(&log), ["trail.session.failed", "trail.session.created", "trail.session.ended"]);
        let events = log.body["events"].as_array().unwrap();
        assert_eq!(events[0]["outcome"], "failure");
        assert_eq!(events[1]["actor"]["email"], "alice@example.com");
        assert_eq!(events[1]["source"], "web_ui");
        assert_ne!(PASSWORD, "not the password");
    }
}

/// Reads the stream until `want` events arrived (or the deadline passes); returns them and the
/// last `id:` line.
async fn read_stream(body: &mut Body, want: usize) -> (Vec<Value>, Option<String>) {
    let mut text = String::new();
    let mut events = Vec::new();
    let mut last_id = None;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while events.len() < want {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .expect("events arrive before the deadline")
            .expect("the stream stays open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            for line in block.lines() {
                if let Some(id) = line.strip_prefix("id: ") {
                    last_id = Some(id.to_owned());
                }
                if let Some(data) = line.strip_prefix("data: ")
                    && block.contains("event: events")
                {
                    events.extend(serde_json::from_str::<Vec<Value>>(data).unwrap());
                }
            }
        }
    }
    (events, last_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_new_matching_events_and_resumes_after_the_last_id() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let send = |action: &'static str| {
        let app = &app;
        let org = org.clone();
        async move {
            app.post(
                &format!("/v1/events?organization_id={org}"),
                OPERATOR,
                event(action, "alice"),
            )
            .await
        }
    };
    send("before.stream").await;
    let open = |last_id: Option<String>| {
        let mut request = Request::get(format!(
            "/v1/events/stream?organization_id={org}&q=action:member.*"
        ))
        .header("authorization", format!("Bearer {OPERATOR}"));
        if let Some(id) = last_id {
            request = request.header("last-event-id", id);
        }
        app.router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
    };
    let response = open(None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    send("other.thing").await;
    send("member.invited").await;
    let (events, last_id) = read_stream(&mut body, 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "member.invited");
    assert_eq!(last_id.as_deref(), Some("2"));
    drop(body);
    send("member.removed").await;
    let resumed = open(last_id).await.unwrap();
    let (events, _) = read_stream(&mut resumed.into_body(), 1).await;
    assert_eq!(
        events[0]["action"], "member.removed",
        "missed nothing while away"
    );
    let bad = app
        .router
        .clone()
        .oneshot(
            Request::get(format!("/v1/events/stream?organization_id={org}"))
                .header("authorization", format!("Bearer {OPERATOR}"))
                .header("last-event-id", "x")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
