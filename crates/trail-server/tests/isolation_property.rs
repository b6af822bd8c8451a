//! Property: whatever route a caller of one organization calls, whatever organization, event,
//! member, key or role id it names, no answer carries anything of another organization.

mod common;

use axum::http::Method;
use common::{Auth, OPERATOR, TestApp, event};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

/// What organization A holds that B's callers must never see.
struct Secrets {
    org: String,
    strings: Vec<String>,
}

struct World {
    app: TestApp,
    a: Secrets,
    b_org: String,
    b_callers: Vec<Auth>,
}

async fn world() -> World {
    let app = TestApp::with(|s| s.login_limits.per_ip = u32::MAX).await;
    let mut orgs = Vec::new();
    for name in ["Alpha", "Beta"] {
        let org = app.org(name).await;
        let actor = format!("{}_actor_7", name.to_lowercase());
        let mut secret = event("doc.viewed", &actor);
        secret["description"] = json!(format!("marker-{name}-7f3a"));
        app.post(
            &format!("/v1/events?organization_id={org}"),
            OPERATOR,
            secret,
        )
        .await;
        orgs.push(org);
    }
    let (a, b) = (orgs[0].clone(), orgs[1].clone());
    let event_id = app
        .get(&format!("/v1/events?organization_id={a}"), OPERATOR)
        .await
        .body["events"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = app
        .add_member(&a, "alpha.person@example.com", "owner")
        .await;
    let key = app
        .post(
            "/v1/api-keys",
            OPERATOR,
            json!({"organization_id": a, "name": "alpha-key-name", "scopes": ["admin"]}),
        )
        .await;
    let role = app
        .post(
            "/v1/roles",
            OPERATOR,
            json!({"organization_id": a, "name": "AlphaRoleName", "permissions": ["events:read"]}),
        )
        .await;
    let mut b_callers = Vec::new();
    for scopes in [
        vec!["admin"],
        vec!["events:read"],
        vec!["exports", "events:write"],
    ] {
        b_callers.push(Auth::Bearer(app.key(&b, &scopes).await));
    }
    for role in ["owner", "security_analyst", "member"] {
        let email = format!("beta.{role}@example.com");
        app.add_member(&b, &email, role).await;
        b_callers.push(Auth::Session(app.login(&email, None).await));
    }
    let viewer = app
        .post("/v1/viewer-tokens", OPERATOR, json!({"organization_id": b}))
        .await;
    b_callers.push(Auth::Bearer(
        viewer.body["token"].as_str().unwrap().to_owned(),
    ));
    let strings = vec![
        a.clone(),
        "marker-Alpha-7f3a".into(),
        "alpha_actor_7".into(),
        event_id,
        member,
        "alpha.person".into(),
        key.body["id"].as_str().unwrap().to_owned(),
        "alpha-key-name".into(),
        role.body["id"].as_str().unwrap().to_owned(),
        "AlphaRoleName".into(),
    ];
    World {
        app,
        a: Secrets { org: a, strings },
        b_org: b,
        b_callers,
    }
}

/// Route templates; `{org}` is the organization named, `{id}` one of A's ids.
const ROUTES: &[&str] = &[
    "/v1/events?{org}",
    "/v1/events?q=alpha&{org}",
    "/v1/events/count?{org}",
    "/v1/events/facets?field=actor.id&{org}",
    "/v1/events/{id}?{org}",
    "/v1/log/checkpoint?{org}",
    "/v1/organizations",
    "/v1/organizations/{id}",
    "/v1/api-keys?{org}",
    "/v1/members?{org}",
    "/v1/members/{id}?{org}",
    "/v1/roles?{org}",
    "/v1/me",
];

async fn check(
    w: &World,
    route: usize,
    caller: usize,
    named: usize,
    id: usize,
) -> Result<(), TestCaseError> {
    let org_param = match named {
        0 => String::new(),
        1 => format!("organization_id={}", w.a.org),
        _ => format!("organization_id={}", w.b_org),
    };
    let uri = ROUTES[route]
        .replace("{org}", &org_param)
        .replace("{id}", &w.a.strings[id]);
    for (method, body) in [
        (Method::GET, None),
        (Method::POST, Some(json!({"organization_id": w.a.org}))),
    ] {
        let uri = if method == Method::POST {
            "/v1/events/search".to_owned()
        } else {
            uri.clone()
        };
        let reply = w
            .app
            .call(method, &uri, &w.b_callers[caller], body.as_ref())
            .await;
        let text = reply.body.to_string();
        for secret in &w.a.strings {
            prop_assert!(
                !text.contains(secret.as_str()),
                "{uri} answered {} with A's `{secret}`: {text}",
                reply.status
            );
        }
    }
    Ok(())
}

#[test]
fn no_route_returns_another_organizations_data() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let w = runtime.block_on(world());
    let ids = 3..w.a.strings.len();
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..ROUTES.len(), 0..w.b_callers.len(), 0..3usize, ids);
    runner
        .run(&strategy, |(route, caller, named, id)| {
            runtime.block_on(check(&w, route, caller, named, id))
        })
        .unwrap();
}
