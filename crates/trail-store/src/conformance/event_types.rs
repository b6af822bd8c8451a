//! Conformance: the event-type catalogue — schema versions (the same schemas keep the latest
//! version, others make version + 1, deleting keeps the history), import all-or-nothing and
//! with `replace`, each change with its audit event, action statistics for uncatalogued
//! actions, the validation mode in the settings, and Trail-added fields surviving a round trip.

use serde_json::json;
use trail_core::Millis;
use trail_core::catalogue::{EventTypeDraft, EventTypeSpec, ValidationMode};
use trail_core::event::{TrailAdded, Violation};

use super::fixtures::{T0, at, event};
use crate::{AuditOf, Change, Changed, Store, StoreError};

fn spec(action: &str, label: &str, schema: Option<serde_json::Value>) -> EventTypeSpec {
    EventTypeDraft {
        action: action.into(),
        label: Some(label.into()),
        metadata_schema: schema,
        ..Default::default()
    }
    .check("")
    .unwrap()
}

fn audit_marker(store_action: &'static str) -> AuditOf {
    Box::new(move |_| Ok(Some(event(store_action))))
}

async fn put(store: &dyn Store, org: &str, spec: EventTypeSpec, ms: i64) -> Changed {
    store
        .apply_audited(
            org,
            Change::PutEventType {
                spec,
                at: Millis(ms),
            },
            audit_marker("trail.event_type.updated"),
        )
        .await
        .unwrap()
        .changed
}

fn version(changed: &Changed) -> u32 {
    match changed {
        Changed::EventType { after, .. } => after.version,
        other => panic!("unexpected {other:?}"),
    }
}

pub async fn event_type_versions(store: &dyn Store) {
    let org = store.create_organization("Catalogue").await.unwrap().id;
    let v1 = json!({"type": "object", "required": ["role"]});
    let first = put(
        store,
        &org,
        spec("member.invited", "Invited", Some(v1.clone())),
        1_000,
    )
    .await;
    assert_eq!(version(&first), 1);
    assert!(matches!(first, Changed::EventType { before: None, .. }));
    let relabelled = put(
        store,
        &org,
        spec("member.invited", "Member Invited", Some(v1)),
        2_000,
    )
    .await;
    assert_eq!(version(&relabelled), 1, "the same schema keeps its version");
    let v2 = json!({"type": "object"});
    let changed = put(
        store,
        &org,
        spec("member.invited", "Invited", Some(v2.clone())),
        3_000,
    )
    .await;
    assert_eq!(version(&changed), 2, "another schema is version + 1");
    let stored = store.get_event_type(&org, "member.invited").await.unwrap();
    assert_eq!(
        (stored.version, stored.created_at, stored.updated_at),
        (2, Millis(1_000), Millis(3_000))
    );
    assert_eq!(stored.metadata_schema, Some(v2.clone()));
    assert_eq!(stored.area, "member");
    let head = store.head(&org).await.unwrap().size;
    assert_eq!(head, 3, "each change appended its audit event");

    store
        .apply_audited(
            &org,
            Change::DeleteEventType {
                action: "member.invited".into(),
            },
            audit_marker("trail.event_type.deleted"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store.get_event_type(&org, "member.invited").await,
        Err(StoreError::NotFound)
    ));
    let again = put(
        store,
        &org,
        spec("member.invited", "Invited", Some(v2)),
        4_000,
    )
    .await;
    assert_eq!(version(&again), 2, "versions outlive a deletion");
    let none: AuditOf = Box::new(|_| Ok(None));
    assert!(matches!(
        store
            .apply_audited(
                &org,
                Change::DeleteEventType {
                    action: "nothing.here".into()
                },
                none
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let other = store.create_organization("Other").await.unwrap().id;
    assert!(store.list_event_types(&other).await.unwrap().is_empty());
    assert!(matches!(
        store.get_event_type(&other, "member.invited").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn event_type_import_is_all_or_nothing(store: &dyn Store) {
    let org = store.create_organization("Import").await.unwrap().id;
    put(store, &org, spec("old.one", "Old", None), 1_000).await;
    let specs = vec![
        spec("scan.started", "Started", None),
        spec("scan.finished", "Finished", None),
    ];
    let refused: AuditOf = Box::new(|_| Err("refused".into()));
    let failed = store
        .apply_audited(
            &org,
            Change::ImportEventTypes {
                specs: specs.clone(),
                replace: true,
                at: Millis(2_000),
            },
            refused,
        )
        .await;
    assert!(failed.is_err());
    let actions: Vec<String> = store
        .list_event_types(&org)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.action)
        .collect();
    assert_eq!(actions, ["old.one"], "a refused import changes nothing");

    let done = store
        .apply_audited(
            &org,
            Change::ImportEventTypes {
                specs: specs.clone(),
                replace: false,
                at: Millis(2_000),
            },
            audit_marker("trail.event_types.imported"),
        )
        .await
        .unwrap();
    assert!(matches!(done.changed, Changed::EventTypes(ref t) if t.len() == 2));
    assert_eq!(store.list_event_types(&org).await.unwrap().len(), 3);
    store
        .apply_audited(
            &org,
            Change::ImportEventTypes {
                specs,
                replace: true,
                at: Millis(3_000),
            },
            audit_marker("trail.event_types.imported"),
        )
        .await
        .unwrap();
    let listed: Vec<(String, String)> = store
        .list_event_types(&org)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.area, t.action))
        .collect();
    assert_eq!(
        listed,
        [
            ("scan".to_owned(), "scan.finished".to_owned()),
            ("scan".to_owned(), "scan.started".to_owned())
        ],
        "replace drops unlisted types; listed by area then action"
    );
}

pub async fn action_stats_count_first_and_last_seen(store: &dyn Store) {
    let org = store.create_organization("Stats").await.unwrap().id;
    let batch = vec![
        at(event("user.login"), 5_000),
        at(event("user.login"), 1_000),
        at(event("scan.started"), 3_000),
        at(event("user.login"), 9_000),
    ];
    store.append(&org, batch).await.unwrap();
    let stats = store.action_stats(&org).await.unwrap();
    let got: Vec<(&str, u64, i64, i64)> = stats
        .iter()
        .map(|s| {
            (
                s.action.as_str(),
                s.count,
                s.first_seen.0 - T0.0,
                s.last_seen.0 - T0.0,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("scan.started", 1, 3_000, 3_000),
            ("user.login", 3, 1_000, 9_000)
        ]
    );
    let empty = store.create_organization("Empty").await.unwrap().id;
    assert!(store.action_stats(&empty).await.unwrap().is_empty());
    assert!(matches!(
        store.action_stats("org_missing").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn validation_mode_and_trail_added_fields_round_trip(store: &dyn Store) {
    let org = store.create_organization("Modes").await.unwrap().id;
    let mut settings = store.org_settings(&org).await.unwrap();
    assert_eq!(settings.event_type_validation, ValidationMode::Off);
    settings.event_type_validation = ValidationMode::Enforce;
    settings.updated_at = Some(Millis(7));
    store.put_org_settings(&org, &settings).await.unwrap();
    assert_eq!(store.org_settings(&org).await.unwrap(), settings);

    let mut marked = event("member.invited");
    marked.data.trail = Some(TrailAdded {
        schema_version: Some(4),
        violations: vec![Violation {
            field: "metadata.plan".into(),
            rule: "required".into(),
            message: "\"plan\" is a required property".into(),
        }],
        location_source: Some("Test-City".into()),
    });
    let appended = store.append(&org, vec![marked.clone()]).await.unwrap();
    let stored = store.get_event(&org, &appended[0].id).await.unwrap();
    assert_eq!(stored.data.trail, marked.data.trail);
    let sealed = trail_core::Event::seal(&org, 0, trail_core::event::GENESIS_PREV, marked);
    assert_eq!(
        stored.hash, sealed.hash,
        "Trail-added fields are in the leaf"
    );
}
