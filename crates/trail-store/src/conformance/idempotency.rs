//! Conformance: remembered answers of the compatibility routes — found by scope and key while
//! live, isolated per organization and scope, a live key never overwritten, expired ones
//! replaced and purged.

use trail_core::Millis;

use crate::{IdempotentAnswer, Store, StoreError};

fn answer(org: &str, scope: &str, key: &str, body: &str, at: i64) -> IdempotentAnswer {
    IdempotentAnswer {
        organization_id: org.into(),
        scope: scope.into(),
        key: key.into(),
        request_hash: format!("hash-of-{body}"),
        status: 201,
        body: body.into(),
        created_at: Millis(at),
    }
}

pub async fn idempotent_answers_are_kept_per_scope_and_expire(store: &dyn Store) {
    let org = store.create_organization("Idem").await.unwrap().id;
    let other = store.create_organization("Other").await.unwrap().id;
    let first = answer(&org, "key_1 POST /a", "k1", r#"{"success":true}"#, 1_000);
    store
        .remember_answer(first.clone(), Millis(0))
        .await
        .unwrap();
    assert_eq!(
        store
            .idempotent_answer(&org, "key_1 POST /a", "k1", Millis(500))
            .await
            .unwrap(),
        Some(first.clone())
    );
    for (org, scope, key) in [
        (&other, "key_1 POST /a", "k1"),
        (&org, "key_2 POST /a", "k1"),
        (&org, "key_1 POST /b", "k1"),
        (&org, "key_1 POST /a", "k2"),
    ] {
        assert_eq!(
            store
                .idempotent_answer(org, scope, key, Millis(0))
                .await
                .unwrap(),
            None,
            "{org} {scope} {key}"
        );
    }
    assert_eq!(
        store
            .idempotent_answer(&org, "key_1 POST /a", "k1", Millis(1_001))
            .await
            .unwrap(),
        None,
        "an answer older than `since` is not replayed"
    );
    let again = answer(&org, "key_1 POST /a", "k1", "other", 2_000);
    assert!(matches!(
        store.remember_answer(again.clone(), Millis(0)).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .remember_answer(again.clone(), Millis(1_500))
        .await
        .unwrap();
    assert_eq!(
        store
            .idempotent_answer(&org, "key_1 POST /a", "k1", Millis(0))
            .await
            .unwrap(),
        Some(again),
        "an expired answer is purged and its key reused"
    );
    assert!(matches!(
        store
            .remember_answer(answer("org_missing", "s", "k", "b", 1), Millis(0))
            .await,
        Err(StoreError::NotFound)
    ));
}
