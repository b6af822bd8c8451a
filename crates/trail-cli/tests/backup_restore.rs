//! `trail backup` and `trail restore` end to end: the real binary against a real server's data
//! directory while clients ingest, a tampered backup refused with nothing left behind, the
//! signing key only on request, and the proof against a published checkpoint.

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use trail_store::Store as _;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

const OPERATOR: &str = "op-token";

struct Server {
    running: trail_server::Running,
    http: reqwest::Client,
    key: String,
    org: String,
}

impl Server {
    async fn start(data: &Path) -> Server {
        let settings = trail_server::Settings::for_tests(data, OPERATOR);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = trail_server::spawn(settings, listener).await.unwrap();
        let http = reqwest::Client::new();
        let base = running.url();
        let org: Value = http
            .post(format!("{base}/v1/organizations"))
            .bearer_auth(OPERATOR)
            .json(&json!({"name": "Acme"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let org = org["id"].as_str().unwrap().to_owned();
        let key: Value = http
            .post(format!("{base}/v1/api-keys"))
            .bearer_auth(OPERATOR)
            .json(&json!({"organization_id": org, "name": "k", "scopes": ["events:write", "events:read"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Server {
            running,
            http,
            key: key["secret"].as_str().unwrap().to_owned(),
            org,
        }
    }

    /// Ingests `events` and answers their (id, seq) once acknowledged.
    async fn ingest(&self, events: Vec<Value>) -> Vec<(String, u64)> {
        ingest(&self.http, &self.running.url(), &self.key, events).await
    }

    async fn text(&self, path: &str) -> (u16, String) {
        let answer = self
            .http
            .get(format!("{}{path}", self.running.url()))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    }

    /// Waits until a checkpoint of `size` events is signed and answers it.
    async fn checkpoint(&self, size: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, text) = self.text(&format!("/v1/log/checkpoint?size={size}")).await;
            if status == 200 {
                return text;
            }
            assert!(Instant::now() < deadline, "no checkpoint at size {size}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn head(&self) -> u64 {
        let (_, text) = self.text("/v1/events/count").await;
        serde_json::from_str::<Value>(&text).unwrap()["count"]
            .as_u64()
            .unwrap()
    }
}

async fn ingest(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    events: Vec<Value>,
) -> Vec<(String, u64)> {
    let answer: Value = http
        .post(format!("{base}/v1/events"))
        .bearer_auth(key)
        .json(&events)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["events"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn events(prefix: &str, count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| json!({"id": format!("evt_{prefix}_{i}"), "action": "doc.edited", "actor": {"id": "usr_1"}}))
        .collect()
}

async fn trail(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_trail"))
        .args(args)
        .env_remove("TRAIL_DATA_DIR")
        .output()
        .await
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn ok(args: &[&str]) -> String {
    let out = trail(args).await;
    assert!(out.status.success(), "trail {args:?}: {}", text(&out));
    text(&out)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_ingest_restores_every_event_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data).await;
    let base = server.running.url();
    let vkey = server.text("/v1/log/public-key").await.1;

    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..3 {
        let (http, base, key) = (server.http.clone(), base.clone(), server.key.clone());
        let (acked, stop) = (acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut round = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let batch = events(&format!("w{writer}_{round}"), 20);
                let stored = ingest(&http, &base, &key, batch).await;
                acked.lock().unwrap().extend(stored);
                round += 1;
            }
        }));
    }
    while acked.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before_backup: Vec<(String, u64)> = acked.lock().unwrap().clone();
    let backup = dir.path().join("backup.tar");
    let printed = ok(&["backup", "--data-dir", s(&data), "--out", s(&backup)]).await;
    assert!(printed.contains("signing key not included"), "{printed}");
    let during = acked.lock().unwrap().len();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(
        acked.lock().unwrap().len() > before_backup.len(),
        "ingest went on around the backup"
    );
    server.running.stop().await.unwrap();

    let restored = dir.path().join("restored");
    let printed = ok(&[
        "restore",
        "--from",
        s(&backup),
        "--data-dir",
        s(&restored),
        "--vkey",
        vkey.trim(),
    ])
    .await;
    assert!(printed.contains("every log verified"), "{printed}");
    assert!(!restored.join("log-signing.key").exists());
    ok(&["verify", "--data-dir", s(&restored), "--vkey", vkey.trim()]).await;

    let store = SqliteStore::open_read_only(&restored, SqliteOptions::default()).unwrap();
    let size = store.head(&server.org).await.unwrap().size;
    assert!(size >= before_backup.len() as u64);
    assert!(size <= during as u64 + 60, "no event appears from nowhere");
    for (id, seq) in &before_backup {
        let event = store.get_event(&server.org, id).await.unwrap();
        assert_eq!(event.seq, *seq, "{id}");
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_backup_is_refused_and_nothing_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data).await;
    server.ingest(events("a", 50)).await;
    let vkey = server.text("/v1/log/public-key").await.1;
    let backup = dir.path().join("backup.tar");
    ok(&[
        "backup",
        "--data-dir",
        s(&data),
        "--out",
        s(&backup),
        "--include-signing-key",
    ])
    .await;
    server.running.stop().await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a backup with the signing key is private"
        );
    }

    // Flip one byte inside the store member.
    let mut bytes = std::fs::read(&backup).unwrap();
    let start = bytes
        .windows(16)
        .position(|w| w == b"SQLite format 3\0")
        .unwrap();
    bytes[start + 3 * 4096 + 100] ^= 0x01;
    let tampered = dir.path().join("tampered.tar");
    std::fs::write(&tampered, &bytes).unwrap();
    let target = dir.path().join("restored");
    let out = trail(&[
        "restore",
        "--from",
        s(&tampered),
        "--data-dir",
        s(&target),
        "--vkey",
        vkey.trim(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("trail.db does not match the manifest"),
        "{}",
        text(&out)
    );
    assert!(!target.exists(), "nothing was restored");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".trail-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The untouched backup restores, signing key included, but not over a non-empty directory.
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("keep.txt"), "x").unwrap();
    let out = trail(&[
        "restore",
        "--from",
        s(&backup),
        "--data-dir",
        s(&target),
        "--vkey",
        vkey.trim(),
    ])
    .await;
    assert!(!out.status.success());
    assert!(text(&out).contains("is not empty"), "{}", text(&out));
    assert!(target.join("keep.txt").exists());
    ok(&[
        "restore",
        "--from",
        s(&backup),
        "--data-dir",
        s(&target),
        "--vkey",
        vkey.trim(),
        "--force",
    ])
    .await;
    assert!(!target.join("keep.txt").exists());
    assert!(target.join("log-signing.key").exists());
    // The restored directory serves again with its own key: verify needs no --vkey.
    ok(&["verify", "--data-dir", s(&target)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_proves_the_log_against_a_published_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data).await;
    server.ingest(events("a", 20)).await;
    let vkey = server.text("/v1/log/public-key").await.1;
    let older = dir.path().join("older.txt");
    std::fs::write(&older, server.checkpoint(20).await).unwrap();
    server.ingest(events("b", 20)).await;
    server.checkpoint(40).await;
    let backup = dir.path().join("backup.tar");
    ok(&["backup", "--data-dir", s(&data), "--out", s(&backup)]).await;
    let size = server.head().await;

    // Published after the backup: the backup is a prefix of it, provable with a consistency proof.
    server.ingest(events("c", 25)).await;
    let newer = dir.path().join("newer.txt");
    std::fs::write(&newer, server.checkpoint(size + 25).await).unwrap();
    let (status, proof) = server
        .text(&format!(
            "/v1/log/proofs/consistency?from={size}&to={}",
            size + 25
        ))
        .await;
    assert_eq!(status, 200, "{proof}");
    let proof_file = dir.path().join("proof.json");
    std::fs::write(&proof_file, proof).unwrap();
    server.running.stop().await.unwrap();

    let restore = |target: &str, extra: Vec<String>| {
        let mut args: Vec<String> = ["restore", "--from", s(&backup), "--vkey", vkey.trim()]
            .map(String::from)
            .to_vec();
        args.extend([
            "--data-dir".into(),
            dir.path().join(target).display().to_string(),
        ]);
        args.extend(extra);
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            trail(&refs).await
        }
    };
    let out = restore("r1", vec!["--trusted-checkpoint".into(), s(&older).into()]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("extends the trusted checkpoint"),
        "{}",
        text(&out)
    );

    let out = restore("r2", vec!["--trusted-checkpoint".into(), s(&newer).into()]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--consistency-proof"), "{}", text(&out));
    assert!(!dir.path().join("r2").exists());

    let with_proof = vec![
        "--trusted-checkpoint".into(),
        s(&newer).into(),
        "--consistency-proof".into(),
        s(&proof_file).into(),
    ];
    let out = restore("r3", with_proof).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("a prefix"), "{}", text(&out));
}
