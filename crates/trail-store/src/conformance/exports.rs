//! Conformance: per-organization settings and export jobs (create, history newest first, claim
//! once, update, the worker's queue, delete), isolated per organization.

use serde_json::json;
use trail_core::Millis;

use crate::{ExportJob, ExportStatus, OrgSettings, Store, StoreError};

fn job(organization_id: &str, id: &str, created_at: i64) -> ExportJob {
    ExportJob {
        id: id.into(),
        organization_id: organization_id.into(),
        name: format!("export {id}"),
        spec: json!({"format": "csv", "q": "actor:alice"}),
        status: ExportStatus::Queued,
        record_count: 42,
        progress: 0,
        error: None,
        created_by: "operator".into(),
        created_at: Millis(created_at),
        started_at: None,
        finished_at: None,
        expires_at: None,
        file_name: None,
        file_size: None,
    }
}

pub async fn org_settings_default_and_round_trip(store: &dyn Store) {
    let acme = store.create_organization("Acme").await.unwrap().id;
    let beta = store.create_organization("Beta").await.unwrap().id;
    assert_eq!(
        store.org_settings(&acme).await.unwrap(),
        OrgSettings::default()
    );
    assert_eq!(store.org_settings(&acme).await.unwrap().retention_days, 365);
    let changed = OrgSettings {
        retention_days: 90,
        max_export_window_days: Some(92),
        event_type_validation: trail_core::catalogue::ValidationMode::Warn,
        updated_at: Some(Millis(5_000)),
    };
    store.put_org_settings(&acme, &changed).await.unwrap();
    assert_eq!(store.org_settings(&acme).await.unwrap(), changed);
    let unlimited = OrgSettings {
        max_export_window_days: None,
        ..changed.clone()
    };
    store.put_org_settings(&acme, &unlimited).await.unwrap();
    assert_eq!(store.org_settings(&acme).await.unwrap(), unlimited);
    assert_eq!(
        store.org_settings(&beta).await.unwrap(),
        OrgSettings::default()
    );
}

pub async fn export_jobs_lifecycle(store: &dyn Store) {
    let acme = store.create_organization("Acme").await.unwrap().id;
    let beta = store.create_organization("Beta").await.unwrap().id;
    let first = job(&acme, "exp_1", 1_000);
    let second = job(&acme, "exp_2", 2_000);
    store.create_export(&first).await.unwrap();
    store.create_export(&second).await.unwrap();
    store
        .create_export(&job(&beta, "exp_3", 3_000))
        .await
        .unwrap();
    assert!(matches!(
        store.create_export(&first).await,
        Err(StoreError::Conflict(_))
    ));

    assert_eq!(store.get_export(&acme, "exp_1").await.unwrap(), first);
    let history: Vec<String> = store
        .list_exports(&acme)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(history, ["exp_2", "exp_1"], "newest first");
    assert!(matches!(
        store.get_export(&beta, "exp_1").await,
        Err(StoreError::NotFound)
    ));

    let queued = store.exports_in_status(ExportStatus::Queued).await.unwrap();
    assert_eq!(queued.len(), 3);
    assert_eq!(queued[0].id, "exp_1", "oldest first");

    assert!(
        store
            .claim_export(&acme, "exp_1", Millis(4_000))
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_export(&acme, "exp_1", Millis(4_001))
            .await
            .unwrap(),
        "a job is claimed once"
    );
    let mut running = store.get_export(&acme, "exp_1").await.unwrap();
    assert_eq!(running.status, ExportStatus::Running);
    assert_eq!(running.started_at, Some(Millis(4_000)));

    running.status = ExportStatus::Completed;
    running.progress = 42;
    running.finished_at = Some(Millis(5_000));
    running.expires_at = Some(Millis(9_000));
    running.file_name = Some("exp_1.csv".into());
    running.file_size = Some(1234);
    store.update_export(&running).await.unwrap();
    assert_eq!(store.get_export(&acme, "exp_1").await.unwrap(), running);
    let completed = store
        .exports_in_status(ExportStatus::Completed)
        .await
        .unwrap();
    assert_eq!(completed, vec![running.clone()]);

    let mut failed = second.clone();
    failed.status = ExportStatus::Failed;
    failed.error = Some("the disk is full".into());
    store.update_export(&failed).await.unwrap();
    assert_eq!(store.get_export(&acme, "exp_2").await.unwrap(), failed);

    assert!(matches!(
        store.delete_export(&beta, "exp_1").await,
        Err(StoreError::NotFound)
    ));
    store.delete_export(&acme, "exp_1").await.unwrap();
    assert!(matches!(
        store.get_export(&acme, "exp_1").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_export(&running).await,
        Err(StoreError::NotFound)
    ));
}

/// A job lease has one holder at a time: others are refused until it expires, the holder renews
/// it, and leases of different names are independent.
pub async fn a_lease_has_one_holder_until_it_expires(store: &dyn Store) {
    let take = |holder: &'static str, at: i64| async move {
        store
            .take_lease("retention", holder, Millis(at), 1_000)
            .await
            .unwrap()
    };
    assert!(take("node-a", 10_000).await, "a free lease is taken");
    assert!(!take("node-b", 10_500).await, "held by node-a until 11,000");
    assert!(
        take("node-a", 10_900).await,
        "the holder renews it, until 11,900"
    );
    assert!(!take("node-b", 11_500).await, "renewed, so still node-a's");
    assert!(
        store
            .take_lease("checkpoints", "node-b", Millis(11_500), 1_000)
            .await
            .unwrap(),
        "another name is another lease"
    );
    assert!(
        take("node-b", 11_900).await,
        "expired at 11,900: node-b takes it"
    );
    assert!(
        !take("node-a", 12_000).await,
        "and node-a no longer holds it"
    );
}
