//! Conformance: users, memberships (and the one-owner rule), custom roles and sessions.

use trail_core::{Millis, ids};

use crate::{MemberUpdate, Role, Session, Store, StoreError, User};

fn user(email: &str) -> User {
    User {
        id: ids::new_user_id(),
        email: email.into(),
        name: email.split('@').next().unwrap_or("x").into(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        created_at: Millis(1_000),
    }
}

pub async fn users_are_unique_by_email(store: &dyn Store) {
    let alice = store.create_user(user("alice@example.com")).await.unwrap();
    assert_eq!(store.get_user(&alice.id).await.unwrap(), alice);
    let found = store.find_user_by_email("ALICE@example.COM").await.unwrap();
    assert_eq!(found, Some(alice.clone()));
    assert_eq!(
        store.find_user_by_email("bob@example.com").await.unwrap(),
        None
    );
    assert!(matches!(
        store.create_user(user("Alice@Example.com")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.get_user("usr_missing").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn members_belong_to_several_organizations(store: &dyn Store) {
    let acme = store.create_organization("Acme").await.unwrap().id;
    let beta = store.create_organization("Beta").await.unwrap().id;
    let alice = store.create_user(user("alice@example.com")).await.unwrap();
    let bob = store.create_user(user("bob@example.com")).await.unwrap();
    let owner = store
        .add_member(&acme, &alice.id, "owner", None, Millis(1))
        .await
        .unwrap();
    assert_eq!(
        (owner.email.as_str(), owner.role.as_str()),
        ("alice@example.com", "owner")
    );
    store
        .add_member(&beta, &alice.id, "member", Some("usr_42"), Millis(2))
        .await
        .unwrap();
    store
        .add_member(&acme, &bob.id, "security_analyst", None, Millis(3))
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_member(&acme, &bob.id, "admin", None, Millis(4))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .add_member("org_missing", &bob.id, "admin", None, Millis(4))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .add_member(&acme, "usr_missing", "admin", None, Millis(4))
            .await,
        Err(StoreError::NotFound)
    ));

    let members = store.list_members(&acme).await.unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(ids, [alice.id.as_str(), bob.id.as_str()]);
    let of_alice = store.memberships_of_user(&alice.id).await.unwrap();
    let orgs: Vec<(&str, &str)> = of_alice
        .iter()
        .map(|m| (m.organization_id.as_str(), m.role.as_str()))
        .collect();
    assert_eq!(orgs, [(acme.as_str(), "owner"), (beta.as_str(), "member")]);
    assert_eq!(of_alice[1].actor_id.as_deref(), Some("usr_42"));
    // Another organization's member is not found through this one.
    assert!(matches!(
        store.get_member(&beta, &bob.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn an_organization_keeps_an_active_owner(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let alice = store.create_user(user("alice@example.com")).await.unwrap();
    let bob = store.create_user(user("bob@example.com")).await.unwrap();
    store
        .add_member(&org, &alice.id, "owner", None, Millis(1))
        .await
        .unwrap();
    store
        .add_member(&org, &bob.id, "admin", None, Millis(2))
        .await
        .unwrap();
    let demote = MemberUpdate {
        role: Some("admin".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.update_member(&org, &alice.id, demote.clone()).await,
        Err(StoreError::Conflict(_))
    ));
    let deactivate = MemberUpdate {
        deactivated_at: Some(Some(Millis(5))),
        ..Default::default()
    };
    assert!(matches!(
        store
            .update_member(&org, &alice.id, deactivate.clone())
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get_member(&org, &alice.id).await.unwrap().role,
        "owner"
    );
    assert!(store.get_member(&org, &alice.id).await.unwrap().is_active());

    let promote = MemberUpdate {
        role: Some("owner".into()),
        actor_id: Some(Some("usr_b".into())),
        ..Default::default()
    };
    let bob_now = store.update_member(&org, &bob.id, promote).await.unwrap();
    assert_eq!(
        (bob_now.role.as_str(), bob_now.actor_id.as_deref()),
        ("owner", Some("usr_b"))
    );
    let alice_now = store
        .update_member(&org, &alice.id, deactivate)
        .await
        .unwrap();
    assert_eq!(alice_now.deactivated_at, Some(Millis(5)));
    let reactivate = MemberUpdate {
        deactivated_at: Some(None),
        actor_id: Some(None),
        ..Default::default()
    };
    let alice_back = store
        .update_member(&org, &alice.id, reactivate)
        .await
        .unwrap();
    assert!(alice_back.is_active());
    assert!(matches!(
        store.update_member(&org, "usr_missing", demote).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn concurrent_demotions_keep_one_owner(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let mut owners = Vec::new();
    for name in ["a@x.io", "b@x.io", "c@x.io"] {
        let u = store.create_user(user(name)).await.unwrap();
        store
            .add_member(&org, &u.id, "owner", None, Millis(1))
            .await
            .unwrap();
        owners.push(u.id);
    }
    let demote = MemberUpdate {
        role: Some("member".into()),
        ..Default::default()
    };
    let results = futures_join(store, &org, &owners, &demote).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 2, "{results:?}");
    let left = store
        .list_members(&org)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.role == "owner")
        .count();
    assert_eq!(left, 1);
}

async fn futures_join(
    store: &dyn Store,
    org: &str,
    users: &[String],
    update: &MemberUpdate,
) -> Vec<crate::Result<crate::Member>> {
    let (a, b, c) = tokio::join!(
        store.update_member(org, &users[0], update.clone()),
        store.update_member(org, &users[1], update.clone()),
        store.update_member(org, &users[2], update.clone()),
    );
    vec![a, b, c]
}

pub async fn custom_roles_lifecycle(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let other = store.create_organization("Beta").await.unwrap().id;
    let role = Role {
        organization_id: org.clone(),
        id: ids::new_role_id(),
        name: "Auditor".into(),
        permissions: vec!["events:read".into(), "events:export".into()],
        created_at: Millis(1),
    };
    store.create_role(role.clone()).await.unwrap();
    assert_eq!(store.get_role(&org, &role.id).await.unwrap(), role);
    assert_eq!(store.list_roles(&org).await.unwrap(), vec![role.clone()]);
    assert!(store.list_roles(&other).await.unwrap().is_empty());
    assert!(matches!(
        store.get_role(&other, &role.id).await,
        Err(StoreError::NotFound)
    ));
    let same_name = Role {
        id: ids::new_role_id(),
        name: "auditor".into(),
        ..role.clone()
    };
    assert!(matches!(
        store.create_role(same_name).await,
        Err(StoreError::Conflict(_))
    ));

    let carol = store.create_user(user("carol@example.com")).await.unwrap();
    store
        .add_member(&org, &carol.id, &role.id, None, Millis(2))
        .await
        .unwrap();
    assert!(matches!(
        store.delete_role(&org, &role.id).await,
        Err(StoreError::Conflict(_))
    ));
    let back = MemberUpdate {
        role: Some("member".into()),
        ..Default::default()
    };
    store.update_member(&org, &carol.id, back).await.unwrap();
    store.delete_role(&org, &role.id).await.unwrap();
    assert!(matches!(
        store.delete_role(&org, &role.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn sessions_lifecycle(store: &dyn Store) {
    let alice = store.create_user(user("alice@example.com")).await.unwrap();
    let session = Session {
        token_hash: ids::secret_hash("session-one"),
        csrf_hash: ids::secret_hash("csrf-one"),
        user_id: alice.id.clone(),
        organization_id: Some("org_x".into()),
        created_at: Millis(1_000),
        expires_at: Millis(10_000),
    };
    let stale = Session {
        token_hash: ids::secret_hash("session-stale"),
        expires_at: Millis(2_000),
        ..session.clone()
    };
    store.create_session(session.clone()).await.unwrap();
    store.create_session(stale.clone()).await.unwrap();
    assert_eq!(
        store.find_session(session.token_hash).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store.find_session(ids::secret_hash("nope")).await.unwrap(),
        None
    );
    store
        .delete_session(session.token_hash, Millis(5_000))
        .await
        .unwrap();
    assert_eq!(store.find_session(session.token_hash).await.unwrap(), None);
    assert_eq!(
        store.find_session(stale.token_hash).await.unwrap(),
        None,
        "expired ones go too"
    );
    store
        .delete_session(session.token_hash, Millis(5_000))
        .await
        .unwrap();
}

/// The condition a member's "own activity" narrowing uses: `actor.id` or `actor.email`, never
/// the actor's name.
pub async fn search_actor_id_or_email(store: &dyn Store) {
    use super::fixtures::{assert_matches, cond, eq, org_with_dataset};
    use trail_core::query::Field;

    let s = store;
    let org = org_with_dataset(s).await;
    let own = |values: &[&str]| {
        cond(
            Field::ActorIdOrEmail,
            false,
            values.iter().map(|v| eq(v)).collect(),
        )
    };
    assert_matches(s, &org, own(&["ALICE@example.com"]), &["e1", "e4"]).await;
    assert_matches(
        s,
        &org,
        own(&["carol@example.org", "svc_scanner"]),
        &["e2", "e3"],
    )
    .await;
    assert_matches(s, &org, own(&["alice"]), &[]).await;
    assert_matches(s, &org, own(&["Alice Kim"]), &[]).await;
    assert_matches(s, &org, own(&["key_5"]), &["e5"]).await;
}
