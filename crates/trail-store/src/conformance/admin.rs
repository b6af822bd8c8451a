//! Conformance: organizations, API keys and instance settings.

use trail_core::Millis;
use trail_core::ids;

use crate::{ApiKey, Store, StoreError};

pub async fn organizations_crud(store: &dyn Store) {
    assert!(store.list_organizations().await.unwrap().is_empty());
    let acme = store.create_organization("Acme").await.unwrap();
    let beta = store.create_organization("Beta").await.unwrap();
    assert!(acme.id.starts_with("org_"), "{}", acme.id);
    assert_ne!(acme.id, beta.id);
    assert_eq!(store.get_organization(&acme.id).await.unwrap(), acme);
    let listed = store.list_organizations().await.unwrap();
    assert_eq!(listed, vec![acme, beta]);
    assert!(matches!(
        store.get_organization("org_missing").await,
        Err(StoreError::NotFound)
    ));
    store.ping().await.unwrap();
}

fn key(organization_id: Option<&str>, name: &str, secret: &str) -> ApiKey {
    ApiKey {
        id: ids::new_api_key_id(),
        organization_id: organization_id.map(Into::into),
        name: name.into(),
        scopes: vec!["events:write".into(), "events:read".into()],
        prefix: secret[..8].into(),
        secret_hash: ids::secret_hash(secret),
        created_at: Millis(1_000),
        expires_at: Some(Millis(9_000_000)),
        last_used_at: None,
        revoked_at: None,
    }
}

pub async fn api_keys_lifecycle(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let created = store
        .create_api_key(key(Some(&org), "ingest", "trail_secret_one"))
        .await
        .unwrap();
    let found = store
        .find_api_key(ids::secret_hash("trail_secret_one"))
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&created));
    assert_eq!(
        store.find_api_key(ids::secret_hash("other")).await.unwrap(),
        None
    );
    assert_eq!(
        store.list_api_keys(Some(&org)).await.unwrap(),
        vec![created.clone()]
    );

    let duplicate = key(Some(&org), "again", "trail_secret_one");
    assert!(matches!(
        store.create_api_key(duplicate).await,
        Err(StoreError::Conflict(_))
    ));

    store
        .touch_api_key(&created.id, Millis(5_000))
        .await
        .unwrap();
    let touched = store
        .find_api_key(created.secret_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_used_at, Some(Millis(5_000)));

    let revoked = store
        .revoke_api_key(Some(&org), &created.id, Millis(7_000))
        .await
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(Millis(7_000)));
    assert_eq!(revoked.id, created.id);
    let found = store
        .find_api_key(created.secret_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.revoked_at,
        Some(Millis(7_000)),
        "revoked keys are still found"
    );

    let missing = store
        .revoke_api_key(Some(&org), "key_missing", Millis(1))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
    let unknown_org = key(Some("org_missing"), "x", "trail_secret_two");
    assert!(matches!(
        store.create_api_key(unknown_org).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn api_keys_are_isolated_per_organization(store: &dyn Store) {
    let acme = store.create_organization("Acme").await.unwrap().id;
    let beta = store.create_organization("Beta").await.unwrap().id;
    let acme_key = store
        .create_api_key(key(Some(&acme), "a", "trail_secret_acme"))
        .await
        .unwrap();
    let beta_key = store
        .create_api_key(key(Some(&beta), "b", "trail_secret_beta"))
        .await
        .unwrap();
    let operator = store
        .create_api_key(key(None, "operator", "trail_secret_root"))
        .await
        .unwrap();
    assert_eq!(
        store.list_api_keys(Some(&acme)).await.unwrap(),
        vec![acme_key.clone()]
    );
    assert_eq!(
        store.list_api_keys(Some(&beta)).await.unwrap(),
        vec![beta_key]
    );
    assert_eq!(
        store.list_api_keys(None).await.unwrap(),
        vec![operator.clone()]
    );
    assert_eq!(
        store
            .find_api_key(operator.secret_hash)
            .await
            .unwrap()
            .unwrap()
            .organization_id,
        None
    );
    // Revoking across organizations (or at instance level) does not find the key.
    for org in [Some(beta.as_str()), None] {
        let revoked = store.revoke_api_key(org, &acme_key.id, Millis(1)).await;
        assert!(matches!(revoked, Err(StoreError::NotFound)), "{org:?}");
    }
    let still = store
        .find_api_key(acme_key.secret_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.revoked_at, None);
}

pub async fn instance_settings(store: &dyn Store) {
    assert_eq!(
        store.get_instance_setting("admin_token").await.unwrap(),
        None
    );
    assert!(
        store
            .init_instance_setting("admin_token", "h1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .init_instance_setting("admin_token", "h2")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_instance_setting("admin_token")
            .await
            .unwrap()
            .as_deref(),
        Some("h1")
    );
    store
        .put_instance_setting("admin_token", "h3")
        .await
        .unwrap();
    store.put_instance_setting("other", "x").await.unwrap();
    assert_eq!(
        store
            .get_instance_setting("admin_token")
            .await
            .unwrap()
            .as_deref(),
        Some("h3")
    );
    assert_eq!(
        store
            .get_instance_setting("other")
            .await
            .unwrap()
            .as_deref(),
        Some("x")
    );
}
