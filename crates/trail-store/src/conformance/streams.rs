//! Conformance: SIEM streams — created, changed, controlled and deleted through
//! `apply_audited`, secrets kept, names unique per organization, organizations isolated, and
//! delivery state written only while its generation is current.

use serde_json::json;
use trail_core::Millis;

use crate::{
    AuditOf, Change, Changed, Store, StoreError, Stream, StreamControl, StreamDelivery,
    StreamRecord, StreamState,
};

fn stream(org: &str, id: &str, name: &str) -> Stream {
    Stream {
        organization_id: org.into(),
        id: id.into(),
        name: name.into(),
        kind: "splunk_hec".into(),
        format: "trail".into(),
        url: "https://hec.example.com:8088".into(),
        filter: "action:member.*".into(),
        settings: json!({"index": "audit"}),
        secrets: json!({"token": "hec-token"}),
        created_at: Millis(1_000),
        updated_at: Millis(1_000),
    }
}

fn none() -> AuditOf {
    Box::new(|_| Ok(None))
}

async fn apply(store: &dyn Store, org: &str, change: Change) -> Result<StreamRecord, StoreError> {
    match store.apply_audited(org, change, none()).await?.changed {
        Changed::Stream(record) => Ok(*record),
        other => panic!("unexpected {other:?}"),
    }
}

pub async fn streams_lifecycle(store: &dyn Store) {
    let org = store.create_organization("Streams").await.unwrap().id;
    let other = store.create_organization("Other").await.unwrap().id;
    let created = apply(
        store,
        &org,
        Change::CreateStream {
            stream: stream(&org, "strm_a", "Splunk"),
            cursor: 7,
        },
    )
    .await
    .unwrap();
    assert_eq!(created.delivery, StreamDelivery::starting_at(7));
    let got = store.get_stream(&org, "strm_a").await.unwrap();
    assert_eq!(got, created);
    assert_eq!(got.stream.secrets, json!({"token": "hec-token"}));
    assert_eq!(got.stream.settings, json!({"index": "audit"}));
    assert!(!format!("{:?}", got.stream).contains("hec-token"));
    assert!(
        !serde_json::to_string(&got.stream)
            .unwrap()
            .contains("hec-token")
    );

    let taken = apply(
        store,
        &org,
        Change::CreateStream {
            stream: stream(&org, "strm_b", "Splunk"),
            cursor: 0,
        },
    )
    .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    apply(
        store,
        &other,
        Change::CreateStream {
            stream: stream(&other, "strm_c", "Splunk"),
            cursor: 0,
        },
    )
    .await
    .expect("names are unique per organization only");
    assert!(matches!(
        store.get_stream(&other, "strm_a").await,
        Err(StoreError::NotFound)
    ));
    apply(
        store,
        &org,
        Change::CreateStream {
            stream: stream(&org, "strm_b", "Alerts"),
            cursor: 0,
        },
    )
    .await
    .unwrap();
    let names: Vec<String> = store
        .list_streams(&org)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.stream.name)
        .collect();
    assert_eq!(names, ["Alerts", "Splunk"]);
    assert_eq!(store.all_streams().await.unwrap().len(), 3);
    assert!(matches!(
        store.list_streams("org_missing").await,
        Err(StoreError::NotFound)
    ));

    let mut changed = stream(&org, "strm_a", "Splunk prod");
    changed.secrets = json!({"token": "rotated"});
    changed.updated_at = Millis(2_000);
    let updated = apply(store, &org, Change::UpdateStream(changed))
        .await
        .unwrap();
    assert_eq!(updated.stream.name, "Splunk prod");
    assert_eq!(updated.stream.secrets, json!({"token": "rotated"}));
    assert_eq!(updated.stream.created_at, Millis(1_000));
    assert_eq!(
        updated.delivery.cursor, 7,
        "a configuration change keeps the cursor"
    );
    let missing = apply(
        store,
        &other,
        Change::UpdateStream(stream(&other, "strm_a", "Nope")),
    )
    .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    deleting_removes_the_stream_and_its_delivery(store, &org).await;
}

/// Delivery state: the worker's write succeeds while the generation is current, and a control
/// in between wins.
pub async fn stream_delivery_is_guarded_by_generation(store: &dyn Store) {
    let org = store.create_organization("Delivery").await.unwrap().id;
    apply(
        store,
        &org,
        Change::CreateStream {
            stream: stream(&org, "strm_d", "Deliver"),
            cursor: 0,
        },
    )
    .await
    .unwrap();
    let mut delivery = store.get_stream(&org, "strm_d").await.unwrap().delivery;
    delivery.cursor = 10;
    delivery.events_delivered = 10;
    delivery.bytes_delivered = 1_234;
    delivery.last_success_at = Some(Millis(5_000));
    delivery.state = StreamState::Retrying;
    delivery.attempts = 2;
    delivery.next_attempt_at = Some(Millis(6_000));
    delivery.failing_since = Some(Millis(4_000));
    delivery.last_error = Some("HTTP 503: busy".into());
    delivery.last_status = Some(503);
    delivery.last_error_at = Some(Millis(4_500));
    assert!(
        store
            .record_delivery(&org, "strm_d", &delivery)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_stream(&org, "strm_d").await.unwrap().delivery,
        delivery
    );

    let paused = apply(
        store,
        &org,
        Change::ControlStream {
            id: "strm_d".into(),
            control: StreamControl::Pause,
        },
    )
    .await
    .unwrap();
    assert_eq!(paused.delivery.state, StreamState::Paused);
    assert_eq!(paused.delivery.generation, 1);
    let mut stale = delivery.clone();
    stale.cursor = 20;
    stale.state = StreamState::Active;
    assert!(
        !store.record_delivery(&org, "strm_d", &stale).await.unwrap(),
        "a batch finished during a pause must not undo it"
    );
    let now = store.get_stream(&org, "strm_d").await.unwrap().delivery;
    assert_eq!((now.cursor, now.state), (10, StreamState::Paused));

    let replayed = apply(
        store,
        &org,
        Change::ControlStream {
            id: "strm_d".into(),
            control: StreamControl::Replay { from_seq: 3 },
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (replayed.delivery.cursor, replayed.delivery.state),
        (3, StreamState::Paused),
        "a replay of a paused stream stays paused"
    );
    let resumed = apply(
        store,
        &org,
        Change::ControlStream {
            id: "strm_d".into(),
            control: StreamControl::Resume,
        },
    )
    .await
    .unwrap();
    assert_eq!(resumed.delivery.state, StreamState::Active);
    assert_eq!(resumed.delivery.attempts, 0);
    assert_eq!(resumed.delivery.next_attempt_at, None);
    assert_eq!(resumed.delivery.generation, 3);
    assert_eq!(resumed.delivery.events_delivered, 10, "counters are kept");

    let unknown = apply(
        store,
        &org,
        Change::ControlStream {
            id: "strm_missing".into(),
            control: StreamControl::Pause,
        },
    )
    .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    assert!(
        !store
            .record_delivery(&org, "strm_missing", &delivery)
            .await
            .unwrap()
    );
}

async fn deleting_removes_the_stream_and_its_delivery(store: &dyn Store, org: &str) {
    let delete = || Change::DeleteStream {
        id: "strm_a".into(),
    };
    let done = store.apply_audited(org, delete(), none()).await.unwrap();
    assert_eq!(done.changed, Changed::Done);
    assert!(matches!(
        store.get_stream(org, "strm_a").await,
        Err(StoreError::NotFound)
    ));
    let again = store.apply_audited(org, delete(), none()).await;
    assert!(matches!(again, Err(StoreError::NotFound)));
    let delivery = StreamDelivery::starting_at(0);
    assert!(
        !store
            .record_delivery(org, "strm_a", &delivery)
            .await
            .unwrap(),
        "the delivery state went with the stream"
    );
}
