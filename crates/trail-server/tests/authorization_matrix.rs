//! The authorization matrix: every route of the OpenAPI document × every kind of caller (no
//! credential, the operator, an instance-level admin key, an organization key of each scope, a
//! signed-in member of each built-in role, a viewer token), with the exact status each gets. A
//! route added without a row here fails `every_route_has_a_row`.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::{Auth, OPERATOR, PASSWORD, TestApp, event};
use serde_json::{Value, json};

/// The callers, in the order of each row's statuses.
const CALLERS: [&str; 13] = [
    "anonymous",
    "operator",
    "instance admin key",
    "key events:write",
    "key events:read",
    "key exports",
    "key admin",
    "owner",
    "admin",
    "security_manager",
    "security_analyst",
    "member",
    "viewer token",
];

const READ: [u16; 13] = [
    401, 200, 200, 403, 200, 403, 200, 200, 200, 200, 200, 200, 200,
];
const PUBLIC: [u16; 13] = [200; 13];
const ANY_CALLER: [u16; 13] = [
    401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
];
/// The export permission: `exports` keys, roles with `events:export`, not a plain viewer token.
const fn export(ok: u16) -> [u16; 13] {
    [401, ok, ok, 403, 403, ok, ok, ok, ok, ok, ok, 403, 403]
}
/// Saved views: anyone who reads events, but not a (read-only) viewer token.
const fn views(ok: u16) -> [u16; 13] {
    [401, ok, ok, 403, ok, 403, ok, ok, ok, ok, ok, ok, 403]
}
/// The catalogue (`event_types:manage`) and streams (`streams:manage`): owner, admin, security
/// manager, admin keys.
const fn catalogue(ok: u16) -> [u16; 13] {
    [401, ok, ok, 403, 403, 403, ok, ok, ok, ok, 403, 403, 403]
}
const fn manage(ok: u16) -> [u16; 13] {
    [401, ok, ok, 403, 403, 403, ok, ok, ok, 403, 403, 403, 403]
}

/// `(method, OpenAPI path, statuses per caller)`.
const MATRIX: &[(&str, &str, [u16; 13])] = &[
    (
        "POST",
        "/v1/events",
        [
            401, 200, 200, 200, 403, 403, 200, 403, 403, 403, 403, 403, 403,
        ],
    ),
    ("GET", "/v1/events", READ),
    ("POST", "/v1/events/search", READ),
    ("GET", "/v1/events/count", READ),
    ("GET", "/v1/events/facets", READ),
    ("GET", "/v1/events/histogram", READ),
    ("GET", "/v1/events/stream", READ),
    ("GET", "/v1/events/{id}", READ),
    ("GET", "/v1/log/checkpoint", READ),
    ("GET", "/v1/log/public-key", PUBLIC),
    ("GET", "/v1/log/proofs/inclusion", READ),
    ("GET", "/v1/log/proofs/consistency", READ),
    (
        "POST",
        "/v1/organizations",
        [
            401, 201, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403,
        ],
    ),
    ("GET", "/v1/organizations", ANY_CALLER),
    ("GET", "/v1/organizations/{id}", ANY_CALLER),
    (
        "PUT",
        "/v1/organizations/{id}/external-ids/{external_id}",
        [
            401, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403,
        ],
    ),
    ("POST", "/v1/api-keys", manage(201)),
    ("GET", "/v1/api-keys", manage(200)),
    ("DELETE", "/v1/api-keys/{id}", manage(200)),
    ("POST", "/v1/members", manage(201)),
    ("GET", "/v1/members", manage(200)),
    ("GET", "/v1/members/{id}", manage(200)),
    ("PATCH", "/v1/members/{id}", manage(200)),
    ("POST", "/v1/roles", manage(201)),
    ("GET", "/v1/roles", manage(200)),
    ("DELETE", "/v1/roles/{id}", manage(204)),
    ("POST", "/v1/viewer-tokens", manage(201)),
    ("GET", "/v1/views", views(200)),
    ("POST", "/v1/views", views(201)),
    ("GET", "/v1/views/{id}", views(200)),
    ("PATCH", "/v1/views/{id}", manage(200)),
    ("DELETE", "/v1/views/{id}", manage(204)),
    ("GET", "/v1/event-types", READ),
    ("GET", "/v1/event-types/{action}", READ),
    ("PUT", "/v1/event-types/{action}", catalogue(201)),
    ("DELETE", "/v1/event-types/{action}", catalogue(204)),
    ("GET", "/v1/event-types/export", READ),
    ("POST", "/v1/event-types/import", catalogue(200)),
    ("POST", "/v1/event-types/adopt", catalogue(200)),
    ("POST", "/v1/exports", export(201)),
    ("GET", "/v1/exports", export(200)),
    ("GET", "/v1/exports/{id}", export(200)),
    ("DELETE", "/v1/exports/{id}", export(204)),
    ("GET", "/v1/exports/{id}/download", export(200)),
    ("POST", "/v1/streams", catalogue(201)),
    ("GET", "/v1/streams", catalogue(200)),
    ("GET", "/v1/streams/{id}", catalogue(200)),
    ("PATCH", "/v1/streams/{id}", catalogue(200)),
    ("DELETE", "/v1/streams/{id}", catalogue(204)),
    ("GET", "/v1/streams/{id}/status", catalogue(200)),
    ("POST", "/v1/streams/{id}/test", catalogue(200)),
    ("POST", "/v1/streams/{id}/pause", catalogue(200)),
    ("POST", "/v1/streams/{id}/resume", catalogue(200)),
    ("POST", "/v1/streams/{id}/replay", catalogue(200)),
    ("GET", "/v1/settings", export(200)),
    (
        "PATCH",
        "/v1/settings",
        [
            401, 200, 200, 403, 403, 403, 200, 200, 200, 200, 403, 403, 403,
        ],
    ),
    ("POST", "/v1/auth/login", PUBLIC),
    (
        "POST",
        "/v1/auth/logout",
        [
            401, 403, 403, 403, 403, 403, 403, 204, 204, 204, 204, 204, 403,
        ],
    ),
    ("GET", "/v1/me", ANY_CALLER),
    ("GET", "/healthz", PUBLIC),
    ("GET", "/readyz", PUBLIC),
    ("GET", "/metrics", PUBLIC),
];

struct Fixture {
    app: TestApp,
    org: String,
    event_id: String,
    member_id: String,
}

async fn fixture() -> Fixture {
    let app = TestApp::with(|s| s.login_limits.per_ip = u32::MAX).await;
    let org = app.org("Acme").await;
    let mut member_id = String::new();
    for role in [
        "owner",
        "admin",
        "security_manager",
        "security_analyst",
        "member",
    ] {
        member_id = app
            .add_member(&org, &format!("{role}@example.com"), role)
            .await;
    }
    // The member's own event, so every reader may open it.
    let ingested = app
        .post(
            &format!("/v1/events?organization_id={org}"),
            OPERATOR,
            event("doc.viewed", "member"),
        )
        .await;
    let event_id = ingested.body["events"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    trail_server::integrity::checkpoint_once(&app.state)
        .await
        .unwrap();
    Fixture {
        app,
        org,
        event_id,
        member_id,
    }
}

/// A fresh credential of caller `index` (fresh, so that signing out does not spoil later rows).
async fn credential(f: &Fixture, index: usize) -> Auth {
    let key = |scopes: &'static [&'static str]| async move {
        Auth::Bearer(f.app.key(&f.org, scopes).await)
    };
    match CALLERS[index] {
        "anonymous" => Auth::None,
        "operator" => Auth::Bearer(OPERATOR.into()),
        "instance admin key" => {
            let reply = f
                .app
                .post(
                    "/v1/api-keys",
                    OPERATOR,
                    json!({"name": "ops", "scopes": ["admin"]}),
                )
                .await;
            Auth::Bearer(reply.body["secret"].as_str().unwrap().to_owned())
        }
        "key events:write" => key(&["events:write"]).await,
        "key events:read" => key(&["events:read"]).await,
        "key exports" => key(&["exports"]).await,
        "key admin" => key(&["admin"]).await,
        "viewer token" => {
            let reply = f
                .app
                .post(
                    "/v1/viewer-tokens",
                    OPERATOR,
                    json!({"organization_id": f.org}),
                )
                .await;
            Auth::Bearer(reply.body["token"].as_str().unwrap().to_owned())
        }
        role => Auth::Session(f.app.login(&format!("{role}@example.com"), None).await),
    }
}

/// The request that exercises a route (creating what it acts on, when it consumes it).
async fn request(
    f: &Fixture,
    method: &str,
    path: &str,
    n: usize,
) -> (Method, String, Option<Value>) {
    let org = &f.org;
    let q = format!("organization_id={org}");
    let (uri, body) = match (method, path) {
        ("POST", "/v1/events") => (format!("{path}?{q}"), Some(event("a.b", "matrix"))),
        ("POST", "/v1/events/search") => (path.to_owned(), Some(json!({"organization_id": org}))),
        ("GET", "/v1/events/facets") => (format!("{path}?{q}&field=action"), None),
        ("GET", "/v1/events/{id}") => (format!("/v1/events/{}?{q}", f.event_id), None),
        ("GET", "/v1/log/proofs/inclusion") => (format!("{path}?{q}&seq=0"), None),
        ("GET", "/v1/log/proofs/consistency") => (format!("{path}?{q}&from=0"), None),
        ("POST", "/v1/organizations") => (path.to_owned(), Some(json!({"name": "New"}))),
        ("GET", "/v1/organizations/{id}") => (format!("/v1/organizations/{org}"), None),
        ("PUT", "/v1/organizations/{id}/external-ids/{external_id}") => (
            format!("/v1/organizations/{org}/external-ids/ext-{n}"),
            None,
        ),
        ("POST", "/v1/api-keys") => (
            path.to_owned(),
            Some(json!({"organization_id": org, "name": "m", "scopes": ["events:read"]})),
        ),
        ("DELETE", "/v1/api-keys/{id}") => {
            let made = f
                .app
                .post(
                    "/v1/api-keys",
                    OPERATOR,
                    json!({"organization_id": org, "name": "doomed", "scopes": ["events:read"]}),
                )
                .await;
            (
                format!("/v1/api-keys/{}?{q}", made.body["id"].as_str().unwrap()),
                None,
            )
        }
        ("POST", "/v1/members") => (
            path.to_owned(),
            Some(
                json!({"organization_id": org, "email": format!("new{n}@example.com"), "name": "New", "role": "member", "password": PASSWORD}),
            ),
        ),
        ("GET", "/v1/members/{id}") => (format!("/v1/members/{}?{q}", f.member_id), None),
        ("PATCH", "/v1/members/{id}") => {
            let id = f
                .app
                .add_member(org, &format!("patched{n}@example.com"), "member")
                .await;
            (
                format!("/v1/members/{id}"),
                Some(json!({"organization_id": org, "role": "security_analyst"})),
            )
        }
        ("POST", "/v1/roles") => (
            path.to_owned(),
            Some(
                json!({"organization_id": org, "name": format!("Role {n}"), "permissions": ["events:read"]}),
            ),
        ),
        ("DELETE", "/v1/roles/{id}") => {
            let made = f.app.post("/v1/roles", OPERATOR, json!({"organization_id": org, "name": format!("Doomed {n}"), "permissions": ["events:read"]})).await;
            (
                format!("/v1/roles/{}?{q}", made.body["id"].as_str().unwrap()),
                None,
            )
        }
        ("POST", "/v1/views") => (
            path.to_owned(),
            Some(
                json!({"organization_id": org, "name": format!("View {n}"), "shared": true, "filters": {"q": "action:a.*"}}),
            ),
        ),
        (_, "/v1/views/{id}") => {
            let made = f
                .app
                .post(
                    "/v1/views",
                    OPERATOR,
                    json!({"organization_id": org, "name": format!("Shared {n}"), "shared": true}),
                )
                .await;
            let id = made.body["id"].as_str().unwrap();
            let body =
                (method == "PATCH").then(|| json!({"organization_id": org, "name": "Renamed"}));
            (format!("/v1/views/{id}?{q}"), body)
        }
        ("POST", "/v1/viewer-tokens") => (path.to_owned(), Some(json!({"organization_id": org}))),
        ("POST", "/v1/exports") => (
            path.to_owned(),
            Some(json!({"organization_id": org, "name": format!("Export {n}")})),
        ),
        (_, "/v1/exports/{id}" | "/v1/exports/{id}/download") => {
            let made = f
                .app
                .post(
                    "/v1/exports",
                    OPERATOR,
                    json!({"organization_id": org, "name": format!("Made {n}")}),
                )
                .await;
            trail_server::exports::run_pending(&f.app.state)
                .await
                .unwrap();
            let id = made.body["id"].as_str().unwrap();
            let suffix = path.strip_prefix("/v1/exports/{id}").unwrap();
            (format!("/v1/exports/{id}{suffix}?{q}"), None)
        }
        ("GET", "/v1/streams") => (format!("{path}?{q}"), None),
        ("POST", "/v1/streams") => (
            path.to_owned(),
            Some(
                json!({"organization_id": org, "name": format!("Stream {n}"), "kind": "webhook", "url": "http://127.0.0.1:9/hook"}),
            ),
        ),
        (_, p) if p.starts_with("/v1/streams/{id}") => {
            let made = f
                .app
                .post(
                    "/v1/streams",
                    OPERATOR,
                    json!({"organization_id": org, "name": format!("Made stream {n}"), "kind": "webhook", "url": "http://127.0.0.1:9/hook"}),
                )
                .await;
            let id = made.body["id"].as_str().unwrap();
            let suffix = path.strip_prefix("/v1/streams/{id}").unwrap();
            let body = match (method, suffix) {
                ("PATCH", _) => Some(json!({"name": format!("Renamed stream {n}")})),
                (_, "/replay") => Some(json!({"from_seq": 0})),
                ("POST", _) => Some(json!({})),
                _ => None,
            };
            (format!("/v1/streams/{id}{suffix}?{q}"), body)
        }
        ("PUT", "/v1/event-types/{action}") => (
            format!("/v1/event-types/made.action{n}"),
            Some(json!({"organization_id": org, "label": "Made", "area": "made"})),
        ),
        (_, "/v1/event-types/{action}") => {
            let action = format!("kept.action{n}");
            f.app
                .raw(
                    Method::PUT,
                    &format!("/v1/event-types/{action}"),
                    Some(OPERATOR),
                    "application/json",
                    serde_json::to_vec(
                        &json!({"organization_id": org, "label": "Kept", "area": "kept"}),
                    )
                    .unwrap(),
                )
                .await;
            (format!("/v1/event-types/{action}?{q}"), None)
        }
        ("POST", "/v1/event-types/import") => (
            format!("{path}?{q}"),
            Some(
                json!({"trail_event_types": 1, "event_types": [{"action": format!("imported.action{n}"), "label": "Imported", "area": "imported"}]}),
            ),
        ),
        ("POST", "/v1/event-types/adopt") => (
            path.to_owned(),
            Some(json!({"organization_id": org, "actions": []})),
        ),
        ("PATCH", "/v1/settings") => (
            path.to_owned(),
            Some(json!({"organization_id": org, "retention_days": 400})),
        ),
        ("POST", "/v1/auth/login") => (
            path.to_owned(),
            Some(json!({"email": "member@example.com", "password": PASSWORD})),
        ),
        ("POST", "/v1/auth/logout") => (path.to_owned(), None),
        (
            _,
            "/v1/events"
            | "/v1/events/count"
            | "/v1/events/histogram"
            | "/v1/events/stream"
            | "/v1/log/checkpoint"
            | "/v1/api-keys"
            | "/v1/members"
            | "/v1/roles"
            | "/v1/exports"
            | "/v1/settings"
            | "/v1/views"
            | "/v1/event-types"
            | "/v1/event-types/export",
        ) => (format!("{path}?{q}"), None),
        _ => (path.to_owned(), None),
    };
    (method.parse().unwrap(), uri, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_has_a_row() {
    let app = TestApp::new().await;
    let doc = app.get("/openapi.json", OPERATOR).await.body;
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let rows: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = routes.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without an authorization decision in MATRIX: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "MATRIX rows for routes that do not exist: {stale:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_caller_exactly() {
    let f = fixture().await;
    let mut wrong = Vec::new();
    let mut n = 0;
    for (method, path, statuses) in MATRIX {
        for (caller, expected) in statuses.iter().enumerate() {
            n += 1;
            let auth = credential(&f, caller).await;
            let (method, uri, body) = request(&f, method, path, n).await;
            let reply = f.app.call(method.clone(), &uri, &auth, body.as_ref()).await;
            if reply.status != StatusCode::from_u16(*expected).unwrap() {
                wrong.push(format!(
                    "{method} {uri} as {}: expected {expected}, got {} {}",
                    CALLERS[caller],
                    reply.status.as_u16(),
                    reply.body
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {n} answers differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
