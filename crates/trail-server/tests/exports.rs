//! Exports through HTTP: streaming downloads of a search (CSV, JSON, NDJSON, past one store page),
//! export jobs (record count, history, progress, download with `Range`, delete, numbered parts,
//! verifiable bundles, restart), and the organization settings that limit them.

#[macro_use]
mod common;

use std::io::Read as _;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::{OPERATOR, TestApp, at, event};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use trail_server::exports;

/// GETs `uri` and answers the status, headers and raw body.
async fn fetch(
    app: &TestApp,
    uri: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri).header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

/// An organization with `n` events (in batches of 1000), a read/write/exports key.
async fn tenant_with(app: &TestApp, n: usize) -> (String, String) {
    let org = app.org("Acme").await;
    let key = app
        .key(&org, &["events:write", "events:read", "exports"])
        .await;
    let now = trail_core::Millis::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let events: Vec<Value> = chunk
            .iter()
            .map(|&i| {
                let mut e = at(
                    event(
                        if i % 2 == 0 {
                            "member.invited"
                        } else {
                            "scan.started"
                        },
                        ["alice", "bob"][i % 2],
                    ),
                    &now.plus_ms(-((n - i) as i64) * 1_000).to_rfc3339(),
                );
                e["description"] = json!(format!("event {i}"));
                e
            })
            .collect();
        let reply = app.ingest(&key, Value::Array(events)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    (org, key)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().to_owned(), content)
        })
        .collect()
}

/// Creates an export job and drains the worker; answers the finished job.
async fn export(app: &TestApp, key: &str, body: Value) -> Value {
    let created = app.post("/v1/exports", key, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["status"], "queued");
    exports::run_pending(&app.state).await.unwrap();
    let id = created.body["id"].as_str().unwrap();
    app.get(&format!("/v1/exports/{id}"), key).await.body
}

on_every_backend! {
async fn a_csv_download_streams_every_matching_event_past_one_page(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = tenant_with(&app, 2_500).await;
    let (status, headers, body) = fetch(&app, "/v1/events?format=csv&order=asc&limit=5", &key, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "text/csv; charset=utf-8");
    let disposition = header(&headers, "content-disposition");
    assert!(disposition.starts_with("attachment; filename=\"trail-org_") && disposition.ends_with(".csv\""), "{disposition}");
    let text = String::from_utf8(body).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("id,seq,occurred_at,received_at,action,area,actor.id,"));
    assert_eq!(lines.len(), 2_501, "a header and every event, `limit` ignored");
    assert!(lines[1].contains(",0,") && lines[1].contains("event 0"), "{}", lines[1]);
    assert!(lines[2_500].contains("event 2499"), "oldest first with order=asc");

    let (_, _, filtered) = fetch(&app, "/v1/events?format=csv&q=actor:alice", &key, &[]).await;
    assert_eq!(String::from_utf8(filtered).unwrap().matches("\r\n").count(), 1_251);
}

async fn json_and_ndjson_downloads_hold_the_events_as_the_api_returns_them(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = tenant_with(&app, 30).await;
    let (status, headers, body) = fetch(&app, "/v1/events?format=ndjson", &key, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "application/x-ndjson");
    let lines: Vec<Value> = String::from_utf8(body).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 30);
    assert_eq!(lines[0]["seq"], 29, "newest first by default");
    let page = app.get("/v1/events?limit=1", &key).await;
    assert_eq!(lines[0], page.body["events"][0], "the same object as search returns");

    let reply = app.post("/v1/events/search", &key, json!({
        "format": "json",
        "filters": [{"field": "action", "op": "eq", "value": "scan.started"}],
    })).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(header(&reply.headers, "content-type"), "application/json");
    assert!(header(&reply.headers, "content-disposition").ends_with(".json\""));
    let events = reply.body.as_array().expect("one JSON array");
    assert_eq!(events.len(), 15);
    assert!(events.iter().all(|e| e["action"] == "scan.started"));

    let (_, _, empty) = fetch(&app, "/v1/events?format=json&q=actor:nobody", &key, &[]).await;
    assert_eq!(serde_json::from_slice::<Value>(&empty).unwrap(), json!([]));
}

async fn export_jobs_count_run_list_download_and_delete(backend) {
    let app = TestApp::on(backend).await;
    let (org, key) = tenant_with(&app, 40).await;
    let created = app.post("/v1/exports", &key, json!({
        "name": "Alice's members", "format": "csv", "q": "actor:alice", "time_frame": "last_30_days",
    })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["record_count"], 20, "the Export N records number, known at once");
    assert_eq!(created.body["status"], "queued");
    assert!(created.body["created_by"].as_str().unwrap().starts_with("key_"), "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let early = app.get(&format!("/v1/exports/{id}/download"), &key).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.code(), "not_ready");

    assert_eq!(exports::run_pending(&app.state).await.unwrap(), 1);
    let done = app.get(&format!("/v1/exports/{id}"), &key).await.body;
    assert_eq!(done["status"], "completed", "{done:?}");
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["exported_count"], 20);
    assert!(done["expires_at"].is_string());
    assert_eq!(done["download_url"], format!("/v1/exports/{id}/download"));

    let by_operator = app.post("/v1/exports", OPERATOR, json!({"organization_id": org, "format": "ndjson", "gzip": true})).await;
    assert_eq!(by_operator.body["created_by"], "operator");
    let history = app.get("/v1/exports", &key).await.body;
    let names: Vec<&str> = history["exports"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(names, [by_operator.body["id"].as_str().unwrap(), id.as_str()], "newest first");

    let url = format!("/v1/exports/{id}/download");
    let (status, headers, whole) = fetch(&app, &url, &key, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "accept-ranges"), "bytes");
    assert!(header(&headers, "content-disposition").contains("Alice_s_members.csv"), "{headers:?}");
    let text = String::from_utf8(whole.clone()).unwrap();
    assert_eq!(text.matches("\r\n").count(), 21);
    assert!(!text.contains(",bob,"));

    let (status, headers, tail) = fetch(&app, &url, &key, &[("range", "bytes=100-")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&headers, "content-range"), format!("bytes 100-{}/{}", whole.len() - 1, whole.len()));
    assert_eq!(tail, whole[100..], "a resumed download continues where it stopped");
    let (status, _, _) = fetch(&app, &url, &key, &[("range", "bytes=999999-")]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);

    exports::run_pending(&app.state).await.unwrap();
    let gz_id = by_operator.body["id"].as_str().unwrap();
    let (_, headers, gz) = fetch(&app, &format!("/v1/exports/{gz_id}/download"), &key, &[]).await;
    assert_eq!(header(&headers, "content-type"), "application/gzip");
    let mut ndjson = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut ndjson).unwrap();
    assert_eq!(ndjson.lines().count(), 40);

    let other = app.tenant("Other").await.1;
    assert_eq!(app.get(&format!("/v1/exports/{id}"), &other).await.status, StatusCode::FORBIDDEN);
    let deleted = app.delete(&format!("/v1/exports/{id}"), &key).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/v1/exports/{id}"), &key).await.status, StatusCode::NOT_FOUND);
    let files: Vec<_> = std::fs::read_dir(exports::worker::export_dir(&app.state)).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "the deleted export's file is gone: {files:?}");
}

async fn a_row_limit_splits_the_export_into_numbered_parts_in_one_zip(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = tenant_with(&app, 25).await;
    let done = export(&app, &key, json!({"name": "parts", "format": "json", "rows_per_file": 10})).await;
    assert_eq!(done["status"], "completed", "{done:?}");
    let (_, headers, zip) = fetch(&app, &format!("/v1/exports/{}/download", done["id"].as_str().unwrap()), &key, &[]).await;
    assert_eq!(header(&headers, "content-type"), "application/zip");
    let parts = unzip(&zip);
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    let id = done["id"].as_str().unwrap();
    assert_eq!(names, [format!("{id}-part-0001.json"), format!("{id}-part-0002.json"), format!("{id}-part-0003.json")]);
    let sizes: Vec<usize> = parts.iter().map(|(_, c)| serde_json::from_slice::<Vec<Value>>(c).unwrap().len()).collect();
    assert_eq!(sizes, [10, 10, 5], "no row is lost or repeated");
}

async fn a_verifiable_export_is_a_bundle_with_a_proof_per_event(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = tenant_with(&app, 12).await;
    let done = export(&app, &key, json!({"name": "audit", "verifiable": true, "q": "actor:bob"})).await;
    assert_eq!(done["status"], "completed", "{done:?}");
    let (_, _, zip) = fetch(&app, &format!("/v1/exports/{}/download", done["id"].as_str().unwrap()), &key, &[]).await;
    let files = unzip(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["events.ndjson", "proofs.ndjson", "checkpoint", "public-key", "manifest.json"]);
    let events: Vec<Value> = String::from_utf8(files[0].1.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let proofs: Vec<Value> = String::from_utf8(files[1].1.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 6);
    assert_eq!(proofs.len(), 6);
    for (event, proof) in events.iter().zip(&proofs) {
        assert_eq!(event["seq"], proof["seq"]);
        assert_eq!(event["hash"], proof["leaf_hash"]);
        assert_eq!(proof["tree_size"], 12);
    }
    assert!(String::from_utf8_lossy(&files[2].1).contains("\n12\n"), "the checkpoint covers the log");
}

async fn settings_limit_exports_with_a_422_that_says_how_to_split(backend) {
    let app = TestApp::on(backend).await;
    let (org, key) = tenant_with(&app, 3).await;
    let defaults = app.get("/v1/settings", &key).await;
    assert_eq!(defaults.status, StatusCode::OK, "{:?}", defaults.body);
    assert_eq!(defaults.body["retention_days"], 365);
    assert_eq!(defaults.body["max_export_window_days"], Value::Null);

    let forbidden = app.raw(axum::http::Method::PATCH, "/v1/settings", Some(&key), "application/json", br#"{"retention_days": 30}"#.to_vec()).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "changing settings needs the admin scope");
    let patch = |body: Value| app.raw(axum::http::Method::PATCH, "/v1/settings", Some(OPERATOR), "application/json", serde_json::to_vec(&body).unwrap());
    let bad = patch(json!({"organization_id": org, "retention_days": 0})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_fields(), ["retention_days"]);
    let changed = patch(json!({"organization_id": org, "max_export_window_days": 30})).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["max_export_window_days"], 30);
    assert_eq!(changed.body["retention_days"], 365, "left out, kept");

    let too_wide = app.post("/v1/exports", &key, json!({"time_frame": "last_90_days"})).await;
    assert_eq!(too_wide.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", too_wide.body);
    assert_eq!(too_wide.code(), "limit_exceeded");
    let message = too_wide.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("at most 30 days") && message.contains("split it into 3 exports"), "{message}");
    assert_eq!(too_wide.body["error"]["details"][0]["limit"], 30);
    let fits = app.post("/v1/exports", &key, json!({"time_frame": "last_30_days"})).await;
    assert_eq!(fits.status, StatusCode::CREATED, "{:?}", fits.body);

    let cleared = patch(json!({"organization_id": org, "max_export_window_days": null, "retention_days": 10})).await;
    assert_eq!(cleared.body["max_export_window_days"], Value::Null);
    let too_old = app.post("/v1/exports", &key, json!({"time_frame": "custom", "from": "20d"})).await;
    assert_eq!(too_old.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_old.error_fields(), ["from"]);
    let bad_frame = app.post("/v1/exports", &key, json!({"time_frame": "last_year"})).await;
    assert_eq!(bad_frame.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_frame.error_fields(), ["time_frame"]);
}

async fn a_job_interrupted_by_a_restart_runs_again(backend) {
    let app = TestApp::on(backend).await;
    let (org, key) = tenant_with(&app, 5).await;
    let created = app.post("/v1/exports", &key, json!({"format": "ndjson"})).await;
    let id = created.body["id"].as_str().unwrap();
    // A server stopped while the job ran leaves it `running`.
    assert!(app.state.store.claim_export(&org, id, trail_core::Millis::now()).await.unwrap());
    assert_eq!(app.get(&format!("/v1/exports/{id}"), &key).await.body["status"], "running");
    assert_eq!(exports::worker::requeue_interrupted(&app.state).await.unwrap(), 1);
    assert_eq!(app.get(&format!("/v1/exports/{id}"), &key).await.body["status"], "queued");
    exports::run_pending(&app.state).await.unwrap();
    let done = app.get(&format!("/v1/exports/{id}"), &key).await.body;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["exported_count"], 5);
}
}

#[tokio::test]
async fn a_failed_job_says_why_and_an_expired_one_loses_its_file() {
    let app = TestApp::with(|s| s.export_expiry_hours = 0).await;
    let (_, key) = tenant_with(&app, 3).await;
    let done = export(&app, &key, json!({"format": "csv"})).await;
    assert_eq!(done["status"], "completed");
    let file = exports::worker::export_dir(&app.state)
        .join(format!("{}.csv", done["id"].as_str().unwrap()));
    assert!(file.exists());
    exports::run_pending(&app.state).await.unwrap();
    let expired = app
        .get(
            &format!("/v1/exports/{}", done["id"].as_str().unwrap()),
            &key,
        )
        .await
        .body;
    assert_eq!(expired["status"], "expired");
    assert!(!file.exists(), "the file of an expired export is deleted");
    let gone = app
        .get(
            &format!("/v1/exports/{}/download", done["id"].as_str().unwrap()),
            &key,
        )
        .await;
    assert_eq!(gone.status, StatusCode::GONE);

    // The export directory cannot be created: a file is in its way.
    let dir = exports::worker::export_dir(&app.state);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, b"not a directory").unwrap();
    let failed = export(&app, &key, json!({"format": "csv"})).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("exports"),
        "{failed:?}"
    );
}

#[tokio::test]
async fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let key = app
        .key(&org, &["events:write", "events:read", "exports"])
        .await;
    let mut e = event("member.invited", "alice");
    e["description"] = json!("=HYPERLINK(\"http://evil\",\"x\")");
    e["actor"]["name"] = json!("@admin, \"root\"");
    assert_eq!(app.ingest(&key, e).await.status, StatusCode::OK);
    let (_, _, body) = fetch(&app, "/v1/events?format=csv", &key, &[]).await;
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\","),
        "{text}"
    );
    assert!(text.contains(",\"'@admin, \"\"root\"\"\","), "{text}");
}

#[tokio::test]
async fn a_download_needs_the_read_and_export_scopes_and_a_known_format() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let writer = app.key(&org, &["events:write"]).await;
    assert_eq!(
        app.get("/v1/events?format=csv", &writer).await.status,
        StatusCode::FORBIDDEN
    );
    let reader = app.key(&org, &["events:read"]).await;
    assert_eq!(
        app.get("/v1/events?format=csv", &reader).await.status,
        StatusCode::FORBIDDEN,
        "a download is an export"
    );
    let exporter = app.key(&org, &["events:read", "exports"]).await;
    let bad = app.get("/v1/events?format=xlsx", &exporter).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_fields(), ["format"]);
    assert_eq!(
        app.post("/v1/exports", &reader, json!({})).await.status,
        StatusCode::FORBIDDEN,
        "jobs need the exports scope"
    );
}

/// A member who may export but read only their own activity gets an export of their own events,
/// and sees neither other people's jobs nor their files.
#[tokio::test]
async fn an_export_job_keeps_the_requesters_reading_restriction() {
    use axum::http::Method;
    use common::Auth;
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    for actor in ["eve", "zed", "zed"] {
        assert_eq!(
            app.ingest(&key, event("doc.viewed", actor)).await.status,
            StatusCode::OK
        );
    }
    let role = app
        .post(
            "/v1/roles",
            OPERATOR,
            json!({"organization_id": org, "name": "Own exporter", "permissions": ["events:read_own", "events:export"]}),
        )
        .await;
    let role = role.body["id"].as_str().unwrap().to_owned();
    app.add_member(&org, "eve@example.com", &role).await;
    let eve = Auth::Session(app.login("eve@example.com", None).await);

    let theirs = app
        .post(
            "/v1/exports",
            OPERATOR,
            json!({"organization_id": org, "format": "ndjson"}),
        )
        .await;
    assert_eq!(theirs.body["record_count"], 3);
    let mine = app
        .call(
            Method::POST,
            "/v1/exports",
            &eve,
            Some(&json!({"format": "ndjson"})),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{:?}", mine.body);
    assert_eq!(mine.body["record_count"], 1, "only eve's own event");
    exports::run_pending(&app.state).await.unwrap();

    let id = mine.body["id"].as_str().unwrap();
    let job = app
        .call(Method::GET, &format!("/v1/exports/{id}"), &eve, None)
        .await;
    assert_eq!(
        (
            job.body["status"].as_str(),
            job.body["exported_count"].as_u64()
        ),
        (Some("completed"), Some(1))
    );
    let history = app.call(Method::GET, "/v1/exports", &eve, None).await;
    let listed: Vec<&str> = history.body["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [id]);
    let other = theirs.body["id"].as_str().unwrap();
    for uri in [
        format!("/v1/exports/{other}"),
        format!("/v1/exports/{other}/download"),
    ] {
        let reply = app.call(Method::GET, &uri, &eve, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
    }
    let everything = app
        .get(&format!("/v1/exports?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(everything.body["exports"].as_array().unwrap().len(), 2);
}

/// A job exports the events that existed when it was created, the "Export N records" that were
/// counted, not events that arrived while it waited in the queue.
#[tokio::test]
async fn a_job_exports_exactly_the_records_it_counted() {
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    for actor in ["ann", "bob"] {
        assert_eq!(
            app.ingest(&key, event("doc.viewed", actor)).await.status,
            StatusCode::OK
        );
    }
    let job = app
        .post(
            "/v1/exports",
            OPERATOR,
            json!({"organization_id": org, "format": "ndjson"}),
        )
        .await;
    assert_eq!(job.body["record_count"], 2);
    assert_eq!(
        app.ingest(&key, event("doc.viewed", "late")).await.status,
        StatusCode::OK
    );
    exports::run_pending(&app.state).await.unwrap();
    let id = job.body["id"].as_str().unwrap();
    let done = app
        .get(&format!("/v1/exports/{id}?organization_id={org}"), OPERATOR)
        .await;
    assert_eq!(done.body["status"], "completed");
    assert_eq!(done.body["exported_count"], 2);
}

#[tokio::test]
async fn exports_and_searches_read_time_bounds_alike() {
    let app = TestApp::new().await;
    let (org, _) = app.tenant("Acme").await;
    let key = app.key(&org, &["events:read", "exports"]).await;
    let created = app
        .post(
            "/v1/exports",
            &key,
            json!({"format": "csv", "time_frame": "custom", "from": "15m", "to": "now"}),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "`15m` works for exports too: {:?}",
        created.body
    );
    let export = app
        .post(
            "/v1/exports",
            &key,
            json!({"format": "csv", "time_frame": "custom", "from": "yesterday"}),
        )
        .await;
    let search = app.get("/v1/events?from=yesterday", &key).await;
    for refused in [&export, &search] {
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{:?}",
            refused.body
        );
        assert_eq!(refused.error_fields(), ["from"]);
    }
    assert_eq!(
        export.body["error"]["message"], search.body["error"]["message"],
        "one wording"
    );
    assert_eq!(
        search.body["error"]["message"],
        format!(
            "`yesterday` is not a time for `from`: use {}.",
            trail_core::time::TIME_BOUND_FORMS
        )
    );
}

#[tokio::test]
async fn an_export_job_resolves_catalogue_labels_as_they_were_when_it_was_created() {
    let app = TestApp::new().await;
    let org = app.org("Acme").await;
    let key = app
        .key(&org, &["events:write", "events:read", "exports"])
        .await;
    let put = put_label(&app, &org, "Invited").await;
    assert!(put.status.is_success(), "{:?}", put.body);
    ingest_invited_and_scans(&app, &key).await;
    let job = app
        .post(
            "/v1/exports",
            &key,
            json!({"format": "ndjson", "q": "action:\"Invited\""}),
        )
        .await;
    assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
    assert_eq!(
        job.body["record_count"], 3,
        "the label counts its action's events"
    );
    // Relabelled before the job runs: the job still exports what it counted.
    let relabelled = put_label(&app, &org, "Member Invited").await;
    assert!(relabelled.status.is_success(), "{:?}", relabelled.body);
    exports::run_pending(&app.state).await.unwrap();
    let id = job.body["id"].as_str().unwrap();
    let done = app.get(&format!("/v1/exports/{id}"), &key).await.body;
    assert_eq!(done["status"], "completed", "{done:?}");
    assert_eq!(done["exported_count"], 3);
    let (_, _, body) = fetch(&app, &format!("/v1/exports/{id}/download"), &key, &[]).await;
    let actions: Vec<String> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(actions, ["member.invited"; 3]);
}

/// Labels `member.invited` in `org`'s catalogue.
async fn put_label(app: &TestApp, org: &str, label: &str) -> common::Reply {
    let body =
        json!({"organization_id": org, "label": label, "area": "members", "description": "d"});
    app.call(
        axum::http::Method::PUT,
        "/v1/event-types/member.invited",
        &common::Auth::Bearer(OPERATOR.into()),
        Some(&body),
    )
    .await
}

/// Three `member.invited` and two `scan.started` events.
async fn ingest_invited_and_scans(app: &TestApp, key: &str) {
    let events: Vec<Value> = (0..5)
        .map(|i| {
            event(
                if i % 2 == 0 {
                    "member.invited"
                } else {
                    "scan.started"
                },
                "ann",
            )
        })
        .collect();
    let reply = app.ingest(key, Value::Array(events)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}
