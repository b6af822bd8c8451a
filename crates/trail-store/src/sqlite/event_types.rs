//! The event-type catalogue on SQLite: the statements behind `list_event_types`,
//! `get_event_type` and `action_stats`, and the catalogue changes `apply_audited` runs. A schema
//! version is decided here, inside the writer's transaction: the same schemas as the action's
//! latest version keep it, others make version + 1.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;
use trail_core::Millis;
use trail_core::catalogue::{EventType, EventTypeSpec};

use super::schema::internal;
use super::views::org_key;
use crate::{Result, StoreError};

const COLUMNS: &str = "SELECT action, area, label, description, metadata_schema, resource_schema, \
    targets_schema, template, enabled, version, created_at, updated_at FROM event_types";

fn schema(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = row.get(i)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

fn read(row: &Row<'_>) -> rusqlite::Result<EventType> {
    Ok(EventType {
        action: row.get(0)?,
        area: row.get(1)?,
        label: row.get(2)?,
        description: row.get(3)?,
        metadata_schema: schema(row, 4)?,
        resource_schema: schema(row, 5)?,
        targets_schema: schema(row, 6)?,
        template: row.get(7)?,
        enabled: row.get(8)?,
        version: row.get(9)?,
        created_at: Millis(row.get(10)?),
        updated_at: Millis(row.get(11)?),
    })
}

fn text(schema: &Option<Value>) -> Option<String> {
    schema.as_ref().map(Value::to_string)
}

fn get(conn: &Connection, org: i64, action: &str) -> Result<Option<EventType>> {
    conn.prepare_cached(&format!("{COLUMNS} WHERE org = ? AND action = ?"))
        .and_then(|mut s| s.query_row(params![org, action], read).optional())
        .map_err(internal)
}

pub(super) fn get_event_type(
    conn: &Connection,
    organization_id: &str,
    action: &str,
) -> Result<EventType> {
    get(conn, org_key(conn, organization_id)?, action)?.ok_or(StoreError::NotFound)
}

pub(super) fn list_event_types(conn: &Connection, organization_id: &str) -> Result<Vec<EventType>> {
    let org = org_key(conn, organization_id)?;
    let mut statement = conn
        .prepare_cached(&format!("{COLUMNS} WHERE org = ? ORDER BY area, action"))
        .map_err(internal)?;
    let rows = statement.query_map([org], read).map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

/// Stores `spec` and returns the type before and after.
pub(super) fn put_event_type(
    conn: &Connection,
    organization_id: &str,
    spec: EventTypeSpec,
    at: Millis,
) -> Result<(Option<EventType>, EventType)> {
    let org = org_key(conn, organization_id)?;
    let before = get(conn, org, &spec.action)?;
    let latest: Option<(u32, String)> = conn
        .prepare_cached(
            "SELECT version, schemas FROM event_type_versions WHERE org = ? AND action = ? \
             ORDER BY version DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row(params![org, spec.action], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(internal)?;
    let version = match latest {
        Some((version, schemas)) if schemas == spec.schemas => version,
        latest => {
            let version = latest.map_or(1, |(v, _)| v + 1);
            conn.execute(
                "INSERT INTO event_type_versions (org, action, version, schemas, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
                params![org, spec.action, version, spec.schemas, at.0],
            )
            .map_err(internal)?;
            version
        }
    };
    let created_at = before.as_ref().map_or(at, |b| b.created_at);
    let after = spec.into_event_type(version, created_at, at);
    conn.execute(
        "INSERT INTO event_types (org, action, area, label, description, metadata_schema, \
         resource_schema, targets_schema, template, enabled, version, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org, action) DO UPDATE SET \
         area = excluded.area, label = excluded.label, description = excluded.description, \
         metadata_schema = excluded.metadata_schema, resource_schema = excluded.resource_schema, \
         targets_schema = excluded.targets_schema, template = excluded.template, \
         enabled = excluded.enabled, version = excluded.version, updated_at = excluded.updated_at",
        params![
            org,
            after.action,
            after.area,
            after.label,
            after.description,
            text(&after.metadata_schema),
            text(&after.resource_schema),
            text(&after.targets_schema),
            after.template,
            after.enabled,
            after.version,
            after.created_at.0,
            after.updated_at.0
        ],
    )
    .map_err(internal)?;
    Ok((before, after))
}

pub(super) fn delete_event_type(
    conn: &Connection,
    organization_id: &str,
    action: &str,
) -> Result<()> {
    let org = org_key(conn, organization_id)?;
    let deleted = conn
        .execute(
            "DELETE FROM event_types WHERE org = ? AND action = ?",
            params![org, action],
        )
        .map_err(internal)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Stores every spec; with `replace`, removes the types the file does not list.
pub(super) fn import_event_types(
    conn: &Connection,
    organization_id: &str,
    specs: Vec<EventTypeSpec>,
    replace: bool,
    at: Millis,
) -> Result<Vec<EventType>> {
    let org = org_key(conn, organization_id)?;
    if replace {
        let keep: Vec<String> = specs.iter().map(|s| s.action.clone()).collect();
        for existing in list_event_types(conn, organization_id)? {
            if !keep.contains(&existing.action) {
                conn.execute(
                    "DELETE FROM event_types WHERE org = ? AND action = ?",
                    params![org, existing.action],
                )
                .map_err(internal)?;
            }
        }
    }
    specs
        .into_iter()
        .map(|spec| put_event_type(conn, organization_id, spec, at).map(|(_, after)| after))
        .collect()
}
