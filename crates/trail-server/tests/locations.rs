//! Locations added at ingest from a MaxMind-format database that the test builds: a public
//! address without a location gets country, region and city, marked as Trail's addition (the leaf
//! still checks, a retry is still the same write, `country:` finds it); a location the sender gave,
//! private and unknown addresses are left alone; a missing or non-MMDB database stops the start.

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use common::{TestApp, event};
use serde::Serialize;
use serde_json::{Value, json};
use trail_server::Settings;

#[derive(Serialize)]
struct Named {
    #[serde(skip_serializing_if = "Option::is_none")]
    iso_code: Option<&'static str>,
    names: BTreeMap<&'static str, &'static str>,
}

#[derive(Serialize)]
struct CityRecord {
    country: Named,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subdivisions: Vec<Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<Named>,
}

fn named(iso_code: Option<&'static str>, en: &'static str) -> Named {
    Named {
        iso_code,
        names: [("en", en), ("de", "x")].into(),
    }
}

/// A City database: 81.2.69.0/24 London, 2a02:ff0::/32 Istanbul, 89.160.0.0/16 Sweden (country
/// only, like a Country database).
fn build_database(dir: &Path) -> PathBuf {
    let mut writer = mmdb_writer::Writer::new("Test-City");
    let london = CityRecord {
        country: named(Some("GB"), "United Kingdom"),
        subdivisions: vec![named(Some("ENG"), "England")],
        city: Some(named(None, "London")),
    };
    let istanbul = CityRecord {
        country: named(Some("tr"), "Türkiye"),
        subdivisions: vec![named(Some("34"), "Istanbul")],
        city: Some(named(None, "Istanbul")),
    };
    let sweden = CityRecord {
        country: named(Some("SE"), "Sweden"),
        subdivisions: Vec::new(),
        city: None,
    };
    let net = |s: &str| s.parse::<ipnet::IpNet>().unwrap();
    writer.insert(net("81.2.69.0/24"), &london).unwrap();
    writer.insert(net("2a02:ff0::/32"), &istanbul).unwrap();
    writer.insert(net("89.160.0.0/16"), &sweden).unwrap();
    // Private space in the database too: Trail must still not look it up.
    writer.insert(net("10.0.0.0/8"), &london).unwrap();
    let path = dir.join("test-city.mmdb");
    std::fs::write(&path, writer.to_bytes().unwrap()).unwrap();
    path
}

fn with_ip(action: &str, ip: &str) -> Value {
    let mut event = event(action, "alice");
    event["context"] = json!({"ip": ip});
    event
}

async fn app_with_database(backend: common::Backend) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = build_database(dir.path());
    let app = TestApp::on_with(backend, |s| s.location_database = Some(path)).await;
    (app, dir)
}

on_every_backend! {
    async fn public_addresses_get_a_location_marked_as_trails(backend) {
        let (app, _db) = app_with_database(backend).await;
        let (_org, key) = app.tenant("Acme").await;
        let mut sent_location = with_ip("user.login", "81.2.69.142");
        sent_location["context"]["location"] = json!({"country": "FR", "city": "Paris"});
        let batch = json!([
            with_ip("user.login", "81.2.69.142"),
            with_ip("user.login", "2a02:ff0::1"),
            with_ip("user.login", "89.160.20.128"),
            with_ip("user.login", "10.1.2.3"),
            with_ip("user.login", "8.8.8.8"),
            sent_location,
        ]);
        let sent = app.ingest(&key, batch).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        let mut shown = Vec::new();
        for appended in sent.body["events"].as_array().unwrap() {
            let id = appended["id"].as_str().unwrap();
            let event = app.get(&format!("/v1/events/{id}"), &key).await;
            assert_eq!(event.status, StatusCode::OK);
            assert_eq!(
                trail_core::canonical::leaf_hash_of_api_json(&event.body).map(hex::encode).as_deref(),
                event.body["hash"].as_str(),
                "the added location is inside the leaf and the leaf checks"
            );
            shown.push(event.body);
        }
        let location = |i: usize| shown[i]["context"].get("location").cloned();
        let source = |i: usize| shown[i]["trail"]["location_source"].clone();
        assert_eq!(location(0), Some(json!({"country": "GB", "region": "England", "city": "London"})));
        assert_eq!(source(0), "Test-City");
        assert_eq!(location(1), Some(json!({"country": "TR", "region": "Istanbul", "city": "Istanbul"})));
        assert_eq!(location(2), Some(json!({"country": "SE"})));
        assert_eq!(location(3), None, "private addresses are never looked up");
        assert_eq!(source(3), Value::Null);
        assert_eq!(location(4), None, "an address the database does not know");
        assert_eq!(location(5), Some(json!({"country": "FR", "city": "Paris"})), "the sender's location stays");
        assert_eq!(source(5), Value::Null);

        assert_eq!(app.count(&key, "q=country:GB").await, 1);
        assert_eq!(app.count(&key, "q=country:TR").await, 1);

        // A retry of an enriched event with its client id is the same write, not a conflict.
        let mut retry = with_ip("user.login", "81.2.69.142");
        retry["id"] = shown[0]["id"].clone();
        retry["occurred_at"] = shown[0]["occurred_at"].clone();
        let again = app.ingest(&key, json!([retry])).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(again.body["events"][0]["seq"], shown[0]["seq"]);
    }
}

#[tokio::test]
async fn without_a_database_locations_stay_as_sent() {
    let app = TestApp::new().await;
    let (_org, key) = app.tenant("Acme").await;
    let sent = app
        .ingest(&key, json!([with_ip("user.login", "81.2.69.142")]))
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    let id = sent.body["events"][0]["id"].as_str().unwrap();
    let event = app.get(&format!("/v1/events/{id}"), &key).await;
    assert!(event.body["context"].get("location").is_none());
    assert!(event.body.get("trail").is_none());
}

#[tokio::test]
async fn a_missing_or_invalid_database_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let start = |path: PathBuf| {
        let mut settings = Settings::for_tests(dir.path(), common::OPERATOR);
        settings.location_database = Some(path);
        trail_server::build(settings)
    };
    let missing = dir.path().join("nope.mmdb");
    let err = format!("{:#}", start(missing).await.err().expect("refused"));
    assert!(
        err.contains("location_database") && err.contains("nope.mmdb"),
        "{err}"
    );
    let not_mmdb = dir.path().join("city.mmdb");
    std::fs::write(&not_mmdb, "this is not a database").unwrap();
    let err = format!("{:#}", start(not_mmdb).await.err().expect("refused"));
    assert!(err.contains("is not a MaxMind DB"), "{err}");
}
