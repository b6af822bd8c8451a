//! Conformance: retention — a prefix of the log by receipt time is removed in bounded batches,
//! the removed events' leaf hashes are kept, and roots, proofs, `prev` links and appends carry on
//! as if nothing had been removed.

use trail_core::Millis;
use trail_core::event::{Event, Resource};
use trail_core::merkle::{Hash, root_from_leaves};
use trail_core::query::Field;

use super::fixtures::{T0, assert_matches, at, cond, contains, eq, event};
use crate::proofs::{consistency_proof, inclusion_proof, root_at};
use crate::{Store, StoreError};

/// Event `i` occurs at `T0 + i s` and is received 10 ms later, with target `tgt-i` and the word
/// `wordi` in its description.
fn numbered(i: i64) -> trail_core::event::NewEvent {
    let mut new = at(event(&format!("ret.e{i}")), i * 1000);
    new.data.targets = vec![Resource {
        kind: "doc".into(),
        id: Some(format!("tgt-{i}")),
        name: None,
    }];
    new.data.description = Some(format!("retention word{i}"));
    new
}

fn hashes(events: &[Event]) -> Vec<Hash> {
    events
        .iter()
        .map(|e| hex::decode(&e.hash).unwrap().try_into().unwrap())
        .collect()
}

pub async fn retention_removes_a_prefix_and_keeps_proofs(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let other = store.create_organization("Globex").await.unwrap().id;
    let mut batch: Vec<_> = (0..30).map(numbered).collect();
    // Event 12 was received late: the prefix stops there even though later ones are older.
    batch[12].received_at = T0.plus_ms(1_000_000);
    // Event 20 occurred long ago but was received in order: receipt time is what counts.
    batch[20].data.occurred_at = Millis(T0.0 - 86_400_000);
    store.append(&org, batch).await.unwrap();
    store.append(&other, vec![numbered(0)]).await.unwrap();
    let before = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    let leaves = hashes(&before);
    let head = store.head(&org).await.unwrap();
    assert_eq!(store.first_retained_seq(&org).await.unwrap(), 0);
    assert!(store.retired_leaves(&org, 0, 100).await.unwrap().is_empty());

    let cutoff = T0.plus_ms(25_000);
    // A batch never exceeds `max_events`.
    assert_eq!(
        store.purge_received_before(&org, cutoff, 5).await.unwrap(),
        5
    );
    assert_eq!(store.first_retained_seq(&org).await.unwrap(), 5);
    // The rest of the prefix stops at the first event received at or after the cutoff.
    assert_eq!(
        store
            .purge_received_before(&org, cutoff, 1000)
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        store
            .purge_received_before(&org, cutoff, 1000)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.first_retained_seq(&org).await.unwrap(), 12);
    assert!(matches!(
        store.purge_received_before("org_missing", cutoff, 10).await,
        Err(StoreError::NotFound)
    ));

    // What is kept: the leaf hashes, the head, and the retained events exactly as they were.
    let retired = store.retired_leaves(&org, 0, 100).await.unwrap();
    let expected: Vec<(u64, Hash)> = (0..12).map(|s| (s, leaves[s as usize])).collect();
    assert_eq!(retired, expected);
    assert_eq!(
        store.retired_leaves(&org, 3, 5).await.unwrap(),
        expected[3..5]
    );
    assert_eq!(store.head(&org).await.unwrap(), head);
    let after = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    assert_eq!(after, before[12..]);
    assert_eq!(
        store.events_by_seq(&org, 12, 14).await.unwrap(),
        before[12..14]
    );
    assert_eq!(
        store.get_event(&org, &before[12].data.id).await.unwrap(),
        before[12]
    );
    assert!(matches!(
        store.get_event(&org, &before[3].data.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.events_by_seq(&other, 0, 10).await.unwrap().len(), 1);
    assert_eq!(store.first_retained_seq(&other).await.unwrap(), 0);

    // Search and count no longer see removed events, by any index.
    let id = |i: usize| before[i].data.id.as_str();
    for i in [0usize, 4, 11] {
        let (target, word) = (format!("tgt-{i}"), format!("word{i}"));
        assert_matches(
            store,
            &org,
            cond(Field::Target, false, vec![eq(&target)]),
            &[],
        )
        .await;
        assert_matches(
            store,
            &org,
            cond(Field::Text, false, vec![contains(&word)]),
            &[],
        )
        .await;
        assert_matches(store, &org, cond(Field::Id, false, vec![eq(id(i))]), &[]).await;
    }
    assert_matches(
        store,
        &org,
        cond(Field::Target, false, vec![eq("tgt-12")]),
        &[id(12)],
    )
    .await;
    assert_matches(
        store,
        &org,
        cond(Field::Text, false, vec![contains("word13")]),
        &[id(13)],
    )
    .await;
    let everything = super::fixtures::search_for(Vec::new());
    assert_eq!(store.count(&org, &everything).await.unwrap(), 18);

    // Roots and proofs are those of the whole log, for every size.
    for size in 0..=30u64 {
        assert_eq!(
            root_at(store, &org, size).await.unwrap(),
            root_from_leaves(&leaves[..size as usize]),
            "root at {size}"
        );
    }
    let root = root_from_leaves(&leaves);
    for seq in [0u64, 11, 12, 20, 29] {
        let proof = inclusion_proof(store, &org, seq, 30).await.unwrap();
        assert_eq!(proof.leaf_hash, leaves[seq as usize]);
        assert_eq!(proof.verify(&root), Ok(()), "inclusion of {seq}");
    }
    for from in [1u64, 5, 12, 13, 29] {
        let old = root_from_leaves(&leaves[..from as usize]);
        let proof = consistency_proof(store, &org, from, 30).await.unwrap();
        assert_eq!(proof.verify(&old, &root), Ok(()), "{from} → 30");
    }

    // Appends carry on with gap-free seqs and the same chain.
    let appended = store.append(&org, vec![numbered(30)]).await.unwrap();
    assert_eq!(appended[0].seq, 30);
    let all = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    assert_eq!(all.last().unwrap().prev, before[29].hash);
    let mut grown = leaves.clone();
    grown.extend(hashes(&all[all.len() - 1..]));
    assert_eq!(
        root_at(store, &org, 31).await.unwrap(),
        root_from_leaves(&grown)
    );
}

pub async fn retention_can_remove_every_event(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    store
        .append(&org, (0..3).map(numbered).collect())
        .await
        .unwrap();
    let before = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    let head = store.head(&org).await.unwrap();
    let far = T0.plus_ms(10_000_000);
    assert_eq!(
        store.purge_received_before(&org, far, 5_000).await.unwrap(),
        3
    );
    assert_eq!(store.head(&org).await.unwrap(), head);
    assert!(
        store
            .events_by_seq(&org, 0, u64::MAX)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.first_retained_seq(&org).await.unwrap(), 3);
    let appended = store.append(&org, vec![numbered(3)]).await.unwrap();
    assert_eq!(appended[0].seq, 3);
    let after = store.events_by_seq(&org, 0, u64::MAX).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].prev, before[2].hash);
    let mut leaves = hashes(&before);
    leaves.extend(hashes(&after));
    assert_eq!(
        root_at(store, &org, 4).await.unwrap(),
        root_from_leaves(&leaves)
    );
}
