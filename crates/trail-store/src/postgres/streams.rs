//! SIEM streams: the statements behind the streams part of the `Store` trait and the stream
//! changes of `apply_audited`.

use deadpool_postgres::{Client, GenericClient};
use tokio_postgres::Row;
use trail_core::Millis;

use super::admin::get_organization;
use super::error::{conflict_or, db_error};
use crate::{Result, StoreError, Stream, StreamControl, StreamDelivery, StreamRecord, StreamState};

const TAKEN: &str = "a stream with this name already exists";

const COLUMNS: &str = "SELECT s.organization_id, s.id, s.name, s.kind, s.format, s.url, s.filter, \
    s.settings, s.secrets, s.created_at, s.updated_at, d.next_seq, d.state, d.generation, \
    d.attempts, d.next_attempt_at, d.failing_since, d.last_success_at, d.last_error_at, \
    d.last_error, d.last_status, d.events_delivered, d.bytes_delivered \
    FROM streams s JOIN stream_deliveries d \
    ON d.organization_id = s.organization_id AND d.id = s.id";

fn read(row: &Row) -> StreamRecord {
    let json = |i| serde_json::from_str(row.get::<_, &str>(i)).unwrap_or_default();
    let millis = |i| row.get::<_, Option<i64>>(i).map(Millis);
    StreamRecord {
        stream: Stream {
            organization_id: row.get(0),
            id: row.get(1),
            name: row.get(2),
            kind: row.get(3),
            format: row.get(4),
            url: row.get(5),
            filter: row.get(6),
            settings: json(7),
            secrets: json(8),
            created_at: Millis(row.get(9)),
            updated_at: Millis(row.get(10)),
        },
        delivery: StreamDelivery {
            cursor: row.get::<_, i64>(11) as u64,
            state: StreamState::parse(row.get(12)).unwrap_or(StreamState::Error),
            generation: row.get::<_, i64>(13) as u64,
            attempts: row.get::<_, i64>(14) as u32,
            next_attempt_at: millis(15),
            failing_since: millis(16),
            last_success_at: millis(17),
            last_error_at: millis(18),
            last_error: row.get(19),
            last_status: row.get::<_, Option<i64>>(20).map(|s| s as u16),
            events_delivered: row.get::<_, i64>(21) as u64,
            bytes_delivered: row.get::<_, i64>(22) as u64,
        },
    }
}

pub(super) async fn get_stream(
    client: &impl GenericClient,
    organization_id: &str,
    id: &str,
) -> Result<StreamRecord> {
    client
        .query_opt(
            &format!("{COLUMNS} WHERE s.organization_id = $1 AND s.id = $2"),
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?
        .map(|row| read(&row))
        .ok_or(StoreError::NotFound)
}

pub(super) async fn list_streams(
    client: &Client,
    organization_id: &str,
) -> Result<Vec<StreamRecord>> {
    get_organization(client, organization_id).await?;
    let rows = client
        .query(
            &format!("{COLUMNS} WHERE s.organization_id = $1 ORDER BY s.name, s.id"),
            &[&organization_id],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read).collect())
}

pub(super) async fn all_streams(client: &Client) -> Result<Vec<StreamRecord>> {
    let rows = client
        .query(&format!("{COLUMNS} ORDER BY s.organization_id, s.id"), &[])
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(read).collect())
}

pub(super) async fn create_stream(
    tx: &impl GenericClient,
    stream: &Stream,
    cursor: u64,
) -> Result<StreamRecord> {
    get_organization(tx, &stream.organization_id).await?;
    tx.execute(
        "INSERT INTO streams (organization_id, id, name, kind, format, url, filter, settings, \
         secrets, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &stream.organization_id,
            &stream.id,
            &stream.name,
            &stream.kind,
            &stream.format,
            &stream.url,
            &stream.filter,
            &stream.settings.to_string(),
            &stream.secrets.to_string(),
            &stream.created_at.0,
            &stream.updated_at.0,
        ],
    )
    .await
    .map_err(|e| conflict_or(e, TAKEN))?;
    let delivery = StreamDelivery::starting_at(cursor);
    write_delivery(tx, &stream.organization_id, &stream.id, &delivery).await?;
    Ok(StreamRecord {
        stream: stream.clone(),
        delivery,
    })
}

pub(super) async fn update_stream(
    tx: &impl GenericClient,
    stream: &Stream,
) -> Result<StreamRecord> {
    let updated = tx
        .execute(
            "UPDATE streams SET name = $1, kind = $2, format = $3, url = $4, filter = $5, \
             settings = $6, secrets = $7, updated_at = $8 WHERE organization_id = $9 AND id = $10",
            &[
                &stream.name,
                &stream.kind,
                &stream.format,
                &stream.url,
                &stream.filter,
                &stream.settings.to_string(),
                &stream.secrets.to_string(),
                &stream.updated_at.0,
                &stream.organization_id,
                &stream.id,
            ],
        )
        .await
        .map_err(|e| conflict_or(e, TAKEN))?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    get_stream(tx, &stream.organization_id, &stream.id).await
}

pub(super) async fn control_stream(
    tx: &impl GenericClient,
    organization_id: &str,
    id: &str,
    control: StreamControl,
) -> Result<StreamRecord> {
    let mut record = get_stream(tx, organization_id, id).await?;
    record.delivery.control(control);
    write_delivery(tx, organization_id, id, &record.delivery).await?;
    Ok(record)
}

pub(super) async fn delete_stream(
    tx: &impl GenericClient,
    organization_id: &str,
    id: &str,
) -> Result<()> {
    let deleted = tx
        .execute(
            "DELETE FROM streams WHERE organization_id = $1 AND id = $2",
            &[&organization_id, &id],
        )
        .await
        .map_err(db_error)?;
    tx.execute(
        "DELETE FROM stream_deliveries WHERE organization_id = $1 AND id = $2",
        &[&organization_id, &id],
    )
    .await
    .map_err(db_error)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

async fn write_delivery(
    tx: &impl GenericClient,
    organization_id: &str,
    id: &str,
    d: &StreamDelivery,
) -> Result<()> {
    tx.execute(
        "INSERT INTO stream_deliveries (organization_id, id, next_seq, state, generation, \
         attempts, next_attempt_at, failing_since, last_success_at, last_error_at, last_error, \
         last_status, events_delivered, bytes_delivered) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (organization_id, id) DO UPDATE SET next_seq = excluded.next_seq, \
         state = excluded.state, generation = excluded.generation, attempts = excluded.attempts, \
         next_attempt_at = excluded.next_attempt_at, failing_since = excluded.failing_since, \
         last_success_at = excluded.last_success_at, last_error_at = excluded.last_error_at, \
         last_error = excluded.last_error, last_status = excluded.last_status, \
         events_delivered = excluded.events_delivered, bytes_delivered = excluded.bytes_delivered",
        &[
            &organization_id,
            &id,
            &(d.cursor as i64),
            &d.state.as_str(),
            &(d.generation as i64),
            &i64::from(d.attempts),
            &d.next_attempt_at.map(|m| m.0),
            &d.failing_since.map(|m| m.0),
            &d.last_success_at.map(|m| m.0),
            &d.last_error_at.map(|m| m.0),
            &d.last_error,
            &d.last_status.map(i64::from),
            &(d.events_delivered as i64),
            &(d.bytes_delivered as i64),
        ],
    )
    .await
    .map(drop)
    .map_err(db_error)
}

/// Writes `d` only if the stored generation is still `d.generation`.
pub(super) async fn record_delivery(
    client: &Client,
    organization_id: &str,
    id: &str,
    d: &StreamDelivery,
) -> Result<bool> {
    let updated = client
        .execute(
            "UPDATE stream_deliveries SET next_seq = $1, state = $2, attempts = $3, \
             next_attempt_at = $4, failing_since = $5, last_success_at = $6, last_error_at = $7, \
             last_error = $8, last_status = $9, events_delivered = $10, bytes_delivered = $11 \
             WHERE organization_id = $12 AND id = $13 AND generation = $14",
            &[
                &(d.cursor as i64),
                &d.state.as_str(),
                &i64::from(d.attempts),
                &d.next_attempt_at.map(|m| m.0),
                &d.failing_since.map(|m| m.0),
                &d.last_success_at.map(|m| m.0),
                &d.last_error_at.map(|m| m.0),
                &d.last_error,
                &d.last_status.map(i64::from),
                &(d.events_delivered as i64),
                &(d.bytes_delivered as i64),
                &organization_id,
                &id,
                &(d.generation as i64),
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(updated == 1)
}
