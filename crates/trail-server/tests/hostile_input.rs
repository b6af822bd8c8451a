//! Hostile but well-formed HTTP: every error answer in the documented shape (route by route from
//! `/openapi.json`), security headers on every answer, CORS off unless configured, 415 for other
//! media types, strict JSON (no arrays for objects, no duplicate keys), and query complexity
//! limits answered 400 `invalid_query` before the store.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Backend, OPERATOR, Reply, TestApp, event};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Sends a raw request and reads the answer.
async fn send(app: &TestApp, request: Request<Body>) -> Reply {
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply {
        status,
        headers,
        body,
    }
}

fn assert_shaped(reply: &Reply, what: &str) {
    let error = &reply.body["error"];
    assert!(
        error["code"].as_str().is_some_and(|c| !c.is_empty())
            && error["message"].as_str().is_some_and(|m| !m.is_empty())
            && error["details"].is_array(),
        "{what}: {} answered outside the error shape: {:?}",
        reply.status,
        reply.body
    );
    let ct = reply.headers["content-type"].to_str().unwrap();
    assert!(ct.starts_with("application/json"), "{what}: {ct}");
}

fn assert_security_headers(reply: &Reply, what: &str) {
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert!(reply.headers.contains_key(name), "{what}: no {name}");
    }
    assert_eq!(reply.headers["cache-control"], "no-store", "{what}");
}

fn request(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {OPERATOR}"))
}

#[tokio::test]
async fn every_route_answers_unlisted_methods_and_bad_paths_in_the_error_shape() {
    let app = TestApp::new().await;
    let doc = send(
        &app,
        request(Method::GET, "/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_security_headers(&doc, "/openapi.json");
    let paths = doc.body["paths"].as_object().unwrap();
    assert!(paths.len() > 20, "{}", paths.len());
    let mut checked = 0;
    for (path, item) in paths {
        let concrete = path.replace('{', "x").replace('}', "");
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = send(&app, request(m, &concrete).body(Body::empty()).unwrap()).await;
            assert_eq!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_shaped(&reply, &format!("{method} {path}"));
            assert!(reply.headers.contains_key("allow"), "{method} {path}");
            assert_security_headers(&reply, path);
            checked += 1;
        }
        // A path parameter that is not valid UTF-8 once decoded.
        if path.contains('{') {
            let start = path.find('{').unwrap();
            let end = start + path[start..].find('}').unwrap();
            let rest = path[end + 1..].replace('{', "x").replace('}', "");
            let bad = format!("{}%FF{rest}", &path[..start]);
            let method = ["get", "delete", "patch", "post", "put"]
                .into_iter()
                .find(|m| item.get(*m).is_some())
                .unwrap();
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = send(
                &app,
                request(m, &bad)
                    .header("content-type", "application/json")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
            assert!(reply.status.is_client_error(), "{bad}: {}", reply.status);
            assert_shaped(&reply, &bad);
        }
    }
    assert!(checked > 30, "{checked}");
    let missing = send(
        &app,
        request(Method::GET, "/v1/nothing")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_shaped(&missing, "unknown route");
    assert_security_headers(&missing, "unknown route");
}

#[tokio::test]
async fn oversize_targets_heads_and_bodies_and_other_media_types_are_shaped_errors() {
    let app = TestApp::with(|s| {
        s.limits.max_request_bytes = 4096;
        s.http.max_uri_bytes = 8192;
    })
    .await;
    let (_, key) = app.tenant("acme").await;
    let long = format!("/v1/events?q={}", "a".repeat(10_000));
    let reply = send(
        &app,
        request(Method::GET, &long).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::URI_TOO_LONG);
    assert_shaped(&reply, "414");
    let reply = send(
        &app,
        request(Method::GET, "/v1/events")
            .header("x-filler", "b".repeat(20_000))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_shaped(&reply, "431");
    let reply = app
        .raw(
            Method::POST,
            "/v1/events",
            Some(&key),
            "application/json",
            vec![b' '; 5000],
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_shaped(&reply, "413");
    let body = serde_json::to_vec(&event("a.b", "alice")).unwrap();
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let reply = app
            .raw(Method::POST, "/v1/events", Some(&key), ct, body.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert_shaped(&reply, ct);
    }
    let ok = app
        .raw(
            Method::POST,
            "/v1/events",
            Some(&key),
            "application/json; charset=utf-8",
            body,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_security_headers(&ok, "ingest");
}

#[tokio::test]
async fn arrays_are_not_objects_and_keys_are_unique_at_every_level() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("acme").await;
    let admin = app.key(&org, &["admin"]).await;
    let patch = send(
        &app,
        Request::builder()
            .method(Method::PATCH)
            .uri("/v1/settings")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from("[null,400]"))
            .unwrap(),
    )
    .await;
    assert_eq!(patch.status, StatusCode::BAD_REQUEST, "{:?}", patch.body);
    assert_shaped(&patch, "PATCH settings with an array");
    let settings = app.get("/v1/settings", &admin).await;
    assert_ne!(
        settings.body["retention_days"],
        json!(400),
        "{:?}",
        settings.body
    );
    let role = app
        .post("/v1/roles", &admin, json!(["Auditor", ["events:read"]]))
        .await;
    assert_eq!(role.status, StatusCode::BAD_REQUEST, "{:?}", role.body);
    let dup = app
        .raw(
            Method::POST,
            "/v1/roles",
            Some(&admin),
            "application/json",
            br#"{"name":"A","name":"B","permissions":["events:read"]}"#.to_vec(),
        )
        .await;
    assert_eq!(dup.status, StatusCode::BAD_REQUEST, "{:?}", dup.body);
    // Inside an event: duplicate metadata keys, nested too, and an actor given as an array.
    for body in [
        r#"{"action":"a.b","actor":{"id":"u"},"metadata":{"k":1,"k":2}}"#,
        r#"{"action":"a.b","actor":{"id":"u"},"metadata":{"o":{"k":1,"k":2}}}"#,
        r#"[{"action":"a.b","actor":{"id":"u"},"metadata":{"k":1,"k":2}}]"#,
        r#"{"action":"a.b","actor":["u","user"]}"#,
        r#"[["a.b",null,null,{"id":"u"}]]"#,
    ] {
        let reply = app
            .raw(
                Method::POST,
                "/v1/events",
                Some(&key),
                "application/json",
                body.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            reply.body
        );
        assert_shaped(&reply, body);
    }
    assert_eq!(app.count(&key, "").await, 0);
}

on_every_backend! {
    async fn query_complexity_past_a_limit_is_invalid_query_and_at_it_searches(backend) {
        let app = TestApp::on(backend).await;
        let (_, key) = app.tenant("acme").await;
        let limits = trail_core::query::Complexity::default();
        let words = |n: usize| (0..n).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let ors = |n: usize| format!("actor:{}", (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>().join(","));
        let nots = |n: usize| (0..n).map(|i| format!("-actor:n{i}")).collect::<Vec<_>>().join(" ");
        let rows = |n: usize| (0..n).map(|i| json!({"field": "actor", "op": "ne", "value": format!("r{i}")})).collect::<Vec<_>>();
        let cases = [
            ("max_terms", json!({"q": words(limits.max_terms)}), json!({"q": words(1000)})),
            ("max_or_values", json!({"q": ors(limits.max_or_values)}), json!({"q": ors(1000)})),
            ("max_negations", json!({"q": nots(limits.max_negations)}), json!({"q": nots(999)})),
            ("max_filters", json!({"filters": rows(limits.max_filters)}), json!({"filters": rows(1000)})),
        ];
        for (limit, at, over) in cases {
            let ok = app.post("/v1/events/search", &key, at).await;
            assert_eq!(ok.status, StatusCode::OK, "{limit} at the limit: {:?}", ok.body);
            let refused = app.post("/v1/events/search", &key, over).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{limit}: {:?}", refused.body);
            assert_eq!(refused.code(), "invalid_query");
            assert_eq!(refused.body["error"]["details"][0]["limit"], json!(limit), "{:?}", refused.body);
        }
    }
}

#[tokio::test]
async fn cors_is_off_by_default_and_allows_only_configured_origins() {
    let app = TestApp::new().await;
    let get = |app: &TestApp, origin: &str| {
        let app = app.clone();
        let origin = origin.to_owned();
        async move {
            send(
                &app,
                request(Method::GET, "/healthz")
                    .header("origin", origin)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let reply = get(&app, "https://evil.example").await;
    assert!(!reply.headers.contains_key("access-control-allow-origin"));
    let app = TestApp::with(|s| s.http.cors_origins = vec!["https://app.example".into()]).await;
    let allowed = get(&app, "https://app.example").await;
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "https://app.example"
    );
    let other = get(&app, "https://evil.example").await;
    assert!(!other.headers.contains_key("access-control-allow-origin"));
    let preflight = send(
        &app,
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/events")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "POST")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert!(
        preflight.headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
}

#[tokio::test]
async fn a_route_that_sets_its_own_policy_keeps_it() {
    use axum::response::IntoResponse;
    let router = axum::Router::new()
        .route(
            "/page",
            axum::routing::get(|| async {
                ([("content-security-policy", "default-src 'self'")], "page").into_response()
            }),
        )
        .layer(axum::middleware::from_fn(
            trail_server::http::headers::middleware,
        ));
    let response = router
        .oneshot(Request::get("/page").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'self'"
    );
    assert_eq!(response.headers()["x-frame-options"], "DENY");
}

/// A page whose own policy allows framing (the embeddable viewer) does not also get
/// `X-Frame-Options: DENY`, which would forbid what the policy allows in older browsers.
#[tokio::test]
async fn a_page_that_may_be_framed_gets_no_frame_denial() {
    use axum::response::IntoResponse;
    use tower::ServiceExt;
    let page = |policy: &'static str| {
        axum::routing::get(move || async move {
            ([("content-security-policy", policy)], "page").into_response()
        })
    };
    let router = axum::Router::new()
        .route(
            "/embed",
            page("default-src 'self'; frame-ancestors 'self' https://app.example"),
        )
        .route("/app", page("default-src 'self'; frame-ancestors 'none'"))
        .layer(axum::middleware::from_fn(
            trail_server::http::headers::middleware,
        ));
    let get = |uri: &'static str| {
        router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
    };
    let embed = get("/embed").await.unwrap();
    assert!(!embed.headers().contains_key("x-frame-options"));
    assert_eq!(embed.headers()["x-content-type-options"], "nosniff");
    let app = get("/app").await.unwrap();
    assert_eq!(app.headers()["x-frame-options"], "DENY");
}

#[allow(dead_code)]
fn _backend_is_used(_: Backend) {}
