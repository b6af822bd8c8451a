//! Authentication, scopes, API-key lifecycle and tenant isolation: a key of one organization sees
//! nothing of another (404, never 403, for its ids).

mod common;

use axum::http::{Method, StatusCode};
use common::{OPERATOR, TestApp, event};
use serde_json::json;

#[tokio::test]
async fn missing_malformed_and_unknown_credentials_are_401() {
    let app = TestApp::new().await;
    let none = app
        .raw(Method::GET, "/v1/events", None, "application/json", vec![])
        .await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let wrong = app.get("/v1/events", "trail_not_a_real_key").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let basic = app
        .raw(Method::GET, "/v1/events", None, "application/json", vec![])
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn scopes_limit_what_a_key_may_do() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let writer = app.key(&org, &["events:write"]).await;
    let reader = app.key(&org, &["events:read"]).await;
    assert_eq!(
        app.ingest(&writer, event("a.b", "u")).await.status,
        StatusCode::OK
    );
    let denied = app.get("/v1/events", &writer).await;
    assert_eq!(
        (denied.status, denied.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        app.ingest(&reader, event("a.b", "u")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/v1/events", &reader).await.status, StatusCode::OK);
    // Only admin keys manage keys; organization keys never create organizations.
    let no_admin = app
        .post(
            "/v1/api-keys",
            &reader,
            json!({"name": "x", "scopes": ["events:read"]}),
        )
        .await;
    assert_eq!(no_admin.status, StatusCode::FORBIDDEN);
    let admin = app.key(&org, &["admin"]).await;
    assert_eq!(
        app.post("/v1/organizations", &admin, json!({"name": "Evil"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn keys_are_shown_once_listed_without_secret_and_stop_working_when_revoked() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let created = app
        .post("/v1/api-keys", OPERATOR, json!({"organization_id": org, "name": "ci", "scopes": ["events:read", "events:write"]}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("trail_"));
    let id = created.body["id"].as_str().unwrap().to_owned();

    let list = app
        .get(&format!("/v1/api-keys?organization_id={org}"), OPERATOR)
        .await;
    let text = list.body.to_string();
    assert!(!text.contains(&secret), "the secret must never be listed");
    assert_eq!(
        list.body["api_keys"][0]["prefix"].as_str().unwrap(),
        &secret[..12]
    );

    assert_eq!(app.get("/v1/events", &secret).await.status, StatusCode::OK);
    let revoked = app
        .delete(
            &format!("/v1/api-keys/{id}?organization_id={org}"),
            OPERATOR,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{:?}", revoked.body);
    assert!(revoked.body["revoked_at"].is_string());
    let after = app.get("/v1/events", &secret).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(
        after.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
}

#[tokio::test]
async fn bad_key_requests_name_the_field() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let cases = [
        (
            json!({"organization_id": org, "name": "x", "scopes": ["events:destroy"]}),
            "scopes[0]",
        ),
        (
            json!({"organization_id": org, "name": "x", "scopes": []}),
            "scopes",
        ),
        (
            json!({"organization_id": org, "name": "", "scopes": ["admin"]}),
            "name",
        ),
        (
            json!({"organization_id": org, "name": "x", "scopes": ["admin"], "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"organization_id": org, "name": "x", "scopes": ["admin"], "colour": 1}),
            "colour",
        ),
        (json!({"organization_id": org, "scopes": ["admin"]}), "name"),
    ];
    for (body, field) in cases {
        let reply = app.post("/v1/api-keys", OPERATOR, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_fields(), [field], "{:?}", reply.body);
    }
}

#[tokio::test]
async fn expired_keys_are_refused() {
    use trail_server::clock::Clock as _;
    let clock = trail_server::clock::TestClock::starting_now();
    let app = TestApp::on_with_clock(
        common::Backend::Sqlite,
        |_| {},
        std::sync::Arc::new(clock.clone()),
    )
    .await;
    let org = app.org("Acme").await;
    // `expires_at` must be in the future by the wall clock too (the body is validated with it).
    let soon = clock.now().plus_ms(60_000).to_rfc3339();
    let created = app.post("/v1/api-keys", OPERATOR, json!({"organization_id": org, "name": "x", "scopes": ["events:read"], "expires_at": soon})).await;
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/events", &secret).await.status, StatusCode::OK);
    clock.advance_ms(60_001);
    let expired = app.get("/v1/events", &secret).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(
        expired.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn one_organization_sees_nothing_of_another() {
    let app = TestApp::new().await;
    let (acme, acme_key) = app.tenant("Acme").await;
    let (_globex, globex_key) = app.tenant("Globex").await;
    let acked = app.ingest(&acme_key, event("secret.thing", "alice")).await;
    let id = acked.body["events"][0]["id"].as_str().unwrap().to_owned();

    let by_id = app.get(&format!("/v1/events/{id}"), &globex_key).await;
    assert_eq!(by_id.status, StatusCode::NOT_FOUND, "404, not 403");
    let naming_other = app
        .get(&format!("/v1/events?organization_id={acme}"), &globex_key)
        .await;
    assert_eq!(naming_other.status, StatusCode::NOT_FOUND);
    let other_org = app
        .get(&format!("/v1/organizations/{acme}"), &globex_key)
        .await;
    assert_eq!(other_org.status, StatusCode::NOT_FOUND);
    let writing_other = app
        .raw(
            Method::POST,
            &format!("/v1/events?organization_id={acme}"),
            Some(&globex_key),
            "application/json",
            event("a.b", "x").to_string().into_bytes(),
        )
        .await;
    assert_eq!(writing_other.status, StatusCode::NOT_FOUND);
    let search = app.get("/v1/events?q=secret", &globex_key).await;
    assert_eq!(search.body["events"], json!([]));
    assert_eq!(app.count(&globex_key, "").await, 0);
    let facets = app.get("/v1/events/facets?field=action", &globex_key).await;
    assert_eq!(facets.body["values"], json!([]));
    let orgs = app.get("/v1/organizations", &globex_key).await;
    assert_eq!(orgs.body["organizations"].as_array().unwrap().len(), 1);
    // The owner still sees it.
    assert_eq!(
        app.get(&format!("/v1/events/{id}"), &acme_key).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_operator_must_name_an_existing_organization() {
    let app = TestApp::new().await;
    let (org, _) = app.tenant("Acme").await;
    let unnamed = app.get("/v1/events", OPERATOR).await;
    assert_eq!(unnamed.status, StatusCode::BAD_REQUEST);
    assert_eq!(unnamed.error_fields(), ["organization_id"]);
    let unknown = app
        .get("/v1/events?organization_id=org_nope", OPERATOR)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/v1/events?organization_id={org}"), OPERATOR)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn organizations_validate_their_name() {
    let app = TestApp::new().await;
    let reply = app
        .post("/v1/organizations", OPERATOR, json!({"name": "  "}))
        .await;
    assert_eq!(
        (reply.status, reply.error_fields()),
        (StatusCode::BAD_REQUEST, vec!["name".to_owned()])
    );
    let reply = app.post("/v1/organizations", OPERATOR, json!({})).await;
    assert_eq!(reply.error_fields(), ["name"]);
}
