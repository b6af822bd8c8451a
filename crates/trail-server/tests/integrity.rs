//! Integrity over HTTP: checkpoints signed by the job (drained with `checkpoint_once`), the public
//! key, inclusion and consistency proofs, an event's `proof`, access rules and key rotation, on
//! every backend.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::{OPERATOR, TestApp, appended_hashes as hashes, ingest_numbered, public_keys};
use serde_json::Value;
use trail_core::canonical::leaf_hash_of_api_json;
use trail_core::checkpoint::Checkpoint;
use trail_core::merkle::{ConsistencyProof, InclusionProof, root_from_leaves};
use trail_core::note::Note;
use trail_server::integrity::checkpoint_once;

async fn checkpoint(app: &TestApp, key: &str, query: &str) -> (StatusCode, String) {
    let reply = app.get(&format!("/v1/log/checkpoint{query}"), key).await;
    let text = reply.body.as_str().map(str::to_owned).unwrap_or_default();
    (reply.status, text)
}

on_every_backend! {
    async fn checkpoints_are_signed_kept_and_consistent(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        assert_eq!(checkpoint(&app, &key, "").await.0, StatusCode::NOT_FOUND);
        let mut leaves = hashes(&ingest_numbered(&app, &key, "a", 5).await);
        assert_eq!(checkpoint_once(&app.state).await.unwrap(), 1);
        assert_eq!(
            checkpoint_once(&app.state).await.unwrap(),
            0,
            "nothing grew"
        );

        let keys = public_keys(&app).await;
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].name(), "trail.test");
        let origin = format!("trail.test/{org}");
        let (status, first) = checkpoint(&app, &key, "").await;
        assert_eq!(status, StatusCode::OK);
        let (five, _) = Checkpoint::open(&first, &keys, &origin).unwrap();
        assert_eq!((five.size, five.root), (5, root_from_leaves(&leaves)));

        leaves.extend(hashes(&ingest_numbered(&app, &key, "a", 3).await));
        assert_eq!(checkpoint_once(&app.state).await.unwrap(), 1);
        let (eight, _) = Checkpoint::open(checkpoint(&app, &key, "").await.1, &keys, &origin).unwrap();
        assert_eq!((eight.size, eight.root), (8, root_from_leaves(&leaves)));
        assert_eq!(checkpoint(&app, &key, "?size=5").await.1, first);
        assert_eq!(
            checkpoint(&app, &key, "?size=6").await.0,
            StatusCode::NOT_FOUND
        );

        let reply = app.get("/v1/log/proofs/consistency?from=5", &key).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let proof: ConsistencyProof = serde_json::from_value(reply.body).unwrap();
        assert_eq!((proof.from, proof.to), (5, 8));
        assert_eq!(proof.verify(&five.root, &eight.root), Ok(()));
    }

    async fn events_carry_their_inclusion_proof_once_checkpointed(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        let appended = ingest_numbered(&app, &key, "a", 10).await;
        let id = appended[3]["id"].as_str().unwrap();
        let before = app.get(&format!("/v1/events/{id}"), &key).await;
        assert_eq!(before.body["proof"], Value::Null);
        checkpoint_once(&app.state).await.unwrap();

        let reply = app.get(&format!("/v1/events/{id}"), &key).await;
        assert_eq!(reply.status, StatusCode::OK);
        let hash = leaf_hash_of_api_json(&reply.body).unwrap();
        assert_eq!(
            hex::encode(hash),
            reply.body["hash"].as_str().unwrap(),
            "proof is outside the leaf"
        );
        let proof: InclusionProof = serde_json::from_value(reply.body["proof"].clone()).unwrap();
        let keys = public_keys(&app).await;
        let (signed, _) = Checkpoint::open(
            checkpoint(&app, &key, "").await.1,
            &keys,
            &format!("trail.test/{org}"),
        )
        .unwrap();
        assert_eq!((proof.seq, proof.tree_size, proof.leaf_hash), (3, 10, hash));
        assert_eq!(proof.verify(&signed.root), Ok(()));

        let reply = app
            .get("/v1/log/proofs/inclusion?seq=7&tree_size=9", &key)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let proof: InclusionProof = serde_json::from_value(reply.body).unwrap();
        let leaves = hashes(&appended);
        assert_eq!(proof.verify(&root_from_leaves(&leaves[..9])), Ok(()));
    }

    async fn bad_proof_parameters_name_the_field(backend) {
        let app = TestApp::on(backend).await;
        let (_, key) = app.tenant("Acme").await;
        ingest_numbered(&app, &key, "a", 4).await;
        let no_checkpoint = app.get("/v1/log/proofs/inclusion?seq=1", &key).await;
        assert_eq!(no_checkpoint.status, StatusCode::NOT_FOUND);
        checkpoint_once(&app.state).await.unwrap();
        for (query, field) in [
            ("inclusion?seq=abc", "seq"),
            ("inclusion?tree_size=4", "seq"),
            ("inclusion?seq=4", "seq"),
            ("inclusion?seq=1&tree_size=5", "tree_size"),
            ("inclusion?seq=1&size=2", "size"),
            ("consistency?from=3&to=9", "to"),
            ("consistency?from=5&to=4", "from"),
            ("consistency?to=4", "from"),
        ] {
            let reply = app.get(&format!("/v1/log/proofs/{query}"), &key).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{query}: {:?}",
                reply.body
            );
            assert_eq!(reply.error_fields(), [field], "{query}");
        }
    }

    async fn log_routes_need_events_read_in_the_callers_organization(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        let (other, _) = app.tenant("Globex").await;
        ingest_numbered(&app, &key, "a", 2).await;
        checkpoint_once(&app.state).await.unwrap();
        let writer = app.key(&org, &["events:write"]).await;
        for path in ["/v1/log/checkpoint", "/v1/log/proofs/inclusion?seq=0"] {
            assert_eq!(app.get(path, &writer).await.status, StatusCode::FORBIDDEN);
            let reply = app
                .raw(Method::GET, path, None, "application/json", vec![])
                .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        }
        let elsewhere = format!("/v1/log/checkpoint?organization_id={other}");
        assert_eq!(
            app.get(&elsewhere, &key).await.status,
            StatusCode::NOT_FOUND
        );
        let operator = format!("/v1/log/checkpoint?organization_id={org}");
        assert_eq!(app.get(&operator, OPERATOR).await.status, StatusCode::OK);
    }

    async fn a_rotation_signs_with_both_keys_then_the_new_one(backend) {
        let keys = tempfile::tempdir().unwrap();
        let (old, new) = (keys.path().join("old.key"), keys.path().join("new.key"));
        let before = TestApp::on_with(backend, |s| s.log_signing_key_files = vec![old.clone()]).await;
        let old_key = public_keys(&before).await;

        let during = TestApp::on_with(backend, |s| s.log_signing_key_files = vec![new.clone(), old.clone()]).await;
        let both = public_keys(&during).await;
        assert_eq!(both.len(), 2);
        assert_eq!(both[1], old_key[0]);
        let new_key = vec![both[0].clone()];
        let (org, key) = during.tenant("Acme").await;
        ingest_numbered(&during, &key, "a", 3).await;
        checkpoint_once(&during.state).await.unwrap();
        let note = checkpoint(&during, &key, "").await.1;
        assert_eq!(Note::parse(&note).unwrap().signatures().len(), 2);
        let origin = format!("trail.test/{org}");
        Checkpoint::open(&note, &old_key, &origin).expect("verifiers pinning the old key");
        Checkpoint::open(&note, &new_key, &origin).expect("verifiers pinning the new key");

        let after = TestApp::on_with(backend, |s| s.log_signing_key_files = vec![new.clone()]).await;
        let (org, key) = after.tenant("Acme").await;
        ingest_numbered(&after, &key, "a", 1).await;
        checkpoint_once(&after.state).await.unwrap();
        let note = checkpoint(&after, &key, "").await.1;
        let origin = format!("trail.test/{org}");
        Checkpoint::open(&note, &new_key, &origin).unwrap();
        assert!(Checkpoint::open(&note, &old_key, &origin).is_err());
    }

    async fn an_event_without_a_checkpoint_has_a_null_proof(backend) {
        let app = TestApp::on(backend).await;
        let (_, key) = app.tenant("Acme").await;
        let appended = ingest_numbered(&app, &key, "a", 1).await;
        let id = appended[0]["id"].as_str().unwrap();
        let reply = app.get(&format!("/v1/events/{id}"), &key).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["proof"], Value::Null);
        assert_eq!(hex::encode(leaf_hash_of_api_json(&reply.body).unwrap()), appended[0]["hash"]);
    }
}
