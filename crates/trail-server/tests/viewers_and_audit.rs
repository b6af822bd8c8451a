//! Viewer tokens (minted, narrowed, read-only, refused when expired or tampered with) and the
//! audit trail of the auditors: reads and changes recorded in the organization's own log.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use common::{Auth, TestApp, event};
use serde_json::{Value, json};
use trail_core::Millis;
use trail_server::viewer_tokens::ViewerClaims;

fn actors(reply: &common::Reply) -> Vec<String> {
    let mut ids: Vec<String> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"]["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn viewer_tokens_embed_a_narrowed_read_only_view() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let (other, _) = app.tenant("Other").await;
    let mut scan = event("scan.started", "alice");
    scan["area"] = json!("scans");
    for body in [
        event("member.invited", "alice"),
        scan,
        event("member.invited", "bob"),
    ] {
        app.ingest(&key, body).await;
    }
    let admin = app.key(&org, &["admin"]).await;
    let minted = app
        .post(
            "/v1/viewer-tokens",
            &admin,
            json!({"actor": "alice", "areas": ["member"], "expires_in": 600}),
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED, "{:?}", minted.body);
    let token = minted.body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("trail_vt_"));
    let seen = app.get("/v1/events", &token).await;
    assert_eq!(actors(&seen), ["alice"], "one actor, one area");
    let bobs = app.get("/v1/events?q=actor.id:bob", &key).await.body["events"][0]["id"].clone();
    let hidden = app
        .get(&format!("/v1/events/{}", bobs.as_str().unwrap()), &token)
        .await;
    assert_eq!(
        hidden.status,
        StatusCode::NOT_FOUND,
        "an event outside the token's limits"
    );
    assert_eq!(seen.body["events"][0]["area"], "member");
    assert_eq!(
        app.get("/v1/events/count?q=actor:bob", &token).await.body["count"],
        0
    );
    // Read-only, and bound to its organization.
    assert_eq!(
        app.ingest(&token, event("a.b", "x")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/v1/members", &token).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/v1/viewer-tokens", &token, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let elsewhere = app
        .get(&format!("/v1/events?organization_id={other}"), &token)
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let me = app.get("/v1/me", &token).await;
    assert_eq!(
        (me.body["kind"].as_str(), me.body["actor"].as_str()),
        (Some("viewer_token"), Some("alice"))
    );

    // Tampered: the claims re-encoded without the actor limit, the old signature kept.
    let (payload, signature) = token
        .trim_start_matches("trail_vt_")
        .split_once('.')
        .unwrap();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&engine.decode(payload).unwrap()).unwrap();
    claims.as_object_mut().unwrap().remove("actor");
    let forged = format!("trail_vt_{}.{signature}", engine.encode(claims.to_string()));
    let refused = app.get("/v1/events", &forged).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        !refused.body.to_string().contains(&forged),
        "tokens are never echoed"
    );

    let expired = app.state.viewer_keys.sign(&ViewerClaims {
        org: org.clone(),
        iat: 0,
        exp: Millis::now().plus_ms(-1).0,
        actor: None,
        resource: None,
        areas: None,
        export: false,
        viewer: None,
    });
    let gone = app.get("/v1/events", &expired).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    assert!(
        gone.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    for (body, field) in [
        (json!({"expires_in": 0}), "expires_in"),
        (json!({"expires_in": 86_401}), "expires_in"),
        (json!({"areas": []}), "areas"),
        (json!({"actor": " "}), "actor"),
    ] {
        let reply = app.post("/v1/viewer-tokens", &admin, body.clone()).await;
        assert_eq!(reply.error_fields(), [field], "{body}");
    }
    let reader = app.key(&org, &["events:read"]).await;
    assert_eq!(
        app.post("/v1/viewer-tokens", &reader, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// Waits (with a deadline) until `q` matches `n` events, then returns them: reads are recorded
/// in the background. Polls with `count`, which is not itself recorded.
async fn await_count(app: &TestApp, key: &str, q: &str, n: u64) -> common::Reply {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count(key, &format!("q={q}")).await < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.get(&format!("/v1/events?q={q}&limit=100"), key).await
}

on_every_backend! {
    async fn the_auditors_are_audited(backend) {
        let app = TestApp::on_with(backend, |s| s.audit = trail_server::config::AuditSettings::default()).await;
        let org = app.org("Acme").await;
        let audit_key = app.key(&org, &["events:read"]).await;
        app.add_member(&org, "alice@example.com", "owner").await;
        let alice = Auth::Session(app.login("alice@example.com", None).await);

        let added = app.call(Method::POST, "/v1/members", &alice,
            Some(&json!({"email": "bob@example.com", "name": "Bob", "role": "member", "password": common::PASSWORD}))).await;
        let bob = added.body["id"].as_str().unwrap().to_owned();
        app.call(Method::PATCH, &format!("/v1/members/{bob}"), &alice, Some(&json!({"role": "security_analyst"}))).await;
        app.call(Method::GET, "/v1/events?q=action:secret.*", &alice, None).await;

        let changes = await_count(&app, &audit_key, "action:trail.member.*", 3).await;
        let events = changes.body["events"].as_array().unwrap();
        let by_action = |action: &str| events.iter().find(|e| e["action"] == action && e["actor"]["email"] == "alice@example.com");
        let updated = by_action("trail.member.updated").expect("role change recorded");
        assert_eq!(updated["source"], "web_ui");
        assert_eq!(updated["area"], "trail");
        assert_eq!(updated["actor"]["role"], "Owner");
        assert_eq!(updated["resource"]["id"], json!(bob));
        assert_eq!(updated["changes"], json!([{"field": "role", "old": "member", "new": "security_analyst"}]));
        assert!(by_action("trail.member.added").is_some());

        let searched = await_count(&app, &audit_key, "action:trail.events.searched%20actor.email:alice@example.com", 1).await;
        assert_eq!(searched.body["events"][0]["metadata"]["q"], "action:secret.*");
        // The operator's key management is recorded with source `api`.
        app.key(&org, &["events:write"]).await;
        let keys = await_count(&app, &audit_key, "action:trail.api_key.created", 2).await;
        assert_eq!(keys.body["events"][0]["source"], "api");
        assert_eq!(keys.body["events"][0]["actor"]["type"], "system");
        assert!(!keys.body.to_string().contains("trail_"), "no secret in audit events: {}", keys.body);
    }
}

#[tokio::test]
async fn later_pages_of_a_search_are_not_recorded_again() {
    let app = TestApp::with(|s| s.audit = trail_server::config::AuditSettings::default()).await;
    let (org, key) = app.tenant("Acme").await;
    for i in 0..3 {
        app.ingest(&key, event("doc.edited", &format!("user{i}")))
            .await;
    }
    let first = app
        .get("/v1/events?q=action:doc.edited&limit=1", &key)
        .await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    app.get(
        &format!("/v1/events?q=action:doc.edited&limit=1&cursor={cursor}"),
        &key,
    )
    .await;
    app.get("/v1/events?q=action:other", &key).await;
    // The second page was requested before the last search: once that one is recorded, a
    // record of the page would be too.
    let recorded = await_count(&app, &key, "action:trail.events.searched", 2).await;
    let queries: Vec<&Value> = recorded.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["metadata"]["q"])
        .collect();
    assert_eq!(
        queries,
        [&json!("action:other"), &json!("action:doc.edited")],
        "{org}"
    );
}
