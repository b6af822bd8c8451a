//! `POST /v1/events`: shapes accepted, durability answer, hashing, idempotency, all-or-nothing,
//! every bad-input path, and gap-free sequencing under concurrent requests.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::{TestApp, event};
use serde_json::{Value, json};
use trail_core::canonical::leaf_hash_of_api_json;

on_every_backend! {
async fn one_event_an_array_and_ndjson_are_accepted_in_order(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = app.tenant("Acme").await;

    let one = app.ingest(&key, event("user.login", "alice")).await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert_eq!(one.body["events"][0]["seq"], 0);

    let array = app
        .ingest(
            &key,
            json!([event("scan.started", "bob"), event("scan.completed", "bob")]),
        )
        .await;
    let seqs: Vec<u64> = array.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2]);

    let ndjson = format!(
        "{}\n{}\n",
        event("member.invited", "carol"),
        event("member.joined", "dave")
    );
    let reply = app
        .raw(
            Method::POST,
            "/v1/events",
            Some(&key),
            "application/x-ndjson",
            ndjson.into_bytes(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["events"][1]["seq"], 4);
    assert_eq!(app.count(&key, "").await, 5);
}

async fn the_returned_hash_is_recomputable_from_the_api_json_and_chains(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = app.tenant("Acme").await;
    let acks = app
        .ingest(
            &key,
            json!([event("a.one", "alice"), event("a.two", "alice")]),
        )
        .await
        .body["events"]
        .clone();
    let first = app
        .get(
            &format!("/v1/events/{}", acks[0]["id"].as_str().unwrap()),
            &key,
        )
        .await
        .body;
    let second = app
        .get(
            &format!("/v1/events/{}", acks[1]["id"].as_str().unwrap()),
            &key,
        )
        .await
        .body;
    assert_eq!(
        hex::encode(leaf_hash_of_api_json(&first).unwrap()),
        acks[0]["hash"].as_str().unwrap()
    );
    assert_eq!(
        hex::encode(leaf_hash_of_api_json(&second).unwrap()),
        acks[1]["hash"].as_str().unwrap()
    );
    assert_eq!(second["prev"], first["hash"]);
    assert_eq!(first["prev"], trail_core::event::GENESIS_PREV);
    assert_eq!(first["v"], 1);
}

async fn a_client_chosen_id_is_idempotent_and_a_changed_body_conflicts(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = app.tenant("Acme").await;
    let mut e = event("member.invited", "alice");
    e["id"] = json!("evt_client_1");
    let first = app.ingest(&key, e.clone()).await;
    let again = app.ingest(&key, e.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(first.body["events"], again.body["events"]);

    e["description"] = json!("something else");
    let conflict = app
        .ingest(&key, json!([event("other.thing", "bob"), e]))
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{:?}", conflict.body);
    assert_eq!(conflict.code(), "id_conflict");
    assert_eq!(conflict.error_fields(), ["events[1].id"]);
    // Nothing of the rejected batch was stored, and the next write gets the next seq.
    assert_eq!(app.count(&key, "").await, 1);
    let next = app.ingest(&key, event("x.y", "bob")).await;
    assert_eq!(next.body["events"][0]["seq"], 1);
}

async fn a_retry_without_occurred_at_is_still_the_same_write(backend) {
    let clock = trail_server::clock::TestClock::starting_now();
    let app = TestApp::on_with_clock(backend, |_| {}, std::sync::Arc::new(clock.clone())).await;
    let (_, key) = app.tenant("Acme").await;
    let e = json!({"id": "evt_retry", "action": "user.login", "actor": {"id": "u1"}});
    let first = app.ingest(&key, e.clone()).await;
    // Later, so the defaulted `occurred_at` of the retry differs from the first write's.
    clock.advance_ms(5);
    let again = app.ingest(&key, e).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(first.body, again.body);
}

async fn a_batch_with_one_bad_event_stores_nothing_and_names_every_field(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = app.tenant("Acme").await;
    let bad = json!([
        event("ok.event", "alice"),
        {"action": "Bad Action", "actor": {"id": "u"}},
        {"action": "x", "actor": {"id": "u", "email": "not-an-email"}, "context": {"ip": "999.1.1.1"}},
    ]);
    let reply = app.ingest(&key, bad).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "invalid_request");
    assert_eq!(
        reply.error_fields(),
        [
            "events[1].action",
            "events[2].actor.email",
            "events[2].context.ip"
        ]
    );
    assert_eq!(app.count(&key, "").await, 0);
}

async fn malformed_bodies_are_400_with_the_field(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = app.tenant("Acme").await;
    let cases: [(&[u8], &str, &str); 6] = [
        (b"{\"action\": ", "events[0]", "json"),
        (b"[{\"action\": ", "body", "json"),
        (b"[]", "body", "required"),
        (b"{\"action\":\"a\"}", "events[0].actor", "required"),
        (
            b"{\"action\":\"a\",\"actor\":{\"id\":\"u\"},\"colour\":1}",
            "events[0].colour",
            "unknown_field",
        ),
        (
            b"{\"action\":\"a\",\"actor\":{\"id\":\"u\"},\"occurred_at\":\"2999-01-01T00:00:00Z\"}",
            "events[0].occurred_at",
            "in_future",
        ),
    ];
    for (body, field, rule) in cases {
        let reply = app
            .raw(
                Method::POST,
                "/v1/events",
                Some(&key),
                "application/json",
                body.to_vec(),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
        let detail = &reply.body["error"]["details"][0];
        assert_eq!(
            (detail["field"].as_str(), detail["rule"].as_str()),
            (Some(field), Some(rule)),
            "{:?}",
            reply.body
        );
    }
}

async fn oversized_requests_are_413(backend) {
    let app = TestApp::on_with(backend, |s| {
        s.limits.max_request_bytes = 4096;
        s.limits.max_events_per_request = 3;
    })
    .await;
    let (_, key) = app.tenant("Acme").await;
    let big = json!({"action": "a", "actor": {"id": "u"}, "description": "x".repeat(5000)});
    let reply = app.ingest(&key, big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "payload_too_large");
    let four: Vec<Value> = (0..4)
        .map(|_| json!({"action": "a", "actor": {"id": "u"}}))
        .collect();
    let reply = app.ingest(&key, Value::Array(four)).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{:?}",
        reply.body
    );
    assert_eq!(app.count(&key, "").await, 0);
}

async fn concurrent_requests_never_leave_a_gap_or_a_duplicate_seq(backend) {
    let app = TestApp::on(backend).await;
    let (_, key) = app.tenant("Acme").await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let app = app.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for b in 0..10 {
                let batch: Vec<Value> = (0..25)
                    .map(|i| event("load.test", &format!("t{t}b{b}i{i}")))
                    .collect();
                let reply = app.ingest(&key, Value::Array(batch)).await;
                assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
                seqs.extend(
                    reply.body["events"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["seq"].as_u64().unwrap()),
                );
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (0..2000).collect::<Vec<u64>>());
}

}
