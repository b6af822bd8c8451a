//! Saved views of the Activity log: the statements behind `put_view`, `get_view`, `list_views`
//! and `delete_view`.

use deadpool_postgres::{Client, GenericClient};
use tokio_postgres::Row;
use trail_core::Millis;

use super::admin::get_organization;
use super::error::db_error;
use crate::{Result, SavedView, StoreError};

const COLUMNS: &str = "SELECT organization_id, id, name, owner, shared, is_default, filters, \
    created_at, updated_at FROM saved_views";

fn read(row: &Row) -> SavedView {
    SavedView {
        organization_id: row.get(0),
        id: row.get(1),
        name: row.get(2),
        owner: row.get(3),
        shared: row.get(4),
        is_default: row.get(5),
        filters: row.get(6),
        created_at: Millis(row.get(7)),
        updated_at: Millis(row.get(8)),
    }
}

/// Inside the caller's transaction (`apply_audited`'s or [`put_view_alone`]'s).
pub(super) async fn put_view(tx: &impl GenericClient, view: &SavedView) -> Result<()> {
    get_organization(tx, &view.organization_id).await?;
    if view.is_default {
        tx.execute(
            "UPDATE saved_views SET is_default = false \
             WHERE organization_id = $1 AND owner = $2 AND id <> $3",
            &[&view.organization_id, &view.owner, &view.id],
        )
        .await
        .map_err(db_error)?;
    }
    tx.execute(
        "INSERT INTO saved_views (organization_id, id, name, owner, shared, is_default, filters, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (organization_id, id) DO UPDATE SET name = excluded.name, shared = excluded.shared, \
         is_default = excluded.is_default, filters = excluded.filters, updated_at = excluded.updated_at",
        &[
            &view.organization_id,
            &view.id,
            &view.name,
            &view.owner,
            &view.shared,
            &view.is_default,
            &view.filters,
            &view.created_at.0,
            &view.updated_at.0,
        ],
    )
    .await
    .map(drop)
    .map_err(db_error)
}

pub(super) async fn put_view_alone(client: &mut Client, view: &SavedView) -> Result<()> {
    let tx = client.transaction().await.map_err(db_error)?;
    put_view(&tx, view).await?;
    tx.commit().await.map_err(db_error)
}

pub(super) async fn get_view(
    client: &Client,
    organization_id: &str,
    id: &str,
) -> Result<SavedView> {
    client
        .query_opt(
            &format!("{COLUMNS} WHERE organization_id = $1 AND id = $2"),
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?
        .map(|row| read(&row))
        .ok_or(StoreError::NotFound)
}

pub(super) async fn list_views(
    client: &Client,
    organization_id: &str,
    owner: &str,
) -> Result<Vec<SavedView>> {
    get_organization(client, organization_id).await?;
    let rows = client
        .query(
            &format!(
                "{COLUMNS} WHERE organization_id = $1 AND (shared OR owner = $2) ORDER BY lower(name), id"
            ),
            &[&organization_id, &owner],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read).collect())
}

pub(super) async fn delete_view(
    client: &impl GenericClient,
    organization_id: &str,
    id: &str,
) -> Result<()> {
    let deleted = client
        .execute(
            "DELETE FROM saved_views WHERE organization_id = $1 AND id = $2",
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
