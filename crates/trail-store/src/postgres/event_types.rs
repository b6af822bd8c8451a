//! The event-type catalogue on PostgreSQL: the statements behind `list_event_types`,
//! `get_event_type` and `action_stats`, and the catalogue changes `apply_audited` runs inside its
//! transaction (which holds the organization's head row, so two changes of one catalogue never
//! decide a version at the same time).

use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use trail_core::Millis;
use trail_core::catalogue::{EventType, EventTypeSpec};

use super::admin::get_organization;
use super::error::db_error;
use crate::{ActionStats, Result, StoreError};

const COLUMNS: &str = "SELECT action, area, label, description, metadata_schema, resource_schema, \
    targets_schema, template, enabled, version, created_at, updated_at FROM event_types";

fn schema(row: &Row, i: usize) -> Result<Option<Value>> {
    row.get::<_, Option<String>>(i)
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StoreError::Internal(format!("a stored schema is not JSON: {e}")))
}

fn read(row: &Row) -> Result<EventType> {
    Ok(EventType {
        action: row.get(0),
        area: row.get(1),
        label: row.get(2),
        description: row.get(3),
        metadata_schema: schema(row, 4)?,
        resource_schema: schema(row, 5)?,
        targets_schema: schema(row, 6)?,
        template: row.get(7),
        enabled: row.get(8),
        version: u32::try_from(row.get::<_, i32>(9)).unwrap_or(0),
        created_at: Millis(row.get(10)),
        updated_at: Millis(row.get(11)),
    })
}

fn text(schema: &Option<Value>) -> Option<String> {
    schema.as_ref().map(Value::to_string)
}

async fn get(client: &impl GenericClient, org: &str, action: &str) -> Result<Option<EventType>> {
    client
        .query_opt(
            &format!("{COLUMNS} WHERE organization_id = $1 AND action = $2"),
            &[&org, &action],
        )
        .await
        .map_err(db_error)?
        .map(|row| read(&row))
        .transpose()
}

pub(super) async fn get_event_type(
    client: &impl GenericClient,
    org: &str,
    action: &str,
) -> Result<EventType> {
    get_organization(client, org).await?;
    get(client, org, action).await?.ok_or(StoreError::NotFound)
}

pub(super) async fn list_event_types(
    client: &impl GenericClient,
    org: &str,
) -> Result<Vec<EventType>> {
    get_organization(client, org).await?;
    client
        .query(
            &format!("{COLUMNS} WHERE organization_id = $1 ORDER BY area, action"),
            &[&org],
        )
        .await
        .map_err(db_error)?
        .iter()
        .map(read)
        .collect()
}

pub(super) async fn put_event_type(
    tx: &impl GenericClient,
    org: &str,
    spec: EventTypeSpec,
    at: Millis,
) -> Result<(Option<EventType>, EventType)> {
    let before = get(tx, org, &spec.action).await?;
    let latest = tx
        .query_opt(
            "SELECT version, schemas FROM event_type_versions WHERE organization_id = $1 \
             AND action = $2 ORDER BY version DESC LIMIT 1",
            &[&org, &spec.action],
        )
        .await
        .map_err(db_error)?
        .map(|r| (r.get::<_, i32>(0), r.get::<_, String>(1)));
    let version = match latest {
        Some((version, schemas)) if schemas == spec.schemas => version,
        latest => {
            let version = latest.map_or(1, |(v, _)| v + 1);
            tx.execute(
                "INSERT INTO event_type_versions (organization_id, action, version, schemas, \
                 created_at) VALUES ($1, $2, $3, $4, $5)",
                &[&org, &spec.action, &version, &spec.schemas, &at.0],
            )
            .await
            .map_err(db_error)?;
            version
        }
    };
    let created_at = before.as_ref().map_or(at, |b| b.created_at);
    let after = spec.into_event_type(u32::try_from(version).unwrap_or(0), created_at, at);
    tx.execute(
        "INSERT INTO event_types (organization_id, action, area, label, description, \
         metadata_schema, resource_schema, targets_schema, template, enabled, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (organization_id, action) DO UPDATE SET area = excluded.area, \
         label = excluded.label, description = excluded.description, \
         metadata_schema = excluded.metadata_schema, resource_schema = excluded.resource_schema, \
         targets_schema = excluded.targets_schema, template = excluded.template, \
         enabled = excluded.enabled, version = excluded.version, updated_at = excluded.updated_at",
        &[
            &org,
            &after.action,
            &after.area,
            &after.label,
            &after.description,
            &text(&after.metadata_schema),
            &text(&after.resource_schema),
            &text(&after.targets_schema),
            &after.template,
            &after.enabled,
            &version,
            &after.created_at.0,
            &after.updated_at.0,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok((before, after))
}

pub(super) async fn delete_event_type(
    tx: &impl GenericClient,
    org: &str,
    action: &str,
) -> Result<()> {
    let deleted = tx
        .execute(
            "DELETE FROM event_types WHERE organization_id = $1 AND action = $2",
            &[&org, &action],
        )
        .await
        .map_err(db_error)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn import_event_types(
    tx: &impl GenericClient,
    org: &str,
    specs: Vec<EventTypeSpec>,
    replace: bool,
    at: Millis,
) -> Result<Vec<EventType>> {
    if replace {
        let keep: Vec<String> = specs.iter().map(|s| s.action.clone()).collect();
        tx.execute(
            "DELETE FROM event_types WHERE organization_id = $1 AND NOT (action = ANY($2))",
            &[&org, &keep],
        )
        .await
        .map_err(db_error)?;
    }
    let mut stored = Vec::with_capacity(specs.len());
    for spec in specs {
        stored.push(put_event_type(tx, org, spec, at).await?.1);
    }
    Ok(stored)
}

/// Every action of the log with its count and first and last `occurred_at` (no per-event
/// bookkeeping at ingest).
pub(super) async fn action_stats(
    client: &impl GenericClient,
    org: &str,
) -> Result<Vec<ActionStats>> {
    get_organization(client, org).await?;
    let rows = client
        .query(
            "SELECT action, count(*), min(occurred_at), max(occurred_at) FROM events \
             WHERE organization_id = $1 GROUP BY action ORDER BY action",
            &[&org],
        )
        .await
        .map_err(db_error)?;
    Ok(rows
        .iter()
        .map(|r| ActionStats {
            action: r.get(0),
            count: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
            first_seen: Millis(r.get(2)),
            last_seen: Millis(r.get(3)),
        })
        .collect())
}
