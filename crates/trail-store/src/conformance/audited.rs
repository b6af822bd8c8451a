//! Conformance: an administrative change and its audit event commit together or not at all.

use trail_core::{Millis, ids};

use super::fixtures::{client_event, event};
use crate::{AuditOf, Change, Changed, MemberUpdate, Role, Store, StoreError, User};

fn new_user(email: &str) -> User {
    User {
        id: ids::new_user_id(),
        email: email.into(),
        name: "New".into(),
        password_hash: None,
        created_at: Millis(1_000),
    }
}

fn add(user: &User, role: &str) -> Change {
    Change::AddMember {
        new_user: Some(user.clone()),
        user_id: user.id.clone(),
        role: role.into(),
        actor_id: None,
        at: Millis(2_000),
    }
}

fn role(org: &str, name: &str) -> Role {
    Role {
        organization_id: org.into(),
        id: ids::new_role_id(),
        name: name.into(),
        permissions: vec!["events:read".into()],
        created_at: Millis(1_000),
    }
}

/// An audit that records `action`.
fn records(action: &'static str) -> AuditOf {
    Box::new(move |_| Ok(Some(event(action))))
}

/// An audit whose append fails in the store: it reuses a stored event id with another body.
fn conflicting(id: &str) -> AuditOf {
    let id = id.to_owned();
    Box::new(move |_| Ok(Some(client_event(&id, "trail.other"))))
}

pub async fn audited_change_commits_with_its_event(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let alice = new_user("alice@example.com");
    let audit: AuditOf = Box::new(|changed| {
        let Changed::Member(member) = changed else {
            return Err("not a member".into());
        };
        let mut new = event("trail.member.added");
        new.data.description = Some(format!("Added {}", member.email));
        Ok(Some(new))
    });
    let done = store
        .apply_audited(&org, add(&alice, "admin"), audit)
        .await
        .unwrap();
    let Changed::Member(member) = &done.changed else {
        panic!("{:?}", done.changed)
    };
    assert_eq!(
        (member.role.as_str(), member.user_id.as_str()),
        ("admin", alice.id.as_str())
    );
    let appended = done.audit.expect("an audit event");
    let stored = store.get_event(&org, &appended.id).await.unwrap();
    assert_eq!(stored.data.action, "trail.member.added");
    assert_eq!(
        stored.data.description.as_deref(),
        Some("Added alice@example.com")
    );
    assert_eq!(store.head(&org).await.unwrap().size, 1);
    // `None` records nothing and keeps the change.
    let skipped = store
        .apply_audited(
            &org,
            Change::CreateRole(role(&org, "Quiet")),
            Box::new(|_| Ok(None)),
        )
        .await
        .unwrap();
    assert!(skipped.audit.is_none());
    assert_eq!(store.list_roles(&org).await.unwrap().len(), 1);
    assert_eq!(store.head(&org).await.unwrap().size, 1);
}

pub async fn a_refused_audit_event_rolls_the_change_back(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let bob = new_user("bob@example.com");
    let refused = store
        .apply_audited(
            &org,
            add(&bob, "member"),
            Box::new(|_| Err("too big".into())),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Internal(_))),
        "{refused:?}"
    );
    assert!(store.list_members(&org).await.unwrap().is_empty());
    assert_eq!(
        store.find_user_by_email("bob@example.com").await.unwrap(),
        None
    );
    assert_eq!(store.head(&org).await.unwrap().size, 0);
}

pub async fn a_failed_audit_append_rolls_the_change_back(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    store
        .append(&org, vec![client_event("evt_taken", "trail.first")])
        .await
        .unwrap();
    let carol = new_user("carol@example.com");
    store
        .apply_audited(&org, add(&carol, "owner"), records("trail.member.added"))
        .await
        .unwrap();
    let dave = new_user("dave@example.com");
    store
        .apply_audited(&org, add(&dave, "admin"), records("trail.member.added"))
        .await
        .unwrap();
    let size = store.head(&org).await.unwrap().size;
    assert_eq!(size, 3);

    let failures = [
        add(&new_user("erin@example.com"), "member"),
        Change::UpdateMember {
            user_id: dave.id.clone(),
            update: MemberUpdate {
                role: Some("member".into()),
                ..MemberUpdate::default()
            },
        },
        Change::CreateRole(role(&org, "Auditors")),
        Change::PutOrgSettings(crate::OrgSettings {
            retention_days: 7,
            max_export_window_days: None,
            event_type_validation: trail_core::catalogue::ValidationMode::Warn,
            updated_at: Some(Millis(5)),
        }),
    ];
    for change in failures {
        let failed = store
            .apply_audited(&org, change.clone(), conflicting("evt_taken"))
            .await;
        assert!(
            matches!(failed, Err(StoreError::IdConflict { .. })),
            "{change:?}: {failed:?}"
        );
    }
    // A purge would remove `evt_taken` itself, so its audit event is refused instead.
    let purge = Change::Purge {
        cutoff: Millis(i64::MAX),
        max_events: 100,
    };
    let refused = store
        .apply_audited(&org, purge, Box::new(|_| Err("refused".into())))
        .await;
    assert!(refused.is_err(), "{refused:?}");
    let members = store.list_members(&org).await.unwrap();
    assert_eq!(members.len(), 2, "{members:?}");
    assert_eq!(
        store.get_member(&org, &dave.id).await.unwrap().role,
        "admin"
    );
    assert_eq!(
        store.find_user_by_email("erin@example.com").await.unwrap(),
        None
    );
    assert!(store.list_roles(&org).await.unwrap().is_empty());
    assert_eq!(store.org_settings(&org).await.unwrap().retention_days, 365);
    assert_eq!(store.first_retained_seq(&org).await.unwrap(), 0);
    assert_eq!(store.head(&org).await.unwrap().size, size);
    // The writer's caches were restored: the next append continues the chain.
    let next = store.append(&org, vec![event("trail.next")]).await.unwrap();
    assert_eq!(next[0].seq, size);
}

pub async fn a_failed_change_records_nothing(store: &dyn Store) {
    let org = store.create_organization("Acme").await.unwrap().id;
    let missing = store
        .apply_audited(
            &org,
            Change::DeleteRole {
                id: "role_missing".into(),
            },
            records("trail.role.deleted"),
        )
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert_eq!(store.head(&org).await.unwrap().size, 0);
    let unknown = store
        .apply_audited("org_missing", Change::Nothing, records("trail.x"))
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    let elsewhere = store
        .apply_audited(
            &org,
            Change::CreateRole(role("org_other", "X")),
            records("trail.x"),
        )
        .await;
    assert!(elsewhere.is_err());
    assert!(store.list_roles(&org).await.unwrap().is_empty());
}
