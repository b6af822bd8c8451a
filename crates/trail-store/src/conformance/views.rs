//! Conformance: saved views — put (create and replace), one default per owner, personal views
//! hidden from others, delete, and changes through `apply_audited`.

use trail_core::Millis;

use crate::{AuditOf, Change, Changed, SavedView, Store, StoreError};

fn view(org: &str, id: &str, owner: &str, shared: bool, is_default: bool) -> SavedView {
    SavedView {
        organization_id: org.into(),
        id: id.into(),
        name: format!("View {id}"),
        owner: owner.into(),
        shared,
        is_default,
        filters: r#"{"q":"action:member.*"}"#.into(),
        created_at: Millis(1_000),
        updated_at: Millis(1_000),
    }
}

fn names(views: &[SavedView]) -> Vec<(&str, bool)> {
    views
        .iter()
        .map(|v| (v.id.as_str(), v.is_default))
        .collect()
}

pub async fn saved_views_lifecycle(store: &dyn Store) {
    let org = store.create_organization("Views").await.unwrap().id;
    let other = store.create_organization("Other").await.unwrap().id;
    store
        .put_view(view(&org, "view_a", "usr_1", false, true))
        .await
        .unwrap();
    store
        .put_view(view(&org, "view_b", "usr_1", true, true))
        .await
        .unwrap();
    store
        .put_view(view(&org, "view_c", "usr_2", false, false))
        .await
        .unwrap();
    assert_eq!(
        names(&store.list_views(&org, "usr_1").await.unwrap()),
        [("view_a", false), ("view_b", true)],
        "a new default clears the owner's other one"
    );
    assert_eq!(
        names(&store.list_views(&org, "usr_2").await.unwrap()),
        [("view_b", true), ("view_c", false)],
        "shared views and one's own"
    );
    let mut renamed = view(&org, "view_c", "usr_2", true, false);
    renamed.name = "Renamed".into();
    renamed.updated_at = Millis(2_000);
    store.put_view(renamed).await.unwrap();
    let got = store.get_view(&org, "view_c").await.unwrap();
    assert_eq!(
        (got.name.as_str(), got.shared, got.created_at),
        ("Renamed", true, Millis(1_000))
    );
    assert_eq!(got.filters, r#"{"q":"action:member.*"}"#);
    assert!(matches!(
        store.get_view(&other, "view_c").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_view(&other, "view_c").await,
        Err(StoreError::NotFound)
    ));
    store.delete_view(&org, "view_c").await.unwrap();
    assert!(matches!(
        store.delete_view(&org, "view_c").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list_views("org_missing", "usr_1").await,
        Err(StoreError::NotFound)
    ));
    let none: AuditOf = Box::new(|_| Ok(None));
    let done = store
        .apply_audited(
            &org,
            Change::PutView(view(&org, "view_d", "usr_3", false, false)),
            none,
        )
        .await
        .unwrap();
    assert!(matches!(done.changed, Changed::View(ref v) if v.id == "view_d"));
    let none: AuditOf = Box::new(|_| Ok(None));
    store
        .apply_audited(
            &org,
            Change::DeleteView {
                id: "view_d".into(),
            },
            none,
        )
        .await
        .unwrap();
    assert!(matches!(
        store.get_view(&org, "view_d").await,
        Err(StoreError::NotFound)
    ));
}
