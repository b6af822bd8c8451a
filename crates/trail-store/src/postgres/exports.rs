//! Per-organization settings and export jobs: the statements behind the exports part of the
//! `Store` trait.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use trail_core::Millis;
use trail_core::catalogue::ValidationMode;

use super::error::{conflict_or, db_error};
use crate::{ExportJob, ExportStatus, OrgSettings, Result, StoreError};

pub(super) async fn org_settings(
    client: &impl GenericClient,
    organization_id: &str,
) -> Result<OrgSettings> {
    let row = client
        .query_opt(
            "SELECT retention_days, max_export_window_days, updated_at, event_type_validation \
             FROM org_settings WHERE organization_id = $1",
            &[&organization_id],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map_or_else(OrgSettings::default, |r| OrgSettings {
        retention_days: u32::try_from(r.get::<_, i64>(0)).unwrap_or(u32::MAX),
        max_export_window_days: r
            .get::<_, Option<i64>>(1)
            .map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
        updated_at: Some(Millis(r.get(2))),
        event_type_validation: ValidationMode::parse(r.get(3)).unwrap_or_default(),
    }))
}

pub(super) async fn put_org_settings(
    client: &impl GenericClient,
    organization_id: &str,
    settings: &OrgSettings,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO org_settings (organization_id, retention_days, max_export_window_days, \
             updated_at, event_type_validation) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (organization_id) DO UPDATE SET \
             retention_days = excluded.retention_days, \
             max_export_window_days = excluded.max_export_window_days, \
             updated_at = excluded.updated_at, event_type_validation = excluded.event_type_validation",
            &[
                &organization_id,
                &i64::from(settings.retention_days),
                &settings.max_export_window_days.map(i64::from),
                &settings.updated_at.unwrap_or_else(Millis::now).0,
                &settings.event_type_validation.as_str(),
            ],
        )
        .await
        .map(drop)
        .map_err(db_error)
}

const JOB_COLUMNS: &str = "organization_id, id, name, spec, status, record_count, progress, \
    error, created_by, created_at, started_at, finished_at, expires_at, file_name, file_size";

fn read_job(row: &Row) -> ExportJob {
    let spec: String = row.get(3);
    let status: String = row.get(4);
    let millis = |i| row.get::<_, Option<i64>>(i).map(Millis);
    ExportJob {
        organization_id: row.get(0),
        id: row.get(1),
        name: row.get(2),
        spec: serde_json::from_str(&spec).unwrap_or_default(),
        status: ExportStatus::parse(&status).unwrap_or(ExportStatus::Failed),
        record_count: row.get::<_, i64>(5) as u64,
        progress: row.get::<_, i64>(6) as u64,
        error: row.get(7),
        created_by: row.get(8),
        created_at: Millis(row.get(9)),
        started_at: millis(10),
        finished_at: millis(11),
        expires_at: millis(12),
        file_name: row.get(13),
        file_size: row.get::<_, Option<i64>>(14).map(|n| n as u64),
    }
}

pub(super) async fn create_export(client: &impl GenericClient, job: &ExportJob) -> Result<()> {
    client
        .execute(
            &format!(
                "INSERT INTO export_jobs ({JOB_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            ),
            &[
                &job.organization_id,
                &job.id,
                &job.name,
                &job.spec.to_string(),
                &job.status.as_str(),
                &(job.record_count as i64),
                &(job.progress as i64),
                &job.error,
                &job.created_by,
                &job.created_at.0,
                &job.started_at.map(|m| m.0),
                &job.finished_at.map(|m| m.0),
                &job.expires_at.map(|m| m.0),
                &job.file_name,
                &job.file_size.map(|n| n as i64),
            ],
        )
        .await
        .map(drop)
        .map_err(|e| conflict_or(e, "an export with this id already exists"))
}

pub(super) async fn get_export(
    client: &impl GenericClient,
    organization_id: &str,
    id: &str,
) -> Result<ExportJob> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {JOB_COLUMNS} FROM export_jobs WHERE organization_id = $1 AND id = $2"
            ),
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?;
    row.as_ref().map(read_job).ok_or(StoreError::NotFound)
}

pub(super) async fn list_exports(
    client: &impl GenericClient,
    organization_id: &str,
) -> Result<Vec<ExportJob>> {
    let rows = client
        .query(
            &format!(
                "SELECT {JOB_COLUMNS} FROM export_jobs WHERE organization_id = $1 \
                 ORDER BY created_at DESC, id DESC"
            ),
            &[&organization_id],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read_job).collect())
}

pub(super) async fn exports_in_status(
    client: &impl GenericClient,
    status: ExportStatus,
) -> Result<Vec<ExportJob>> {
    let rows = client
        .query(
            &format!(
                "SELECT {JOB_COLUMNS} FROM export_jobs WHERE status = $1 ORDER BY created_at, id"
            ),
            &[&status.as_str()],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read_job).collect())
}

pub(super) async fn update_export(client: &impl GenericClient, job: &ExportJob) -> Result<()> {
    let changed = client
        .execute(
            "UPDATE export_jobs SET status = $1, record_count = $2, progress = $3, error = $4, \
             started_at = $5, finished_at = $6, expires_at = $7, file_name = $8, file_size = $9 \
             WHERE organization_id = $10 AND id = $11",
            &[
                &job.status.as_str(),
                &(job.record_count as i64),
                &(job.progress as i64),
                &job.error,
                &job.started_at.map(|m| m.0),
                &job.finished_at.map(|m| m.0),
                &job.expires_at.map(|m| m.0),
                &job.file_name,
                &job.file_size.map(|n| n as i64),
                &job.organization_id,
                &job.id,
            ],
        )
        .await
        .map_err(db_error)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn claim_export(
    client: &impl GenericClient,
    organization_id: &str,
    id: &str,
    at: Millis,
) -> Result<bool> {
    client
        .execute(
            "UPDATE export_jobs SET status = 'running', started_at = $1, progress = 0, \
             error = NULL WHERE organization_id = $2 AND id = $3 AND status = 'queued'",
            &[&at.0, &organization_id, &id],
        )
        .await
        .map(|changed| changed == 1)
        .map_err(db_error)
}

pub(super) async fn delete_export(
    client: &impl GenericClient,
    organization_id: &str,
    id: &str,
) -> Result<()> {
    let changed = client
        .execute(
            "DELETE FROM export_jobs WHERE organization_id = $1 AND id = $2",
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// `Store::take_lease`: one upsert that takes a free or expired lease or renews the holder's own
/// (PostgreSQL locks the row, so two nodes never both take it).
pub(super) async fn take_lease(
    client: &impl GenericClient,
    name: &str,
    holder: &str,
    now: Millis,
    ttl_ms: i64,
) -> Result<bool> {
    client
        .execute(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4",
            &[&name, &holder, &now.plus_ms(ttl_ms).0, &now.0],
        )
        .await
        .map(|changed| changed == 1)
        .map_err(db_error)
}
