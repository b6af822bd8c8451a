//! End to end: the `trail` binary's client commands (orgs, keys, ingest, query) against a real
//! server started in-process on `127.0.0.1:0`.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use trail_core::Millis;

const OPERATOR: &str = "op-token";

struct Server {
    running: trail_server::Running,
    _data: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let settings = trail_server::Settings::for_tests(data.path(), OPERATOR);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = trail_server::spawn(settings, listener).await.unwrap();
        Server {
            running,
            _data: data,
        }
    }

    /// Runs `trail ARGS --url … --token TOKEN` with no `TRAIL_*` variables from the environment.
    async fn trail(&self, token: &str, args: &[&str]) -> Output {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_trail"))
            .args(args)
            .args(["--url", &self.running.url(), "--token", token])
            .env_remove("TRAIL_URL")
            .env_remove("TRAIL_TOKEN")
            .env_remove("TRAIL_ORG")
            .output()
            .await
            .unwrap()
    }

    /// Like `trail`, asserting success and answering stdout.
    async fn ok(&self, token: &str, args: &[&str]) -> String {
        let out = self.trail(token, args).await;
        assert!(
            out.status.success(),
            "trail {args:?} failed: {}\n{}",
            stderr(&out),
            stdout(&out)
        );
        stdout(&out)
    }

    /// A new organization and an API key for it with `scopes`: (organization id, secret).
    async fn org_with_key(&self, name: &str, scopes: &str) -> (String, String) {
        let org: Value =
            serde_json::from_str(&self.ok(OPERATOR, &["orgs", "create", name, "--json"]).await)
                .unwrap();
        let org_id = org["id"].as_str().unwrap().to_owned();
        let key: Value = serde_json::from_str(
            &self
                .ok(
                    OPERATOR,
                    &[
                        "keys", "create", "--org", &org_id, "--name", "test", "--scope", scopes,
                        "--json",
                    ],
                )
                .await,
        )
        .unwrap();
        (org_id, key["secret"].as_str().unwrap().to_owned())
    }

    async fn count(&self, key: &str) -> u64 {
        self.ok(key, &["query", "--count"])
            .await
            .trim()
            .parse()
            .unwrap()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `n` events, one an hour back from now, the `i`th by `usr_{i % 3}`.
fn events(n: usize) -> Vec<Value> {
    let now = Millis::now();
    (0..n)
        .map(|i| {
            json!({
                "action": if i % 2 == 0 { "member.invited" } else { "scan.started" },
                "occurred_at": now.plus_ms(-(i as i64) * 60_000 - 3_600_000).to_rfc3339(),
                "actor": {"id": format!("usr_{}", i % 3), "name": format!("User {}", i % 3), "role": "Admin"},
                "resource": {"type": "member", "id": format!("usr_{i}")},
                "source": "api",
                "context": {"location": {"country": "DE"}},
                "metadata": {"n": i}
            })
        })
        .collect()
}

fn write_ndjson(path: &Path, events: &[Value]) {
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// Every event id the key can see, through `trail query --all`.
async fn all_ids(server: &Server, key: &str) -> Vec<String> {
    let out = server
        .ok(
            key,
            &["query", "--all", "--format", "ndjson", "--order", "asc"],
        )
        .await;
    out.lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            event["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn orgs_and_keys_round_trip_and_a_revoked_key_stops_working() {
    let server = Server::start().await;
    let created = server.ok(OPERATOR, &["orgs", "create", "Acme Inc"]).await;
    assert!(
        created.starts_with("Created organization org_"),
        "{created}"
    );
    let listed = server.ok(OPERATOR, &["orgs", "list"]).await;
    assert!(listed.starts_with("ID"), "{listed}");
    assert!(listed.contains("Acme Inc"), "{listed}");
    let orgs: Vec<Value> =
        serde_json::from_str(&server.ok(OPERATOR, &["orgs", "list", "--json"]).await).unwrap();
    let acme = orgs
        .iter()
        .find(|o| o["name"] == "Acme Inc")
        .expect("Acme in the list");
    let org_id = acme["id"].as_str().unwrap().to_owned();

    let created = server
        .ok(
            OPERATOR,
            &[
                "keys",
                "create",
                "--org",
                &org_id,
                "--name",
                "backend",
                "--scope",
                "events:write,events:read",
                "--expires",
                "90d",
            ],
        )
        .await;
    assert!(created.contains("will not be shown again"), "{created}");
    let secret = created
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.contains(' '))
        .expect("the secret on its own line")
        .to_owned();
    assert_eq!(created.matches(&secret).count(), 1, "{created}");
    let key_id = created
        .split_whitespace()
        .find(|w| w.starts_with("key_"))
        .unwrap()
        .to_owned();

    let listed = server
        .ok(OPERATOR, &["keys", "list", "--org", &org_id])
        .await;
    assert!(
        listed.contains(&key_id) && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(&secret),
        "the list shows no secret: {listed}"
    );
    let listed_json = server
        .ok(OPERATOR, &["keys", "list", "--org", &org_id, "--json"])
        .await;
    assert!(!listed_json.contains(&secret));
    assert!(!listed_json.contains("\"secret\""));

    assert_eq!(server.count(&secret).await, 0);
    let revoked = server
        .ok(OPERATOR, &["keys", "revoke", &key_id, "--org", &org_id])
        .await;
    assert!(revoked.contains(&key_id), "{revoked}");
    let refused = server.trail(&secret, &["query", "--count"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(
        err.starts_with("error: ") && err.contains("HTTP 401"),
        "{err}"
    );

    server.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn ingests_ndjson_and_arrays_and_refuses_to_send_a_file_twice() {
    let server = Server::start().await;
    let (org_id, key) = server
        .org_with_key("Ingest", "events:write,events:read")
        .await;
    let dir = tempfile::tempdir().unwrap();

    let ndjson = dir.path().join("events.ndjson");
    write_ndjson(&ndjson, &events(1200));
    let ndjson = ndjson.to_str().unwrap();
    // A first try with a wrong token stores nothing, so the next try needs no --resume.
    let refused = server.trail("trail_wrong", &["ingest", ndjson]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("HTTP 401"),
        "{}",
        stderr(&refused)
    );
    let out = server.ok(&key, &["ingest", ndjson]).await;
    assert!(out.starts_with("Ingested 1200 events in "), "{out}");
    assert!(out.contains("events/s"), "{out}");
    assert_eq!(server.count(&key).await, 1200);

    // The operator credential ingests too, naming the organization; an array file, pretty-printed.
    let array = dir.path().join("events.json");
    std::fs::write(&array, serde_json::to_string_pretty(&events(30)).unwrap()).unwrap();
    let array = array.to_str().unwrap();
    let out = server
        .ok(
            OPERATOR,
            &["ingest", array, "--org", &org_id, "--batch-size", "7"],
        )
        .await;
    assert!(out.starts_with("Ingested 30 events"), "{out}");
    assert_eq!(server.count(&key).await, 1230);

    // stdin, with no state file.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trail"))
        .args([
            "ingest",
            "-",
            "--url",
            &server.running.url(),
            "--token",
            &key,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let piped: String = events(5).iter().map(|e| format!("{e}\n")).collect();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, piped.as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        stdout(&out).starts_with("Ingested 5 events"),
        "{}",
        stdout(&out)
    );
    assert_eq!(server.count(&key).await, 1235);

    let again = server.trail(&key, &["ingest", ndjson]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already ingested"),
        "{}",
        stderr(&again)
    );
    // --resume after a complete ingest sends only what was appended since.
    let mut more = std::fs::read_to_string(ndjson).unwrap();
    more.push_str(&format!("{}\n", events(1)[0]));
    std::fs::write(ndjson, more).unwrap();
    let out = server.ok(&key, &["ingest", ndjson, "--resume"]).await;
    assert!(out.starts_with("Ingested 1 event "), "{out}");
    assert_eq!(server.count(&key).await, 1236);

    server.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_event_stops_the_ingest_and_resume_finishes_without_duplicates() {
    let server = Server::start().await;
    let (_, key) = server
        .org_with_key("Resume", "events:write,events:read")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    let mut all = events(200);
    let good = all[120].clone();
    all[120] = json!({"action": "member.invited", "actor": {"name": "no id"}});
    write_ndjson(&path, &all);
    let file = path.to_str().unwrap();

    // Several batches in flight: ones after the bad batch may be written before it fails.
    let args = ["ingest", file, "--batch-size", "20", "--concurrency", "3"];
    let failed = server.trail(&key, &args).await;
    assert_eq!(failed.status.code(), Some(1), "{}", stdout(&failed));
    let err = stderr(&failed);
    assert!(err.starts_with("error: the server rejected"), "{err}");
    assert!(err.contains("line 121"), "{err}");
    assert!(err.contains("--resume"), "{err}");
    let written = server.count(&key).await;
    assert!((120..=180).contains(&written), "{written}");

    let refused = server.trail(&key, &args).await;
    assert!(
        stderr(&refused).contains("stopped after 120 events"),
        "{}",
        stderr(&refused)
    );

    all[120] = good;
    write_ndjson(&path, &all);
    let resumed = server.ok(&key, &[&args[..], &["--resume"]].concat()).await;
    assert!(
        resumed.contains("skipped 120 acknowledged earlier"),
        "{resumed}"
    );
    assert_eq!(server.count(&key).await, 200);
    let mut ids = all_ids(&server, &key).await;
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);

    // Batches acknowledged out of order are sent again on resume; derived ids make that harmless.
    let state_path = dir.path().join("events.ndjson.trail-ingest");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    assert_eq!(state["acknowledged"], 200);
    assert_eq!(state["complete"], true);
    state["acknowledged"] = json!(100);
    state["complete"] = json!(false);
    std::fs::write(&state_path, state.to_string()).unwrap();
    let resent = server.ok(&key, &[&args[..], &["--resume"]].concat()).await;
    assert!(resent.starts_with("Ingested 100 events"), "{resent}");
    assert_eq!(server.count(&key).await, 200);

    server.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn query_prints_tables_json_ndjson_and_counts() {
    let server = Server::start().await;
    let (_, key) = server
        .org_with_key("Query", "events:write,events:read")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    write_ndjson(&path, &events(12));
    server
        .ok(
            &key,
            &["ingest", path.to_str().unwrap(), "--batch-size", "5"],
        )
        .await;

    let table = server
        .ok(&key, &["query", "actor:usr_1", "--from", "30d"])
        .await;
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "Date", "Actor", "Action", "Area", "Resource", "Source", "Location"
        ]
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(
        rows.iter()
            .all(|r| r.contains("User 1 (Admin)") && r.contains("DE")),
        "{table}"
    );

    let json: Value = serde_json::from_str(
        &server
            .ok(&key, &["query", "action:member.*", "--format", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 6);
    assert!(json[0]["seq"].is_u64());

    let empty = server
        .ok(&key, &["query", "action:nothing.here", "--format", "json"])
        .await;
    assert_eq!(empty.trim(), "[]");

    let limited = server
        .trail(&key, &["query", "--limit", "3", "--format", "ndjson"])
        .await;
    assert_eq!(stdout(&limited).lines().count(), 3);
    let newest: Vec<Value> = stdout(&limited)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(newest[0]["occurred_at"].as_str() > newest[2]["occurred_at"].as_str());

    let every = all_ids(&server, &key).await;
    assert_eq!(every.len(), 12);
    let count = server
        .ok(&key, &["query", "--count", "action:scan.started"])
        .await;
    assert_eq!(count.trim(), "6");

    server.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_usage_exits_2_and_server_errors_exit_1_with_the_code() {
    let server = Server::start().await;
    let (_, key) = server.org_with_key("Errors", "events:read").await;
    let usage = server.trail(&key, &["query", "--order", "sideways"]).await;
    assert_eq!(usage.status.code(), Some(2));
    let usage = server
        .trail(
            &key,
            &["keys", "create", "--name", "x", "--scope", "everything"],
        )
        .await;
    assert_eq!(usage.status.code(), Some(2));

    let bad = server.trail(&key, &["query", "actr:alice"]).await;
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(
        err.starts_with("error: cannot search events: HTTP 400 "),
        "{err}"
    );

    let forbidden = server.trail(&key, &["orgs", "create", "Nope"]).await;
    assert_eq!(forbidden.status.code(), Some(1));
    assert!(
        stderr(&forbidden).contains("HTTP 403"),
        "{}",
        stderr(&forbidden)
    );

    server.running.stop().await.unwrap();
}
