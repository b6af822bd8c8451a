//! Conformance: integrity — Merkle nodes written with the events form the right root at every
//! size, proofs read from the store verify, checkpoints are kept and found. A backend runs these
//! with [`integrity_conformance_tests!`](crate::integrity_conformance_tests) once it implements
//! `tree_nodes`, the checkpoint methods and `uncheckpointed_logs`.

use trail_core::merkle::{Hash, NodeId, root_from_leaves};

use super::fixtures::{client_event, event};
use crate::proofs::{consistency_proof, inclusion_proof, root_at};
use crate::{Store, StoreError};

/// Appends `count` events in batches of `batch` and returns their leaf hashes, in seq order.
async fn fill(store: &dyn Store, org: &str, count: usize, batch: usize) -> Vec<Hash> {
    let mut done = 0;
    while done < count {
        let n = batch.min(count - done);
        let events = (done..done + n)
            .map(|i| event(&format!("tree.e{i}")))
            .collect();
        store.append(org, events).await.unwrap();
        done += n;
    }
    leaves(store, org).await
}

async fn leaves(store: &dyn Store, org: &str) -> Vec<Hash> {
    let events = store.events_by_seq(org, 0, u64::MAX).await.unwrap();
    events
        .iter()
        .map(|e| hex::decode(&e.hash).unwrap().try_into().unwrap())
        .collect()
}

pub async fn tree_nodes_form_the_root_at_every_size(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    assert_eq!(
        root_at(store, &org, 0).await.unwrap(),
        root_from_leaves(&[])
    );
    let leaves = fill(store, &org, 300, 37).await;
    for size in 0..=leaves.len() {
        let root = root_at(store, &org, size as u64).await.unwrap();
        assert_eq!(
            root,
            root_from_leaves(&leaves[..size]),
            "root at size {size}"
        );
    }
    let perfect = store
        .tree_nodes(
            &org,
            &[NodeId::new(8, 0), NodeId::new(5, 8), NodeId::new(0, 299)],
        )
        .await
        .unwrap();
    assert_eq!(perfect[0], root_from_leaves(&leaves[..256]));
    assert_eq!(perfect[1], root_from_leaves(&leaves[256..288]));
    assert_eq!(perfect[2], leaves[299]);
    for unfinished in [NodeId::new(0, 300), NodeId::new(2, 75), NodeId::new(9, 0)] {
        let answer = store.tree_nodes(&org, &[unfinished]).await;
        assert!(
            matches!(answer, Err(StoreError::NotFound)),
            "{unfinished:?}: {answer:?}"
        );
    }
}

pub async fn tree_survives_a_failed_batch(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    fill(store, &org, 20, 20).await;
    store
        .append(&org, vec![client_event("x1", "a.b")])
        .await
        .unwrap();
    // The third event reuses x1 with another body: the batch fails, the tree must not move.
    let failing = vec![
        event("a.one"),
        event("a.two"),
        client_event("x1", "other.action"),
    ];
    assert!(store.append(&org, failing).await.is_err());
    let leaves = fill_more(store, &org, 30).await;
    assert_eq!(leaves.len(), 51);
    let root = root_at(store, &org, 51).await.unwrap();
    assert_eq!(root, root_from_leaves(&leaves));
}

async fn fill_more(store: &dyn Store, org: &str, count: usize) -> Vec<Hash> {
    for i in 0..count {
        store
            .append(org, vec![event(&format!("more.e{i}"))])
            .await
            .unwrap();
    }
    leaves(store, org).await
}

pub async fn proofs_from_the_store_verify(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let leaves = fill(store, &org, 70, 9).await;
    for size in [1u64, 2, 16, 17, 33, 64, 70] {
        let root = root_from_leaves(&leaves[..size as usize]);
        for seq in [0, size / 2, size - 1] {
            let proof = inclusion_proof(store, &org, seq, size).await.unwrap();
            assert_eq!(proof.leaf_hash, leaves[seq as usize]);
            assert_eq!(proof.verify(&root), Ok(()), "inclusion of {seq} in {size}");
        }
        for from in [0, 1, size / 3, size - 1, size] {
            let old = root_from_leaves(&leaves[..from as usize]);
            let proof = consistency_proof(store, &org, from, size).await.unwrap();
            assert_eq!(proof.verify(&old, &root), Ok(()), "{from} → {size}");
        }
    }
    assert!(inclusion_proof(store, &org, 70, 70).await.is_err());
    assert!(inclusion_proof(store, &org, 3, 71).await.is_err());
    assert!(consistency_proof(store, &org, 9, 8).await.is_err());
}

pub async fn checkpoints_round_trip(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let other = store.create_organization("Globex").await.unwrap().id;
    assert_eq!(store.latest_checkpoint(&org).await.unwrap(), None);
    assert!(store.uncheckpointed_logs().await.unwrap().is_empty());
    let leaves = fill(store, &org, 5, 5).await;
    let waiting = store.uncheckpointed_logs().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].organization_id.as_str(), waiting[0].size),
        (org.as_str(), 5)
    );
    assert_eq!(waiting[0].checkpointed, None);

    let (root3, root5) = (root_from_leaves(&leaves[..3]), root_from_leaves(&leaves));
    store
        .put_checkpoint(&org, 3, root3, "note at 3\n")
        .await
        .unwrap();
    let waiting = store.uncheckpointed_logs().await.unwrap();
    assert_eq!(waiting[0].checkpointed, Some(3));
    store
        .put_checkpoint(&org, 5, root5, "note at 5\n")
        .await
        .unwrap();
    assert!(store.uncheckpointed_logs().await.unwrap().is_empty());

    let latest = store.latest_checkpoint(&org).await.unwrap().unwrap();
    assert_eq!(
        (latest.size, latest.root, latest.note.as_str()),
        (5, root5, "note at 5\n")
    );
    let at3 = store.checkpoint_at(&org, 3).await.unwrap().unwrap();
    assert_eq!((at3.root, at3.note.as_str()), (root3, "note at 3\n"));
    assert_eq!(store.checkpoint_at(&org, 4).await.unwrap(), None);
    assert_eq!(store.latest_checkpoint(&other).await.unwrap(), None);

    store
        .put_checkpoint(&org, 5, root5, "note at 5\n")
        .await
        .unwrap();
    let clash = store.put_checkpoint(&org, 5, root3, "forged\n").await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    let missing = store.put_checkpoint("org_missing", 1, root3, "x\n").await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert!(matches!(
        store.latest_checkpoint("org_missing").await,
        Err(StoreError::NotFound)
    ));
}
