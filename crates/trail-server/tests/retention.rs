//! Retention over HTTP: the job (run with `retention::purge_at` and a moved clock) removes the
//! events received before the organization's retention, records `trail.retention.purged`, and
//! leaves proofs, checkpoints and the rest of the log working, on every backend.

#[macro_use]
mod common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::{
    OPERATOR, TestApp, appended_hashes as hashes, ingest_numbered as ingest, public_keys,
};
use serde_json::json;
use trail_core::checkpoint::Checkpoint;
use trail_core::merkle::{ConsistencyProof, Hash, InclusionProof, root_from_leaves};
use trail_server::clock::{Clock, TestClock};
use trail_server::integrity::checkpoint_once;
use trail_server::retention::{PURGED_ACTION, purge_at};

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn signed_root(app: &TestApp, key: &str, org: &str, query: &str) -> (u64, Hash) {
    let keys = public_keys(app).await;
    let note = app.get(&format!("/v1/log/checkpoint{query}"), key).await;
    assert_eq!(note.status, StatusCode::OK, "{:?}", note.body);
    let (checkpoint, _) = Checkpoint::open(
        note.body.as_str().unwrap(),
        &keys,
        &format!("trail.test/{org}"),
    )
    .unwrap();
    (checkpoint.size, checkpoint.root)
}

on_every_backend! {
    async fn retention_removes_old_events_and_keeps_the_log_verifiable(backend) {
        let clock = TestClock::starting_now();
        let app = TestApp::on_with_clock(backend, |_| {}, Arc::new(clock.clone())).await;
        let (org, key) = app.tenant("Acme").await;
        let patch = json!({"organization_id": org, "retention_days": 30});
        let reply = app.raw(Method::PATCH, "/v1/settings", Some(OPERATOR), "application/json", serde_json::to_vec(&patch).unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);

        let old = ingest(&app, &key, "old", 5).await;
        assert_eq!(checkpoint_once(&app.state).await.unwrap(), 1);
        let (five, root5) = signed_root(&app, &key, &org, "").await;
        assert_eq!(five, 5);
        clock.advance_ms(5);
        let between = clock.now();
        clock.advance_ms(5);
        let new = ingest(&app, &key, "new", 4).await;
        let mut leaves = hashes(&old);
        leaves.extend(hashes(&new));

        // Nothing is old enough yet.
        assert_eq!(purge_at(&app.state, clock.now()).await.unwrap(), 0);
        // 30 days after `between`, the first five are past retention.
        let later = between.plus_ms(30 * DAY_MS);
        assert_eq!(purge_at(&app.state, later).await.unwrap(), 5);
        assert_eq!(purge_at(&app.state, later).await.unwrap(), 0, "nothing left to remove, nothing recorded");

        let gone = app.get(&format!("/v1/events/{}", old[0]["id"].as_str().unwrap()), &key).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(app.count(&key, "q=action:old.*").await, 0);
        assert_eq!(app.count(&key, "q=action:new.*").await, 4);
        let kept = app.get(&format!("/v1/events/{}", new[0]["id"].as_str().unwrap()), &key).await;
        assert_eq!(kept.status, StatusCode::OK);

        let found = app.get(&format!("/v1/events?q=action:{PURGED_ACTION}"), &key).await;
        assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
        let purges = found.body["events"].as_array().unwrap();
        assert_eq!(purges.len(), 1, "{purges:?}");
        let purge = &purges[0];
        assert_eq!(purge["seq"], 9);
        assert_eq!(purge["area"], "trail");
        assert_eq!(purge["actor"]["type"], "system");
        assert_eq!(purge["actor"]["id"], "trail");
        assert_eq!(purge["metadata"]["purged"], 5);
        assert_eq!(purge["metadata"]["first_retained_seq"], 5);
        assert_eq!(purge["metadata"]["received_before"], between.to_rfc3339());
        leaves.push(hex::decode(purge["hash"].as_str().unwrap()).unwrap().try_into().unwrap());

        // Checkpoints, inclusion proofs (of kept and of removed events) and consistency with the
        // checkpoint signed before the purge all still work.
        assert_eq!(checkpoint_once(&app.state).await.unwrap(), 1);
        let (ten, root10) = signed_root(&app, &key, &org, "").await;
        assert_eq!((ten, root10), (10, root_from_leaves(&leaves)));
        for seq in [2, 5, 7, 9] {
            let reply = app.get(&format!("/v1/log/proofs/inclusion?seq={seq}"), &key).await;
            assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            let proof: InclusionProof = serde_json::from_value(reply.body).unwrap();
            assert_eq!(proof.leaf_hash, leaves[seq]);
            assert_eq!(proof.verify(&root10), Ok(()), "seq {seq}");
        }
        let reply = app.get("/v1/log/proofs/consistency?from=5", &key).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let proof: ConsistencyProof = serde_json::from_value(reply.body).unwrap();
        assert_eq!(proof.verify(&root5, &root10), Ok(()));

        // Ingest carries on after the purge.
        let more = ingest(&app, &key, "more", 2).await;
        assert_eq!(more[0]["seq"], 10);
    }
}
