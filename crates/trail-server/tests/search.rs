//! `GET /v1/events`, `POST /v1/events/search`, count and facets through HTTP: the query language,
//! structured filters, time ranges, cursor pagination in both orders, and bad parameters.

#[macro_use]
mod common;

use std::collections::HashSet;

use axum::http::StatusCode;
use common::{TestApp, at, event};
use serde_json::{Value, json};

/// 30 events over 30 days: actors alice/bob/carol in turn, actions member.* and scan.*.
async fn seeded(backend: common::Backend) -> (TestApp, String) {
    let app = TestApp::on(backend).await;
    let (_, key) = app.tenant("Acme").await;
    let now = trail_core::Millis::now();
    let events: Vec<Value> = (0..30)
        .map(|i| {
            let actor = ["alice", "bob", "carol"][i % 3];
            let action = if i % 2 == 0 {
                "member.invited"
            } else {
                "scan.started"
            };
            let mut e = at(
                event(action, actor),
                &now.plus_ms(-((30 - i as i64) * 86_400_000)).to_rfc3339(),
            );
            if i % 5 == 0 {
                e["source"] = json!("api");
                e["context"]["ip"] = json!("10.1.2.3");
            }
            e
        })
        .collect();
    let reply = app.ingest(&key, Value::Array(events)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    (app, key)
}

fn actions(reply: &common::Reply) -> Vec<String> {
    reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

on_every_backend! {
async fn the_query_language_filters_through_http(backend) {
    let (app, key) = seeded(backend).await;
    let q = |q: &str| format!("q={}", urlencode(q));
    assert_eq!(app.count(&key, &q("actor:alice")).await, 10);
    assert_eq!(app.count(&key, &q("action:member.*")).await, 15);
    assert_eq!(app.count(&key, &q("actor:alice action:member.*")).await, 5);
    assert_eq!(app.count(&key, &q("-source:api")).await, 24);
    assert_eq!(app.count(&key, &q("ip:10.0.0.0/8")).await, 6);
    assert_eq!(app.count(&key, &q("actor:alice,bob")).await, 20);
    assert_eq!(app.count(&key, &q("\"carol did scan\"")).await, 5);
    // Ages are 1..=30 days at seeding time; by query time the 10-day-old event is a few ms older
    // than `now - 10d`, so it falls outside the inclusive bound.
    assert_eq!(app.count(&key, "from=10d").await, 9);
    assert_eq!(app.count(&key, "from=10d&to=5d").await, 5);
}

async fn structured_filters_and_q_combine(backend) {
    let (app, key) = seeded(backend).await;
    let body = json!({"q": "action:member.*", "filters": [{"field": "actor", "op": "in", "value": ["alice", "bob"]}], "limit": 100});
    let reply = app.post("/v1/events/search", &key, body).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["events"].as_array().unwrap().len(), 10);
    let bad = app
        .post(
            "/v1/events/search",
            &key,
            json!({"filters": [{"field": "actr", "op": "eq", "value": "x"}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
    assert_eq!(bad.code(), "invalid_query");
}

async fn cursor_pages_walk_every_event_once_in_both_orders(backend) {
    let (app, key) = seeded(backend).await;
    for order in ["desc", "asc"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut uri = format!("/v1/events?limit=7&order={order}");
            if let Some(c) = &cursor {
                uri.push_str(&format!("&cursor={c}"));
            }
            let page = app.get(&uri, &key).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            // New events arriving between pages must not disturb the walk.
            app.ingest(&key, event("late.arrival", "zed")).await;
            seen.extend(
                page.body["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["occurred_at"].as_str().unwrap().to_owned()),
            );
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
            if seen.len() > 100 {
                break;
            }
        }
        let seeded_part: Vec<&String> = seen.iter().filter(|_| true).collect();
        let unique: HashSet<&String> = seeded_part.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "no event twice ({order})");
        let mut sorted = seen.clone();
        sorted.sort();
        if order == "desc" {
            sorted.reverse();
        }
        assert_eq!(seen, sorted, "ordered by occurred_at ({order})");
        assert!(
            seen.len() >= 30,
            "every seeded event was seen ({order}): {}",
            seen.len()
        );
    }
}

async fn seq_sort_ascending_is_the_log_order(backend) {
    let (app, key) = seeded(backend).await;
    let reply = app.get("/v1/events?sort=seq&order=asc&limit=5", &key).await;
    let seqs: Vec<u64> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
}

async fn facets_count_values_and_refuse_unknown_fields(backend) {
    let (app, key) = seeded(backend).await;
    let reply = app.get("/v1/events/facets?field=action", &key).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body["values"],
        json!([
            {"value": "member.invited", "count": 15, "label": "Invited", "area": "member", "area_label": "Member", "catalogued": false},
            {"value": "scan.started", "count": 15, "label": "Started", "area": "scan", "area_label": "Scan", "catalogued": false},
        ])
    );
    let filtered = app
        .get("/v1/events/facets?field=source&q=actor:alice", &key)
        .await;
    let total: u64 = filtered.body["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 10);
    let bad = app.get("/v1/events/facets?field=acton", &key).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`action`"),
        "{:?}",
        bad.body
    );
}

async fn bad_search_parameters_are_400_naming_the_parameter(backend) {
    let (app, key) = seeded(backend).await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("from=yesterday", "from"),
        ("from=1d&to=2d", "to"),
        ("cursor=garbage", "cursor"),
        ("order=sideways", "order"),
        ("colour=blue", "colour"),
    ];
    for (query, field) in cases {
        let reply = app.get(&format!("/v1/events?{query}"), &key).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_fields(), [field], "{query}: {:?}", reply.body);
    }
}

async fn an_unknown_query_field_is_400_with_a_suggestion(backend) {
    let (app, key) = seeded(backend).await;
    let reply = app
        .get(&format!("/v1/events?q={}", urlencode("actr:alice")), &key)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "invalid_query");
    let detail = &reply.body["error"]["details"][0];
    assert_eq!(detail["column"], 1);
    assert_eq!(detail["suggestion"], "actor");
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("actor")
    );
}

async fn newest_first_is_the_default(backend) {
    let (app, key) = seeded(backend).await;
    let reply = app.get("/v1/events?limit=2", &key).await;
    let times: Vec<&str> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times[0] > times[1]);
    assert_eq!(actions(&reply).len(), 2);
    assert!(reply.body["next_cursor"].is_string());
}
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
