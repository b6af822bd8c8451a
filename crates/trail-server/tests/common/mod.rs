//! Test harness: a real application (real store on a private directory) driven in-process through
//! its router, with helpers to create organizations and keys and to make JSON calls.

#![allow(dead_code, unused_macros)]

pub mod hec;
pub mod streams;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use trail_server::Settings;
use trail_store::conformance::postgres_db::TestDatabase;

pub const OPERATOR: &str = "test-operator-token";

/// Cheap to clone: clones share the store, which lives until the last clone is dropped.
#[derive(Clone)]
pub struct TestApp {
    pub router: Router,
    /// The application's shared state (background jobs are drained with it).
    pub state: trail_server::state::AppState,
    _guard: std::sync::Arc<Guard>,
}

/// What a test app owns: its data directory, and on PostgreSQL its own database.
struct Guard {
    _dir: tempfile::TempDir,
    _database: Option<TestDatabase>,
}

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The PostgreSQL server tests create databases on, or `None` after saying loudly that the
    /// test is skipped.
    pub fn postgres_url() -> Option<String> {
        trail_store::conformance::postgres_db::test_database_url()
    }
}

/// Defines each test twice: in `sqlite::` always, in `postgres::` when `TRAIL_TEST_DATABASE_URL` is set.
macro_rules! on_every_backend {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(#[tokio::test] async fn $name() { let $backend = common::Backend::Sqlite; $body })*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(#[tokio::test] async fn $name() {
                if common::Backend::postgres_url().is_none() { return; }
                let $backend = common::Backend::Postgres;
                $body
            })*
        }
    };
}

/// The password every test member gets.
pub const PASSWORD: &str = "correct horse battery";

/// A signed-in session: its cookie and CSRF token.
#[derive(Debug, Clone)]
pub struct SessionCredentials {
    pub cookie: String,
    pub csrf: String,
}

/// How a test request authenticates.
pub enum Auth {
    None,
    Bearer(String),
    Session(SessionCredentials),
    /// The session cookie without the `X-CSRF-Token` header.
    SessionWithoutCsrf(SessionCredentials),
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `details[].field` values of an error answer.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|x| x["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    /// An app on the embedded store.
    pub async fn new() -> TestApp {
        Self::on(Backend::Sqlite).await
    }

    pub async fn with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::on_with(Backend::Sqlite, adjust).await
    }

    pub async fn on(backend: Backend) -> TestApp {
        Self::on_with(backend, |_| {}).await
    }

    pub async fn on_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        Self::on_with_clock(
            backend,
            adjust,
            std::sync::Arc::new(trail_server::clock::SystemClock),
        )
        .await
    }

    /// An app whose clock is `clock` (a `TestClock` that the test advances instead of sleeping).
    pub async fn on_with_clock(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
        clock: std::sync::Arc<dyn trail_server::clock::Clock>,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_tests(dir.path(), OPERATOR);
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin_url =
                    Backend::postgres_url().expect("PostgreSQL tests need TRAIL_TEST_DATABASE_URL");
                let database = TestDatabase::create(&admin_url).await;
                settings.database_url = Some(trail_server::config::Secret(database.url.clone()));
                Some(database)
            }
        };
        adjust(&mut settings);
        let app = trail_server::build_with_clock(settings, clock)
            .await
            .unwrap();
        let guard = Guard {
            _dir: dir,
            _database: database,
        };
        TestApp {
            router: app.router,
            state: app.state,
            _guard: std::sync::Arc::new(guard),
        }
    }

    /// Sends `request` through the router; the answer's body as JSON, or as a string when it is
    /// not JSON.
    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        if headers
            .get("content-type")
            .is_some_and(|v| v == "text/event-stream")
        {
            // A live stream never ends by itself: its status and headers are the answer.
            return Reply {
                status,
                headers,
                body: Value::Null,
            };
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn raw(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// A request with any credential; `body` is sent as JSON.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        auth: &Auth,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            Auth::Session(session) => {
                request = request
                    .header("cookie", format!("trail_session={}", session.cookie))
                    .header("x-csrf-token", &session.csrf);
            }
            Auth::SessionWithoutCsrf(session) => {
                request = request.header("cookie", format!("trail_session={}", session.cookie));
            }
        }
        let body = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Adds a member (a new account with `password`) through the operator; returns the user id.
    pub async fn add_member(&self, org: &str, email: &str, role: &str) -> String {
        let reply = self
            .post(
                "/v1/members",
                OPERATOR,
                json!({"organization_id": org, "email": email, "name": email, "role": role, "password": PASSWORD}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Signs in; panics unless it works.
    pub async fn login(&self, email: &str, org: Option<&str>) -> SessionCredentials {
        let mut body = json!({"email": email, "password": PASSWORD});
        if let Some(org) = org {
            body["organization_id"] = json!(org);
        }
        let reply = self
            .call(Method::POST, "/v1/auth/login", &Auth::None, Some(&body))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let cookie = reply
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("trail_session="))
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        SessionCredentials {
            cookie,
            csrf: reply.body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        self.raw(
            Method::GET,
            uri,
            Some(token),
            "application/json",
            Vec::new(),
        )
        .await
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Reply {
        self.raw(
            Method::POST,
            uri,
            Some(token),
            "application/json",
            serde_json::to_vec(&body).unwrap(),
        )
        .await
    }

    pub async fn delete(&self, uri: &str, token: &str) -> Reply {
        self.raw(
            Method::DELETE,
            uri,
            Some(token),
            "application/json",
            Vec::new(),
        )
        .await
    }

    pub async fn org(&self, name: &str) -> String {
        let reply = self
            .post("/v1/organizations", OPERATOR, json!({"name": name}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn key(&self, org: &str, scopes: &[&str]) -> String {
        let reply = self
            .post(
                "/v1/api-keys",
                OPERATOR,
                json!({"organization_id": org, "name": "test", "scopes": scopes}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["secret"].as_str().unwrap().to_owned()
    }

    /// An organization with a read+write key.
    pub async fn tenant(&self, name: &str) -> (String, String) {
        let org = self.org(name).await;
        let key = self.key(&org, &["events:write", "events:read"]).await;
        (org, key)
    }

    pub async fn ingest(&self, key: &str, body: Value) -> Reply {
        self.post("/v1/events", key, body).await
    }

    pub async fn count(&self, key: &str, query: &str) -> u64 {
        let reply = self.get(&format!("/v1/events/count?{query}"), key).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["count"].as_u64().unwrap()
    }
}

/// A valid event with the given action and actor.
pub fn event(action: &str, actor: &str) -> Value {
    json!({
        "action": action,
        "actor": {"id": actor, "name": actor, "email": format!("{actor}@example.com"), "role": "Admin"},
        "resource": {"type": "member", "id": "usr_77", "name": "Bob Ray"},
        "source": "web_ui",
        "context": {"ip": "203.0.113.7", "location": {"country": "DE"}},
        "description": format!("{actor} did {action}"),
    })
}

pub fn at(event: Value, occurred_at: &str) -> Value {
    let mut event = event;
    event["occurred_at"] = json!(occurred_at);
    event
}

/// Ingests `count` events (`{prefix}.e0`, `{prefix}.e1`, … by alice) in one request; returns what
/// the API answered for each (`id`, `seq`, `hash`).
pub async fn ingest_numbered(app: &TestApp, key: &str, prefix: &str, count: usize) -> Vec<Value> {
    let events: Vec<Value> = (0..count)
        .map(|i| event(&format!("{prefix}.e{i}"), "alice"))
        .collect();
    let reply = app.ingest(key, json!(events)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["events"].as_array().unwrap().clone()
}

/// The leaf hashes of appended events, as `ingest_numbered` returns them.
pub fn appended_hashes(appended: &[Value]) -> Vec<trail_core::merkle::Hash> {
    appended
        .iter()
        .map(|a| {
            hex::decode(a["hash"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect()
}

/// The verifier keys `GET /v1/log/public-key` publishes.
pub async fn public_keys(app: &TestApp) -> Vec<trail_core::note::VerifierKey> {
    let reply = app
        .raw(
            Method::GET,
            "/v1/log/public-key",
            None,
            "text/plain",
            vec![],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = reply.body.as_str().unwrap().to_owned();
    text.lines().map(|line| line.parse().unwrap()).collect()
}
