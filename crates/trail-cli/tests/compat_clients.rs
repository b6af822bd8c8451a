//! The unmodified WorkOS and Retraced clients against a real Trail server (issue 16): the
//! scripts in `crates/trail-server/compat-tests/` drive the `workos` Python SDK and the
//! `@workos-inc/node` client through every documented flow and error path; this test then checks
//! through Trail's own API that the events are ordinary Trail events with the right fields, that
//! nothing of a rejected request was stored, and that `trail verify` accepts the log.
//!
//! Prints `SKIPPED` and passes for a client that is not installed here
//! (`pip install -r requirements.txt`, `npm ci` in that folder), so `cargo test --workspace`
//! works on any machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use trail_server::Settings;

const OPERATOR: &str = "trail_op_compat_clients_operator_credential";

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../trail-server/compat-tests")
}

/// Why the Python client cannot run here, if it cannot.
fn python_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import workos"])
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(_) => Some(format!(
            "the workos package is not installed (pip install -r {}/requirements.txt)",
            scripts_dir().display()
        )),
        Err(_) => Some("python3 is not installed".into()),
    }
}

/// Why the Node clients cannot run here, if they cannot.
fn node_missing(package: &str) -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !scripts_dir().join("node_modules").join(package).exists() {
        return Some(format!("run `npm ci` in {}", scripts_dir().display()));
    }
    None
}

struct Server {
    running: trail_server::Running,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    org: String,
    other_org: String,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_tests(dir.path(), OPERATOR);
        // Low enough for the rate-limit checks to reach, per key only so that one client's
        // probe does not limit the others.
        settings.http.rates.ingest_per_key = 20;
        settings.http.rates.ingest_per_org = 0;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = trail_server::spawn(settings, listener).await.unwrap();
        let mut server = Server {
            running,
            dir,
            http: reqwest::Client::new(),
            org: String::new(),
            other_org: String::new(),
        };
        server.org = server.create_org("Acme").await;
        server.other_org = server.create_org("Globex").await;
        server
    }

    fn url(&self) -> String {
        self.running.url()
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url()))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn create_org(&self, name: &str) -> String {
        let (status, org) = self
            .call(
                reqwest::Method::POST,
                "/v1/organizations",
                OPERATOR,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(status, 201, "{org}");
        org["id"].as_str().unwrap().to_owned()
    }

    async fn key(&self, org: &str, name: &str) -> String {
        let (status, key) = self
            .call(
                reqwest::Method::POST,
                "/v1/api-keys",
                OPERATOR,
                Some(json!({"organization_id": org, "name": name,
                    "scopes": ["events:write", "events:read", "exports", "admin"]})),
            )
            .await;
        assert_eq!(status, 201, "{key}");
        key["secret"].as_str().unwrap().to_owned()
    }

    /// Links `external_id` to `org` with `trail orgs link` (the CLI, over HTTP).
    async fn link(&self, org: &str, external_id: &str) {
        let (url, org, external_id) = (self.url(), org.to_owned(), external_id.to_owned());
        let output = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_trail"))
                .args([
                    "orgs",
                    "link",
                    &org,
                    &external_id,
                    "--url",
                    &url,
                    "--token",
                    OPERATOR,
                ])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(
            output.status.success(),
            "trail orgs link: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The organization's events matching `q`, newest first.
    async fn events(&self, org: &str, q: &str) -> Vec<Value> {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("organization_id", org)
            .append_pair("q", q)
            .append_pair("limit", "1000")
            .finish();
        let (status, page) = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/events?{query}"),
                OPERATOR,
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        page["events"].as_array().unwrap().clone()
    }

    /// Stops the server and runs `trail verify` over its data directory.
    async fn stop_and_verify(self) {
        self.running.stop().await.unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_trail"))
            .args(["verify", "--data-dir"])
            .arg(self.dir.path())
            .env_remove("TRAIL_DATA_DIR")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("valid"),
            "trail verify: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Runs `program script` in the scripts folder with `env`; prints its output and asserts that
/// every check passed.
async fn run_script(program: &str, script: &str, env: Vec<(&'static str, String)>) -> Output {
    let (program, script) = (program.to_owned(), script.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&program)
            .arg(&script)
            .current_dir(scripts_dir())
            .envs(env)
            .output()
    })
    .await
    .unwrap()
    .expect("the client script runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success() && stdout.contains(" passed, 0 failed"),
        "client checks failed (see above)"
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workos_python_sdk_works_unchanged() {
    if let Some(why) = python_missing() {
        println!("SKIPPED: WorkOS Python SDK: {why}");
        return;
    }
    let server = Server::start().await;
    let key = server.key(&server.org, "workos").await;
    let limited = server.key(&server.org, "rate probe").await;
    server.link(&server.org, "org_01WORKOSACME").await;
    // An external id links to one organization only.
    let (status, _) = server
        .call(
            reqwest::Method::PUT,
            &format!(
                "/v1/organizations/{}/external-ids/org_01WORKOSACME",
                server.other_org
            ),
            OPERATOR,
            None,
        )
        .await;
    assert_eq!(status, 409);
    run_script(
        "python3",
        "workos_python.py",
        vec![
            ("TRAIL_URL", server.url()),
            ("WORKOS_KEY", key),
            ("LIMITED_KEY", limited),
            ("ORG_ID", server.org.clone()),
            ("OTHER_ORG_ID", server.other_org.clone()),
            ("LINKED_ORG_ID", "org_01WORKOSACME".to_owned()),
        ],
    )
    .await;
    let linked = server.events(&server.org, "actor.id:user_linked").await;
    assert_eq!(
        linked.len(),
        1,
        "the linked id names the organization: {linked:?}"
    );

    // The first event, as Trail stores it.
    let jane = server.events(&server.org, "actor.id:user_jane").await;
    assert_eq!(jane.len(), 1, "{jane:?}");
    let event = &jane[0];
    assert_eq!(event["action"], "user.signed_in");
    assert_eq!(
        event["actor"],
        json!({"id": "user_jane", "type": "user", "name": "Jane Doe"})
    );
    assert_eq!(
        event["resource"],
        json!({"type": "team", "id": "team_core", "name": "Core"})
    );
    assert_eq!(
        event["targets"],
        json!([{"type": "document", "id": "doc_9"}])
    );
    assert_eq!(event["source"], "workos");
    assert_eq!(event["context"]["ip"], "203.0.113.7");
    assert_eq!(event["context"]["user_agent"], "Python test");
    assert_eq!(event["metadata"]["plan"], "enterprise");
    assert_eq!(event["metadata"]["seats"], 40);
    assert_eq!(event["metadata"]["workos"]["version"], 1);
    assert_eq!(
        event["metadata"]["workos"]["actor_metadata"],
        json!({"role": "owner"})
    );
    assert_eq!(
        event["metadata"]["workos_target_types"],
        json!(["team", "document"])
    );

    // The idempotent retry stored one event; the conflicting body none.
    let idem = server.events(&server.org, "actor.id:user_idem").await;
    assert_eq!(idem.len(), 1, "{idem:?}");
    assert_eq!(idem[0]["action"], "document.shared");
    // Nothing of a rejected request.
    for actor in ["user_bad_ip", "user_badkey", "user_other"] {
        assert!(
            server
                .events(&server.org, &format!("actor.id:{actor}"))
                .await
                .is_empty(),
            "{actor}"
        );
    }
    assert!(
        server
            .events(&server.other_org, "source:workos")
            .await
            .is_empty()
    );
    let stored = server
        .events(&server.org, "source:workos -action:rate.probe")
        .await;
    assert_eq!(
        stored.len(),
        3,
        "only the accepted events (one by the linked id): {stored:?}"
    );

    server.stop_and_verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workos_node_client_works_unchanged() {
    if let Some(why) = node_missing("@workos-inc/node") {
        println!("SKIPPED: WorkOS Node client: {why}");
        return;
    }
    let server = Server::start().await;
    let key = server.key(&server.org, "workos").await;
    let limited = server.key(&server.org, "rate probe").await;
    run_script(
        "node",
        "workos_node.mjs",
        vec![
            ("TRAIL_URL", server.url()),
            ("WORKOS_KEY", key),
            ("LIMITED_KEY", limited),
            ("ORG_ID", server.org.clone()),
            ("OTHER_ORG_ID", server.other_org.clone()),
        ],
    )
    .await;

    let paid = server.events(&server.org, "actor.id:node_user").await;
    assert_eq!(paid.len(), 1, "{paid:?}");
    let event = &paid[0];
    assert_eq!(event["action"], "invoice.paid");
    assert_eq!(
        event["actor"],
        json!({"id": "node_user", "type": "user", "name": "Node User"})
    );
    assert_eq!(
        event["resource"],
        json!({"type": "invoice", "id": "inv_1", "name": "Invoice 1"})
    );
    assert_eq!(event["source"], "workos");
    assert_eq!(event["context"]["ip"], "198.51.100.4");
    assert_eq!(event["context"]["user_agent"], "Node test");
    assert_eq!(event["metadata"]["amount"], 120);
    assert_eq!(
        event["metadata"]["workos"]["actor_metadata"],
        json!({"tier": "gold"})
    );
    let refunded = server.events(&server.org, "actor.id:node_idem").await;
    assert_eq!(refunded.len(), 1, "{refunded:?}");
    assert_eq!(refunded[0]["action"], "invoice.refunded");
    let stored = server
        .events(&server.org, "source:workos -action:rate.probe")
        .await;
    assert_eq!(stored.len(), 2, "only the two accepted events: {stored:?}");
    assert!(
        server
            .events(&server.other_org, "source:workos")
            .await
            .is_empty()
    );

    server.stop_and_verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retraced_client_works_unchanged() {
    if let Some(why) = node_missing("@retracedhq/retraced") {
        println!("SKIPPED: Retraced client: {why}");
        return;
    }
    let server = Server::start().await;
    let key = server.key(&server.org, "retraced").await;
    server.link(&server.org, "retraced-project-acme").await;
    run_script(
        "node",
        "retraced_node.mjs",
        vec![
            ("TRAIL_URL", server.url()),
            ("RETRACED_KEY", key),
            ("PROJECT_ID", server.org.clone()),
            ("OTHER_PROJECT_ID", server.other_org.clone()),
            ("LINKED_PROJECT_ID", "retraced-project-acme".to_owned()),
        ],
    )
    .await;

    let sent = server.events(&server.org, "actor.id:rt_alice").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let event = &sent[0];
    assert_eq!(event["action"], "invoice.sent");
    assert_eq!(
        event["actor"],
        json!({"id": "rt_alice", "type": "user", "name": "Alice"})
    );
    assert_eq!(
        event["resource"],
        json!({"type": "invoice", "id": "inv:7", "name": "Invoice 7"})
    );
    assert_eq!(event["source"], "retraced");
    assert_eq!(event["outcome"], "success");
    assert_eq!(event["context"]["ip"], "192.0.2.10");
    assert_eq!(event["description"], "Alice sent invoice 7");
    assert_eq!(event["metadata"]["a"], "50%");
    assert_eq!(event["metadata"]["b=key"], "x;y");
    assert_eq!(event["metadata"]["retraced_crud"], "c");
    assert_eq!(event["metadata"]["retraced"]["component"], "billing");
    assert_eq!(event["metadata"]["retraced"]["external_id"], "ext:1");
    // 1 + 1 anonymous + 5 in bulk + 1 through the linked project id; nothing refused.
    assert_eq!(server.events(&server.org, "source:retraced").await.len(), 8);
    assert_eq!(
        server.events(&server.org, "actor.id:rt_linked").await.len(),
        1
    );
    assert!(
        server
            .events(&server.org, "actor.id:rt_bad")
            .await
            .is_empty()
    );
    assert!(
        server
            .events(&server.other_org, "source:retraced")
            .await
            .is_empty()
    );

    server.stop_and_verify().await;
}
