//! Per-organization settings and export jobs: the statements behind the exports part of the
//! `Store` trait (writes on the writer's connection, reads on a reader's).

use rusqlite::{Connection, OptionalExtension, Row, params};
use trail_core::Millis;
use trail_core::catalogue::ValidationMode;

use super::schema::internal;
use crate::{ExportJob, ExportStatus, OrgSettings, Result, StoreError};

pub(super) fn org_settings(conn: &Connection, organization_id: &str) -> Result<OrgSettings> {
    let row = conn
        .prepare_cached(
            "SELECT retention_days, max_export_window_days, updated_at, event_type_validation \
             FROM org_settings WHERE organization_id = ?",
        )
        .and_then(|mut s| {
            s.query_row([organization_id], |r| {
                Ok(OrgSettings {
                    retention_days: r.get(0)?,
                    max_export_window_days: r.get(1)?,
                    updated_at: Some(Millis(r.get(2)?)),
                    event_type_validation: ValidationMode::parse(&r.get::<_, String>(3)?)
                        .unwrap_or_default(),
                })
            })
            .optional()
        })
        .map_err(internal)?;
    Ok(row.unwrap_or_default())
}

pub(super) fn put_org_settings(
    conn: &Connection,
    organization_id: &str,
    settings: &OrgSettings,
) -> Result<()> {
    conn.execute(
        "INSERT INTO org_settings (organization_id, retention_days, max_export_window_days, \
         updated_at, event_type_validation) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (organization_id) DO UPDATE SET \
         retention_days = excluded.retention_days, \
         max_export_window_days = excluded.max_export_window_days, updated_at = excluded.updated_at, \
         event_type_validation = excluded.event_type_validation",
        params![
            organization_id,
            settings.retention_days,
            settings.max_export_window_days,
            settings.updated_at.unwrap_or_else(Millis::now).0,
            settings.event_type_validation.as_str()
        ],
    )
    .map(drop)
    .map_err(internal)
}

const JOB_COLUMNS: &str = "organization_id, id, name, spec, status, record_count, progress, \
    error, created_by, created_at, started_at, finished_at, expires_at, file_name, file_size";

fn read_job(row: &Row<'_>) -> rusqlite::Result<ExportJob> {
    let spec: String = row.get(3)?;
    let status: String = row.get(4)?;
    let millis = |i| row.get::<_, Option<i64>>(i).map(|m| m.map(Millis));
    Ok(ExportJob {
        organization_id: row.get(0)?,
        id: row.get(1)?,
        name: row.get(2)?,
        spec: serde_json::from_str(&spec).unwrap_or_default(),
        status: ExportStatus::parse(&status).unwrap_or(ExportStatus::Failed),
        record_count: row.get::<_, i64>(5)? as u64,
        progress: row.get::<_, i64>(6)? as u64,
        error: row.get(7)?,
        created_by: row.get(8)?,
        created_at: Millis(row.get(9)?),
        started_at: millis(10)?,
        finished_at: millis(11)?,
        expires_at: millis(12)?,
        file_name: row.get(13)?,
        file_size: row.get::<_, Option<i64>>(14)?.map(|n| n as u64),
    })
}

pub(super) fn create_export(conn: &Connection, job: &ExportJob) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO export_jobs ({JOB_COLUMNS}) VALUES \
             (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        params![
            job.organization_id,
            job.id,
            job.name,
            job.spec.to_string(),
            job.status.as_str(),
            job.record_count as i64,
            job.progress as i64,
            job.error,
            job.created_by,
            job.created_at.0,
            job.started_at.map(|m| m.0),
            job.finished_at.map(|m| m.0),
            job.expires_at.map(|m| m.0),
            job.file_name,
            job.file_size.map(|n| n as i64),
        ],
    )
    .map(drop)
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict("an export with this id already exists".into())
        }
        other => internal(other),
    })
}

pub(super) fn get_export(conn: &Connection, organization_id: &str, id: &str) -> Result<ExportJob> {
    conn.prepare_cached(&format!(
        "SELECT {JOB_COLUMNS} FROM export_jobs WHERE organization_id = ? AND id = ?"
    ))
    .and_then(|mut s| s.query_row([organization_id, id], read_job).optional())
    .map_err(internal)?
    .ok_or(StoreError::NotFound)
}

pub(super) fn list_exports(conn: &Connection, organization_id: &str) -> Result<Vec<ExportJob>> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM export_jobs WHERE organization_id = ? \
             ORDER BY created_at DESC, id DESC"
        ))
        .map_err(internal)?;
    let rows = statement
        .query_map([organization_id], read_job)
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

pub(super) fn exports_in_status(conn: &Connection, status: ExportStatus) -> Result<Vec<ExportJob>> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM export_jobs WHERE status = ? ORDER BY created_at, id"
        ))
        .map_err(internal)?;
    let rows = statement
        .query_map([status.as_str()], read_job)
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

pub(super) fn update_export(conn: &Connection, job: &ExportJob) -> Result<()> {
    let changed = conn
        .execute(
            "UPDATE export_jobs SET status = ?, record_count = ?, progress = ?, error = ?, \
             started_at = ?, finished_at = ?, expires_at = ?, file_name = ?, file_size = ? \
             WHERE organization_id = ? AND id = ?",
            params![
                job.status.as_str(),
                job.record_count as i64,
                job.progress as i64,
                job.error,
                job.started_at.map(|m| m.0),
                job.finished_at.map(|m| m.0),
                job.expires_at.map(|m| m.0),
                job.file_name,
                job.file_size.map(|n| n as i64),
                job.organization_id,
                job.id,
            ],
        )
        .map_err(internal)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn claim_export(
    conn: &Connection,
    organization_id: &str,
    id: &str,
    at: Millis,
) -> Result<bool> {
    conn.execute(
        "UPDATE export_jobs SET status = 'running', started_at = ?, progress = 0, error = NULL \
         WHERE organization_id = ? AND id = ? AND status = 'queued'",
        params![at.0, organization_id, id],
    )
    .map(|changed| changed == 1)
    .map_err(internal)
}

pub(super) fn delete_export(conn: &Connection, organization_id: &str, id: &str) -> Result<()> {
    let changed = conn
        .execute(
            "DELETE FROM export_jobs WHERE organization_id = ? AND id = ?",
            [organization_id, id],
        )
        .map_err(internal)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `Store::take_lease`: one upsert that takes a free or expired lease or renews the holder's own.
pub(super) fn take_lease(
    conn: &Connection,
    name: &str,
    holder: &str,
    now: Millis,
    ttl_ms: i64,
) -> Result<bool> {
    conn.execute(
        "INSERT INTO job_leases (name, holder, expires_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?4",
        params![name, holder, now.plus_ms(ttl_ms).0, now.0],
    )
    .map(|changed| changed == 1)
    .map_err(internal)
}
