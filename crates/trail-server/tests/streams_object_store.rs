//! Object storage streams against a real S3-compatible server: `moto` in server mode (PyPI
//! `moto[server]`, pinned in `.ci/run`), started by each test on a free port. The files are read
//! back with the `object_store` crate and every event is checked to arrive exactly once, in the
//! file of its hour, named by its first and last seq. Without `moto_server` the tests print
//! SKIPPED and pass.

#[macro_use]
mod common;

use std::io::Read as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::streams::{create, free_port, ingest, status};
use common::{Backend, OPERATOR, TestApp};
use futures_util::TryStreamExt as _;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{ObjectStore as _, ObjectStoreExt as _};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use trail_core::Millis;
use trail_server::clock::TestClock;
use trail_server::streams::worker::{Outcome, deliver};

const KEY_ID: &str = "AKIATRAILTEST";
const SECRET_KEY: &str = "trail-test-secret-access-key";

/// A running `moto_server`, killed when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto on a free port with the bucket `bucket` made; `None` (after printing SKIPPED)
/// when `moto_server` is not installed.
async fn moto(bucket: &str) -> Option<Moto> {
    let port = free_port();
    let child = match Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => {
            eprintln!("SKIPPED: moto_server is absent (pip install 'moto[server]==5.2.1')");
            return None;
        }
    };
    let moto = Moto { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "moto did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let made = reqwest::Client::new()
        .put(format!("http://127.0.0.1:{port}/{bucket}"))
        .send()
        .await
        .expect("creating the bucket");
    assert!(made.status().is_success(), "{:?}", made.status());
    Some(moto)
}

/// A TCP relay in front of moto that can refuse connections: the destination down, then back.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
}

impl Relay {
    async fn start(to: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let flag = up.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", to)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { port, up }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

/// The bucket as a client reads it.
fn reader(port: u16, bucket: &str) -> AmazonS3 {
    AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region("us-east-1")
        .with_endpoint(format!("http://127.0.0.1:{port}"))
        .with_allow_http(true)
        .with_access_key_id(KEY_ID)
        .with_secret_access_key(SECRET_KEY)
        .build()
        .unwrap()
}

/// Every object under `prefix`, by name, each gunzipped into its NDJSON lines.
async fn files(store: &AmazonS3, prefix: &str) -> Vec<(String, Vec<Value>)> {
    let prefix = object_store::path::Path::from(prefix);
    let mut metas: Vec<_> = store.list(Some(&prefix)).try_collect().await.unwrap();
    metas.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
    let mut out = Vec::new();
    for meta in metas {
        let bytes = store
            .get(&meta.location)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("a gzip file");
        let lines = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
            .collect();
        out.push((meta.location.to_string(), lines));
    }
    out
}

fn s3_stream(port: u16, bucket: &str, prefix: &str) -> Value {
    json!({"name": "Archive", "kind": "object_store", "url": format!("s3://{bucket}/{prefix}"),
        "endpoint": format!("http://127.0.0.1:{port}"), "region": "us-east-1",
        "access_key_id": KEY_ID, "secret_access_key": SECRET_KEY})
}

/// Checks every file's name against its lines (`…/YYYY/MM/DD/HH/<first>-<last>.json.gz`, the
/// hour of each event's `received_at`) and returns the seqs of all lines in file order.
fn seqs_checked(files: &[(String, Vec<Value>)], root: &str) -> Vec<u64> {
    let mut seqs = Vec::new();
    for (name, lines) in files {
        let rest = name
            .strip_prefix(&format!("{root}/"))
            .unwrap_or_else(|| panic!("{name} under {root}"));
        let parts: Vec<&str> = rest.split('/').collect();
        assert_eq!(parts.len(), 5, "YYYY/MM/DD/HH/file: {name}");
        let file_seqs: Vec<u64> = lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
        assert_eq!(
            parts[4],
            format!(
                "{}-{}.json.gz",
                file_seqs[0],
                file_seqs[file_seqs.len() - 1]
            ),
            "named by its first and last seq"
        );
        for line in lines {
            let received: Millis = serde_json::from_value(line["received_at"].clone()).unwrap();
            let dt = received.to_datetime();
            assert_eq!(
                parts[..4],
                [
                    format!("{:04}", dt.year()),
                    format!("{:02}", u8::from(dt.month())),
                    format!("{:02}", dt.day()),
                    format!("{:02}", dt.hour())
                ],
                "{name}: the hour it was received"
            );
            assert!(line["id"].is_string() && line["hash"].is_string());
        }
        seqs.extend(file_seqs);
    }
    seqs
}

on_every_backend! {
    async fn every_event_lands_once_in_the_file_of_its_hour(backend) {
        let Some(moto) = moto("trail-archive").await else {
            return;
        };
        let clock = Arc::new(TestClock::at(Millis(1_764_777_000_000))); // 15:50 UTC
        let app = TestApp::on_with_clock(
            backend,
            |s| s.streams.batch_events = 25,
            clock.clone(),
        )
        .await;
        let (org, key) = app.tenant("Acme").await;
        let reply = create(&app, &org, s3_stream(moto.port, "trail-archive", "audit/trail")).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        let id = reply.body["id"].as_str().unwrap().to_owned();
        assert_eq!(reply.body["secret_set"], true);
        assert_eq!(reply.body["settings"]["access_key_id"], KEY_ID);
        assert!(
            !reply.body.to_string().contains(SECRET_KEY),
            "the secret access key is write-only"
        );
        ingest(&app, &key, "first", 30).await;
        clock.advance_ms(3_600_000); // the next hour
        ingest(&app, &key, "second", 30).await;
        // Two full batches go at once; the last 10 events wait to fill a file (60 s by default).
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Waiting);
        assert_eq!(status(&app, &org, &id).await["cursor"], 50);
        clock.advance_ms(60_000);
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::CaughtUp);
        ingest(&app, &key, "third", 7).await;
        clock.advance_ms(59_000);
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::Waiting);
        clock.advance_ms(1_000);
        assert_eq!(deliver(&app.state, &org, &id).await.unwrap(), Outcome::CaughtUp);

        let store = reader(moto.port, "trail-archive");
        let root = format!("audit/trail/{org}/{id}");
        let found = files(&store, &root).await;
        // Batches of 25 over 30 + 30 events across an hour boundary, then 7: 0-24, 25-29 |
        // 30-49, 50-59, 60-66 (the batch 25-49 is cut at the hour).
        let names: Vec<&str> = found
            .iter()
            .map(|(n, _)| n.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(
            names,
            ["0-24.json.gz", "25-29.json.gz", "30-49.json.gz", "50-59.json.gz", "60-66.json.gz"],
            "{backend:?}"
        );
        assert_eq!(
            seqs_checked(&found, &root),
            (0..67).collect::<Vec<u64>>(),
            "every event once, in order ({backend:?})"
        );
        let health = status(&app, &org, &id).await;
        assert_eq!(health["state"], "active");
        assert_eq!(health["events_delivered"], 67);
        assert_eq!(health["lag_events"], 0);

        // The test event goes under test/, outside the hour directories.
        let tested = app
            .post(&format!("/v1/streams/{id}/test?organization_id={org}"), OPERATOR, json!({}))
            .await;
        assert_eq!(tested.status, StatusCode::OK, "{:?}", tested.body);
        assert_eq!(tested.body["delivered"], true, "{:?}", tested.body);
        let test_files = files(&store, &format!("{root}/test")).await;
        assert_eq!(test_files.len(), 1);
        assert_eq!(test_files[0].1[0]["id"], tested.body["event_id"]);
    }
}

#[tokio::test]
async fn a_destination_down_for_a_while_then_back_gets_everything_in_order() {
    let Some(moto) = moto("trail-archive").await else {
        return;
    };
    let relay = Relay::start(moto.port).await;
    let clock = Arc::new(TestClock::at(Millis::now()));
    let app = TestApp::on_with_clock(
        Backend::Sqlite,
        |s| s.streams.batch_events = 10,
        clock.clone(),
    )
    .await;
    let (org, key) = app.tenant("Acme").await;
    let mut body = s3_stream(relay.port, "trail-archive", "");
    body["format"] = json!("ocsf");
    let reply = create(&app, &org, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    ingest(&app, &key, "a", 15).await;
    relay.set_up(false);
    let outcome = deliver(&app.state, &org, &id).await.unwrap();
    let Outcome::Retrying { at } = outcome else {
        panic!("a refused connection is retried: {outcome:?}");
    };
    let health = status(&app, &org, &id).await;
    assert_eq!(health["state"], "retrying", "{:?}", health);
    assert!(
        health["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("s3://trail-archive")
    );
    ingest(&app, &key, "b", 12).await;
    relay.set_up(true);
    clock.set(Millis(at.0 + 60_000));
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );

    let found = files(&reader(moto.port, "trail-archive"), &format!("{org}/{id}")).await;
    let seqs: Vec<u64> = found
        .iter()
        .flat_map(|(_, lines)| {
            lines
                .iter()
                .map(|l| l["metadata"]["sequence"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(seqs, (0..27).collect::<Vec<u64>>(), "OCSF lines, each once");
    assert!(
        found
            .iter()
            .all(|(_, lines)| lines.iter().all(|l| l["class_uid"].is_number()))
    );
}

#[tokio::test]
async fn a_missing_bucket_stops_the_stream_with_the_reason() {
    let Some(moto) = moto("trail-archive").await else {
        return;
    };
    let clock = Arc::new(TestClock::at(Millis::now()));
    let app = TestApp::on_with_clock(Backend::Sqlite, |_| {}, clock.clone()).await;
    let (org, key) = app.tenant("Acme").await;
    let reply = create(&app, &org, s3_stream(moto.port, "no-such-bucket", "x")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    ingest(&app, &key, "a", 3).await;
    clock.advance_ms(60_000);
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::Stopped
    );
    let health = status(&app, &org, &id).await;
    assert_eq!(health["state"], "error");
    assert_eq!(health["last_error"]["status"], 404);
    assert!(
        health["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("bucket"),
        "{:?}",
        health
    );
    assert_eq!(health["undelivered"], json!({"from_seq": 0, "to_seq": 3}));
}

#[tokio::test]
async fn private_endpoints_are_refused_unless_the_operator_allows_them() {
    let clock = Arc::new(TestClock::at(Millis::now()));
    let app = TestApp::on_with_clock(
        Backend::Sqlite,
        |s| s.streams.allow_private_destinations = false,
        clock.clone(),
    )
    .await;
    let (org, key) = app.tenant("Acme").await;
    for host in ["127.0.0.1", "localhost"] {
        let mut body = s3_stream(9, "trail-archive", "");
        body["name"] = json!(format!("to {host}"));
        body["endpoint"] = json!(format!("http://{host}:9"));
        let reply = create(&app, &org, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        let id = reply.body["id"].as_str().unwrap().to_owned();
        ingest(&app, &key, host, 1).await;
        clock.advance_ms(60_000);
        assert_eq!(
            deliver(&app.state, &org, &id).await.unwrap(),
            Outcome::Stopped,
            "{host}"
        );
        let health = status(&app, &org, &id).await;
        assert!(
            health["last_error"]["message"]
                .as_str()
                .unwrap()
                .contains("allow_private_destinations"),
            "{host}: {:?}",
            health
        );
    }
}

#[tokio::test]
async fn bad_object_store_settings_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let good = s3_stream(9000, "trail-archive", "audit");
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"url": "s3://Bad_Bucket/x"}), "url", "bucket"),
        (json!({"url": "s3://ab/x"}), "url", "bucket"),
        (json!({"url": "https://trail-archive/x"}), "url", "scheme"),
        (json!({"url": "s3://trail-archive/a//b"}), "url", "prefix"),
        (
            json!({"url": "s3://key:secret@trail-archive/x"}),
            "url",
            "credentials",
        ),
        (
            json!({"endpoint": "ftp://minio:9000"}),
            "endpoint",
            "format",
        ),
        (
            json!({"endpoint": "http://minio:9000/path"}),
            "endpoint",
            "format",
        ),
        (json!({"region": "EU West"}), "region", "format"),
        (json!({"access_key_id": null}), "access_key_id", "required"),
        (
            json!({"secret_access_key": null}),
            "secret_access_key",
            "required",
        ),
        (json!({"host": "x"}), "host", "not_for_kind"),
        (json!({"token": "x"}), "token", "not_for_kind"),
        (json!({"format": "cef"}), "format", "not_for_kind"),
        (json!({"flush_seconds": 0}), "flush_seconds", "range"),
    ];
    for (change, field, rule) in cases {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let reply = create(&app, &org, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            reply.body
        );
        let details = reply.body["error"]["details"].as_array().unwrap();
        assert!(
            details
                .iter()
                .any(|d| d["field"] == field && d["rule"] == rule),
            "{body}: expected {field}/{rule}, got {:?}",
            reply.body
        );
    }
    let listed = app
        .get(&format!("/v1/streams?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(listed.body["streams"], json!([]), "nothing stored");
}
