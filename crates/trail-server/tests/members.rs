//! Members, roles and sessions: signing in (cookie, CSRF, expiry, rate limits), `GET /v1/me`,
//! the one-owner rule, several organizations per account, custom roles, and a member seeing
//! only their own activity.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::{Auth, OPERATOR, PASSWORD, TestApp, event};
use serde_json::{Value, json};
use trail_core::{Millis, ids};

fn ids_of(reply: &common::Reply) -> Vec<String> {
    let mut actors: Vec<String> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"]["id"].as_str().unwrap().to_owned())
        .collect();
    actors.sort();
    actors
}

on_every_backend! {
    async fn members_sign_in_see_who_they_are_and_sign_out(backend) {
        let app = TestApp::on(backend).await;
        let org = app.org("Acme").await;
        let alice = app.add_member(&org, "alice@example.com", "owner").await;
        let login = app
            .call(Method::POST, "/v1/auth/login", &Auth::None,
                Some(&json!({"email": "ALICE@example.com", "password": PASSWORD})))
            .await;
        assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
        let cookies: Vec<&str> = login.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
        let session = cookies.iter().find(|c| c.starts_with("trail_session=")).unwrap();
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
        assert!(!session.contains("Secure"), "plain HTTP: {session}");
        assert!(!login.body.to_string().contains("argon2"), "no password hash in answers");
        assert_eq!(login.body["organizations"][0]["role"], "owner");

        let creds = app.login("alice@example.com", None).await;
        let me = app.call(Method::GET, "/v1/me", &Auth::Session(creds.clone()), None).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!((me.body["kind"].as_str(), me.body["user"]["id"].as_str()), (Some("member"), Some(alice.as_str())));
        assert_eq!(me.body["organization_id"], json!(org));
        assert!(me.body["permissions"].as_array().unwrap().contains(&json!("members:manage")));

        let out = app.call(Method::POST, "/v1/auth/logout", &Auth::Session(creds.clone()), None).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        let after = app.call(Method::GET, "/v1/me", &Auth::Session(creds), None).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    }

    async fn members_see_only_their_own_activity(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        for actor in ["alice", "bob", "carol"] {
            assert_eq!(app.ingest(&key, event("doc.edited", actor)).await.status, StatusCode::OK);
        }
        let mut external = event("doc.viewed", "ext_bob_7");
        external["actor"]["email"] = json!(null);
        app.ingest(&key, external).await;
        let carol_event = app.get("/v1/events?q=actor.id:carol", &key).await.body["events"][0]["id"].as_str().unwrap().to_owned();

        let bob = app.add_member(&org, "bob@example.com", "member").await;
        let patch = json!({"organization_id": org, "actor_id": "ext_bob_7"});
        let set = app.call(Method::PATCH, &format!("/v1/members/{bob}"), &Auth::Bearer(OPERATOR.into()), Some(&patch)).await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        let bob = Auth::Session(app.login("bob@example.com", None).await);

        let all = app.call(Method::GET, "/v1/events", &bob, None).await;
        assert_eq!(ids_of(&all), ["bob", "ext_bob_7"]);
        let widened = app.call(Method::GET, "/v1/events?q=actor:carol", &bob, None).await;
        assert_eq!(ids_of(&widened), Vec::<String>::new());
        let posted = app.call(Method::POST, "/v1/events/search", &bob, Some(&json!({"filters": [{"field": "actor.id", "op": "eq", "value": "carol"}]}))).await;
        assert_eq!(ids_of(&posted), Vec::<String>::new());
        let count = app.call(Method::GET, "/v1/events/count", &bob, None).await;
        assert_eq!(count.body["count"], 2);
        let facets = app.call(Method::GET, "/v1/events/facets?field=actor.id", &bob, None).await;
        assert_eq!(facets.body["values"].as_array().unwrap().len(), 2);
        let theirs = app.call(Method::GET, &format!("/v1/events/{carol_event}"), &bob, None).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "someone else's event is a 404");
        // An analyst sees everything.
        app.add_member(&org, "sam@example.com", "security_analyst").await;
        let sam = Auth::Session(app.login("sam@example.com", None).await);
        assert_eq!(app.call(Method::GET, "/v1/events/count", &sam, None).await.body["count"], 4);
        assert_eq!(app.call(Method::GET, &format!("/v1/events/{carol_event}"), &sam, None).await.status, StatusCode::OK);
    }

    async fn an_organization_always_keeps_an_owner(backend) {
        let app = TestApp::on(backend).await;
        let org = app.org("Acme").await;
        let alice = app.add_member(&org, "alice@example.com", "owner").await;
        let bob = app.add_member(&org, "bob@example.com", "admin").await;
        let alice_s = Auth::Session(app.login("alice@example.com", None).await);
        let bob_s = Auth::Session(app.login("bob@example.com", None).await);
        let path = |id: &str| format!("/v1/members/{id}");

        let demote = app.call(Method::PATCH, &path(&alice), &alice_s, Some(&json!({"role": "admin"}))).await;
        assert_eq!((demote.status, demote.code()), (StatusCode::CONFLICT, "last_owner"));
        let leave = app.call(Method::PATCH, &path(&alice), &alice_s, Some(&json!({"active": false}))).await;
        assert_eq!(leave.status, StatusCode::CONFLICT);
        // An admin cannot make themselves owner; an owner can.
        let grab = app.call(Method::PATCH, &path(&bob), &bob_s, Some(&json!({"role": "owner"}))).await;
        assert_eq!(grab.status, StatusCode::FORBIDDEN);
        let grant = app.call(Method::PATCH, &path(&bob), &alice_s, Some(&json!({"role": "owner"}))).await;
        assert_eq!(grant.status, StatusCode::OK, "{:?}", grant.body);
        let step_down = app.call(Method::PATCH, &path(&alice), &alice_s, Some(&json!({"role": "member"}))).await;
        assert_eq!(step_down.body["role"], "member");
        // Deactivated members lose access at once and cannot sign in again.
        let off = app.call(Method::PATCH, &path(&alice), &bob_s, Some(&json!({"active": false}))).await;
        assert_eq!(off.status, StatusCode::OK);
        assert!(off.body["deactivated_at"].is_string());
        assert_eq!(app.call(Method::GET, "/v1/events", &alice_s, None).await.status, StatusCode::NOT_FOUND);
        let again = app.call(Method::POST, "/v1/auth/login", &Auth::None, Some(&json!({"email": "alice@example.com", "password": PASSWORD}))).await;
        assert_eq!(again.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn state_changing_session_requests_need_the_csrf_token() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    app.add_member(&org, "alice@example.com", "owner").await;
    let creds = app.login("alice@example.com", None).await;
    let body =
        json!({"email": "new@example.com", "name": "New", "role": "member", "password": PASSWORD});
    let bare = app
        .call(
            Method::POST,
            "/v1/members",
            &Auth::SessionWithoutCsrf(creds.clone()),
            Some(&body),
        )
        .await;
    assert_eq!((bare.status, bare.code()), (StatusCode::FORBIDDEN, "csrf"));
    let mut wrong = creds.clone();
    wrong.csrf = "forged".into();
    let forged = app
        .call(
            Method::POST,
            "/v1/members",
            &Auth::Session(wrong),
            Some(&body),
        )
        .await;
    assert_eq!(forged.code(), "csrf");
    let reads = app
        .call(
            Method::GET,
            "/v1/members",
            &Auth::SessionWithoutCsrf(creds.clone()),
            None,
        )
        .await;
    assert_eq!(reads.status, StatusCode::OK, "reads need no token");
    let ok = app
        .call(
            Method::POST,
            "/v1/members",
            &Auth::Session(creds),
            Some(&body),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account_and_per_address() {
    let app = TestApp::with(|s| s.login_limits.per_ip = 8).await;
    let org = app.org("Acme").await;
    app.add_member(&org, "alice@example.com", "owner").await;
    let attempt = |password: &'static str, email: &'static str| {
        let app = app.clone();
        async move {
            app.call(
                Method::POST,
                "/v1/auth/login",
                &Auth::None,
                Some(&json!({"email": email, "password": password})),
            )
            .await
        }
    };
    for _ in 0..5 {
        let wrong = attempt("wrong password!", "alice@example.com").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(!wrong.body.to_string().contains("wrong password!"));
    }
    let locked = attempt(PASSWORD, "alice@example.com").await;
    assert_eq!(
        (locked.status, locked.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    // Six attempts so far from this address; two more are allowed, then the address is limited.
    assert_eq!(
        attempt("x", "nobody@example.com").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        attempt("x", "nobody2@example.com").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        attempt("x", "nobody3@example.com").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn expired_and_unknown_sessions_are_refused() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let alice = app.add_member(&org, "alice@example.com", "owner").await;
    let store = &app.state.store;
    store
        .create_session(trail_store::Session {
            token_hash: ids::secret_hash("old-cookie"),
            csrf_hash: ids::secret_hash("old-csrf"),
            user_id: alice,
            organization_id: Some(org),
            created_at: Millis(1),
            expires_at: Millis::now().plus_ms(-1),
        })
        .await
        .unwrap();
    let old = common::SessionCredentials {
        cookie: "old-cookie".into(),
        csrf: "old-csrf".into(),
    };
    let expired = app
        .call(Method::GET, "/v1/me", &Auth::Session(old), None)
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(
        expired.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    let made_up = common::SessionCredentials {
        cookie: "nope".into(),
        csrf: "x".into(),
    };
    assert_eq!(
        app.call(Method::GET, "/v1/me", &Auth::Session(made_up), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_member_of_several_organizations_names_one() {
    let app = TestApp::new().await;
    let (acme, acme_key) = app.tenant("Acme").await;
    let (beta, beta_key) = app.tenant("Beta").await;
    let other = app.org("Other").await;
    app.add_member(&acme, "alice@example.com", "owner").await;
    let join = app.post("/v1/members", OPERATOR, json!({"organization_id": beta, "email": "alice@example.com", "name": "A", "role": "member"})).await;
    assert_eq!(join.status, StatusCode::CREATED, "{:?}", join.body);
    app.ingest(&acme_key, event("a.b", "zed")).await;
    app.ingest(&beta_key, event("a.b", "zed")).await;
    app.ingest(&beta_key, event("a.b", "alice")).await;
    let alice = Auth::Session(app.login("alice@example.com", None).await);

    assert_eq!(
        app.call(Method::GET, "/v1/events/count", &alice, None)
            .await
            .body["count"],
        1,
        "Acme first"
    );
    let in_beta = app
        .call(
            Method::GET,
            &format!("/v1/events?organization_id={beta}"),
            &alice,
            None,
        )
        .await;
    assert_eq!(ids_of(&in_beta), ["alice"], "a member in Beta");
    let manage = app
        .call(
            Method::GET,
            &format!("/v1/members?organization_id={beta}"),
            &alice,
            None,
        )
        .await;
    assert_eq!(manage.status, StatusCode::FORBIDDEN);
    let stranger = app
        .call(
            Method::GET,
            &format!("/v1/events?organization_id={other}"),
            &alice,
            None,
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let orgs = app
        .call(Method::GET, "/v1/organizations", &alice, None)
        .await;
    assert_eq!(orgs.body["organizations"].as_array().unwrap().len(), 2);
    let me = app.call(Method::GET, "/v1/me", &alice, None).await;
    let roles: Vec<&Value> = me.body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["role"])
        .collect();
    assert_eq!(roles, [&json!("owner"), &json!("member")]);
    // Adding an existing account with a password would let one organization reset it: refused.
    let reset = app.post("/v1/members", OPERATOR, json!({"organization_id": other, "email": "alice@example.com", "name": "A", "role": "member", "password": "another password"})).await;
    assert_eq!(reset.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn custom_roles_grant_exactly_their_permissions() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    app.ingest(&key, event("a.b", "zed")).await;
    let created = app.post("/v1/roles", OPERATOR, json!({"organization_id": org, "name": "Exporter", "permissions": ["events:read", "events:export"]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let role = created.body["id"].as_str().unwrap().to_owned();
    assert!(role.starts_with("role_"));
    let roles = app
        .get(&format!("/v1/roles?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(roles.body["roles"].as_array().unwrap().len(), 6);
    app.add_member(&org, "eve@example.com", &role).await;
    let eve = Auth::Session(app.login("eve@example.com", None).await);
    let me = app.call(Method::GET, "/v1/me", &eve, None).await;
    assert_eq!(
        (
            me.body["role_name"].as_str(),
            me.body["permissions"].clone()
        ),
        (Some("Exporter"), json!(["events:export", "events:read"]))
    );
    assert_eq!(
        app.call(Method::GET, "/v1/events/count", &eve, None)
            .await
            .body["count"],
        1
    );
    assert_eq!(
        app.call(Method::GET, "/v1/members", &eve, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let in_use = app
        .delete(&format!("/v1/roles/{role}?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    let built_in = app
        .delete(&format!("/v1/roles/owner?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(built_in.error_fields(), ["id"]);
    for (body, field) in [
        (
            json!({"organization_id": org, "name": "X", "permissions": ["events:destroy"]}),
            "permissions[0]",
        ),
        (
            json!({"organization_id": org, "name": "X", "permissions": []}),
            "permissions",
        ),
        (
            json!({"organization_id": org, "name": "Owner", "permissions": ["events:read"]}),
            "name",
        ),
    ] {
        let reply = app.post("/v1/roles", OPERATOR, body).await;
        assert_eq!(
            (reply.status, reply.error_fields()),
            (StatusCode::BAD_REQUEST, vec![field.to_owned()])
        );
    }
}

#[tokio::test]
async fn bad_member_requests_name_the_field() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let base = json!({"organization_id": org, "email": "a@example.com", "name": "A", "role": "member", "password": PASSWORD});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("email", json!("not-an-email")), "email"),
        (with("name", json!(" ")), "name"),
        (with("role", json!("emperor")), "role"),
        (with("password", json!("short")), "password"),
        (with("password", json!(null)), "password"),
        (with("actor_id", json!("")), "actor_id"),
        (with("colour", json!(1)), "colour"),
    ];
    for (body, field) in cases {
        let reply = app.post("/v1/members", OPERATOR, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_fields(), [field], "{:?}", reply.body);
        assert!(
            !reply.body.to_string().contains(PASSWORD),
            "the password is never echoed"
        );
    }
}
