//! End to end: `trail export` against a real server on `127.0.0.1:0` (create and wait, the
//! history, a download that resumes from a partial file) and `trail verify --bundle` on the
//! verifiable export it produced, whole and tampered.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

const OPERATOR: &str = "op-token";

async fn trail(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_trail"))
        .args(args)
        .env_remove("TRAIL_URL")
        .env_remove("TRAIL_TOKEN")
        .env_remove("TRAIL_ORG")
        .env_remove("TRAIL_DATA_DIR")
        .output()
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A server with one organization of `n` events and a key with every scope it needs.
async fn server(n: usize) -> (trail_server::Running, tempfile::TempDir, String) {
    let data = tempfile::tempdir().unwrap();
    let settings = trail_server::Settings::for_tests(data.path(), OPERATOR);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = trail_server::spawn(settings, listener).await.unwrap();
    let operator = trail_client::Client::new(&running.url(), OPERATOR).unwrap();
    let org = operator.create_organization("Acme").await.unwrap();
    let key = operator
        .create_api_key(&trail_client::NewApiKey {
            organization_id: Some(org.id.clone()),
            name: "test".into(),
            scopes: vec![
                "events:write".into(),
                "events:read".into(),
                "exports".into(),
            ],
            expires_at: None,
        })
        .await
        .unwrap()
        .secret;
    let client = trail_client::Client::new(&running.url(), key.clone()).unwrap();
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({"action": "member.invited", "actor": {"id": format!("usr_{}", i % 3)},
                   "description": format!("=cmd|' /C calc'!A{i}")})
        })
        .collect();
    client.ingest_events(&events).await.unwrap();
    (running, data, key)
}

fn url_and_token<'a>(
    running: &'a trail_server::Running,
    key: &'a str,
    url: &'a mut String,
) -> [&'a str; 4] {
    *url = running.url();
    ["--url", url.as_str(), "--token", key]
}

/// Rewrites `events.ndjson` in the bundle with `edit` applied to its text.
fn tamper(bundle: &Path, out: &Path, mut edit: impl FnMut(String) -> String) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(bundle).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = String::new();
        file.read_to_string(&mut content).unwrap();
        let name = file.name().to_owned();
        if name == "events.ndjson" {
            content = edit(content);
        }
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(content.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifiable_export_verifies_offline_and_a_tampered_one_names_the_event() {
    let (running, _data, key) = server(20).await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("audit.zip");
    let mut url = String::new();
    let client_args = url_and_token(&running, &key, &mut url);
    let mut args = vec![
        "export",
        "create",
        "--name",
        "Audit",
        "--verifiable",
        "--wait",
        "--output",
    ];
    let bundle_arg = bundle.to_str().unwrap().to_owned();
    args.push(&bundle_arg);
    args.extend(client_args);
    let out = trail(&args).await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("20 records"),
        "{}",
        text(&out.stderr)
    );

    let vkey = reqwest::get(format!("{}/v1/log/public-key", running.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let out = trail(&["verify", "--bundle", &bundle_arg, "--vkey", vkey.trim()]).await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("20/20 events valid"),
        "{}",
        text(&out.stdout)
    );

    let tampered = dir.path().join("tampered.zip");
    let mut victim = String::new();
    tamper(&bundle, &tampered, |events| {
        let mut lines: Vec<String> = events.lines().map(str::to_owned).collect();
        let mut event: Value = serde_json::from_str(&lines[7]).unwrap();
        victim = event["id"].as_str().unwrap().to_owned();
        event["actor"]["id"] = json!("usr_mallory");
        lines[7] = event.to_string();
        lines.join("\n") + "\n"
    });
    let out = trail(&[
        "verify",
        "--bundle",
        tampered.to_str().unwrap(),
        "--vkey",
        vkey.trim(),
    ])
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    let said = text(&out.stderr) + &text(&out.stdout);
    assert!(
        said.contains("seq 7") && said.contains(&victim) && said.contains("altered"),
        "{said}"
    );
    assert!(text(&out.stdout).contains("19/20 events valid"), "{said}");

    let other_key = "other+00000000+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    let out = trail(&["verify", "--bundle", &bundle_arg, "--vkey", other_key]).await;
    assert_ne!(
        out.status.code(),
        Some(0),
        "a bundle signed by another key fails: {}",
        text(&out.stdout)
    );
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_resumes_from_its_partial_file() {
    let (running, _data, key) = server(50).await;
    let mut url = String::new();
    let client_args = url_and_token(&running, &key, &mut url);
    let mut args = vec!["export", "create", "--format", "csv", "--wait"];
    args.extend(client_args);
    let out = trail(&args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = {
        let mut args = vec!["export", "list", "--json"];
        args.extend(client_args);
        trail(&args).await
    };
    let history: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(history[0]["status"], "completed", "{history}");
    let id = history[0]["id"].as_str().unwrap().to_owned();

    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.csv");
    let mut args = vec![
        "export",
        "download",
        &id,
        "--output",
        whole.to_str().unwrap(),
    ];
    args.extend(client_args);
    let out = trail(&args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = std::fs::read(&whole).unwrap();
    assert_eq!(text(&expected).matches("\r\n").count(), 51);
    assert!(text(&expected).contains(",'=cmd|"), "formulas neutralised");

    let resumed = dir.path().join("resumed.csv");
    std::fs::write(dir.path().join("resumed.csv.part"), &expected[..1000]).unwrap();
    let mut args = vec![
        "export",
        "download",
        &id,
        "--output",
        resumed.to_str().unwrap(),
    ];
    args.extend(client_args);
    let out = trail(&args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Resuming at byte 1000"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&resumed).unwrap(), expected);
    assert!(!dir.path().join("resumed.csv.part").exists());

    let mut args = vec!["export", "delete", &id];
    args.extend(client_args);
    assert!(trail(&args).await.status.success());
    running.stop().await.unwrap();
}
