//! SIEM streams: the statements behind the streams part of the `Store` trait and the stream
//! changes of `apply_audited` (writes on the writer's connection, reads on a reader's).

use rusqlite::{Connection, OptionalExtension, Row, params};
use trail_core::Millis;

use super::schema::internal;
use super::views::org_key;
use crate::{Result, StoreError, Stream, StreamControl, StreamDelivery, StreamRecord, StreamState};

const TAKEN: &str = "a stream with this name already exists";

const COLUMNS: &str = "SELECT o.id, s.id, s.name, s.kind, s.format, s.url, s.filter, s.settings, \
    s.secrets, s.created_at, s.updated_at, d.next_seq, d.state, d.generation, d.attempts, \
    d.next_attempt_at, d.failing_since, d.last_success_at, d.last_error_at, d.last_error, \
    d.last_status, d.events_delivered, d.bytes_delivered \
    FROM streams s JOIN stream_deliveries d ON d.org = s.org AND d.id = s.id \
    JOIN organizations o ON o.org = s.org";

fn read(row: &Row<'_>) -> rusqlite::Result<StreamRecord> {
    let json = |i| {
        row.get::<_, String>(i)
            .map(|text| serde_json::from_str(&text).unwrap_or_default())
    };
    let millis = |i| row.get::<_, Option<i64>>(i).map(|m| m.map(Millis));
    Ok(StreamRecord {
        stream: Stream {
            organization_id: row.get(0)?,
            id: row.get(1)?,
            name: row.get(2)?,
            kind: row.get(3)?,
            format: row.get(4)?,
            url: row.get(5)?,
            filter: row.get(6)?,
            settings: json(7)?,
            secrets: json(8)?,
            created_at: Millis(row.get(9)?),
            updated_at: Millis(row.get(10)?),
        },
        delivery: StreamDelivery {
            cursor: row.get::<_, i64>(11)? as u64,
            state: StreamState::parse(&row.get::<_, String>(12)?).unwrap_or(StreamState::Error),
            generation: row.get::<_, i64>(13)? as u64,
            attempts: row.get::<_, i64>(14)? as u32,
            next_attempt_at: millis(15)?,
            failing_since: millis(16)?,
            last_success_at: millis(17)?,
            last_error_at: millis(18)?,
            last_error: row.get(19)?,
            last_status: row.get::<_, Option<i64>>(20)?.map(|s| s as u16),
            events_delivered: row.get::<_, i64>(21)? as u64,
            bytes_delivered: row.get::<_, i64>(22)? as u64,
        },
    })
}

pub(super) fn get_stream(
    conn: &Connection,
    organization_id: &str,
    id: &str,
) -> Result<StreamRecord> {
    conn.prepare_cached(&format!("{COLUMNS} WHERE o.id = ? AND s.id = ?"))
        .and_then(|mut s| s.query_row(params![organization_id, id], read).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn list_streams(conn: &Connection, organization_id: &str) -> Result<Vec<StreamRecord>> {
    let org = org_key(conn, organization_id)?;
    let mut statement = conn
        .prepare_cached(&format!("{COLUMNS} WHERE s.org = ? ORDER BY s.name, s.id"))
        .map_err(internal)?;
    let rows = statement.query_map([org], read).map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

pub(super) fn all_streams(conn: &Connection) -> Result<Vec<StreamRecord>> {
    let mut statement = conn
        .prepare_cached(&format!("{COLUMNS} ORDER BY s.org, s.id"))
        .map_err(internal)?;
    let rows = statement.query_map([], read).map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

fn taken_or_internal(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(TAKEN.into()),
        _ => internal(e),
    }
}

pub(super) fn create_stream(
    conn: &Connection,
    stream: &Stream,
    cursor: u64,
) -> Result<StreamRecord> {
    let org = org_key(conn, &stream.organization_id)?;
    conn.execute(
        "INSERT INTO streams (org, id, name, kind, format, url, filter, settings, secrets, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            org,
            stream.id,
            stream.name,
            stream.kind,
            stream.format,
            stream.url,
            stream.filter,
            stream.settings.to_string(),
            stream.secrets.to_string(),
            stream.created_at.0,
            stream.updated_at.0
        ],
    )
    .map_err(taken_or_internal)?;
    let delivery = StreamDelivery::starting_at(cursor);
    write_delivery(conn, org, &stream.id, &delivery)?;
    Ok(StreamRecord {
        stream: stream.clone(),
        delivery,
    })
}

pub(super) fn update_stream(conn: &Connection, stream: &Stream) -> Result<StreamRecord> {
    let org = org_key(conn, &stream.organization_id)?;
    let updated = conn
        .execute(
            "UPDATE streams SET name = ?, kind = ?, format = ?, url = ?, filter = ?, settings = ?, \
             secrets = ?, updated_at = ? WHERE org = ? AND id = ?",
            params![
                stream.name,
                stream.kind,
                stream.format,
                stream.url,
                stream.filter,
                stream.settings.to_string(),
                stream.secrets.to_string(),
                stream.updated_at.0,
                org,
                stream.id
            ],
        )
        .map_err(taken_or_internal)?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    get_stream(conn, &stream.organization_id, &stream.id)
}

pub(super) fn control_stream(
    conn: &Connection,
    organization_id: &str,
    id: &str,
    control: StreamControl,
) -> Result<StreamRecord> {
    let mut record = get_stream(conn, organization_id, id)?;
    record.delivery.control(control);
    let org = org_key(conn, organization_id)?;
    write_delivery(conn, org, id, &record.delivery)?;
    Ok(record)
}

pub(super) fn delete_stream(conn: &Connection, organization_id: &str, id: &str) -> Result<()> {
    let org = org_key(conn, organization_id)?;
    let deleted = conn
        .execute(
            "DELETE FROM streams WHERE org = ? AND id = ?",
            params![org, id],
        )
        .map_err(internal)?;
    conn.execute(
        "DELETE FROM stream_deliveries WHERE org = ? AND id = ?",
        params![org, id],
    )
    .map_err(internal)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn write_delivery(conn: &Connection, org: i64, id: &str, d: &StreamDelivery) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO stream_deliveries (org, id, next_seq, state, generation, attempts, \
         next_attempt_at, failing_since, last_success_at, last_error_at, last_error, last_status, \
         events_delivered, bytes_delivered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            org,
            id,
            d.cursor as i64,
            d.state.as_str(),
            d.generation as i64,
            d.attempts,
            d.next_attempt_at.map(|m| m.0),
            d.failing_since.map(|m| m.0),
            d.last_success_at.map(|m| m.0),
            d.last_error_at.map(|m| m.0),
            d.last_error,
            d.last_status,
            d.events_delivered as i64,
            d.bytes_delivered as i64
        ],
    )
    .map(drop)
    .map_err(internal)
}

/// Writes `d` only if the stored generation is still `d.generation`.
pub(super) fn record_delivery(
    conn: &Connection,
    organization_id: &str,
    id: &str,
    d: &StreamDelivery,
) -> Result<bool> {
    let org = org_key(conn, organization_id)?;
    let updated = conn
        .execute(
            "UPDATE stream_deliveries SET next_seq = ?, state = ?, attempts = ?, \
             next_attempt_at = ?, failing_since = ?, last_success_at = ?, last_error_at = ?, \
             last_error = ?, last_status = ?, events_delivered = ?, bytes_delivered = ? \
             WHERE org = ? AND id = ? AND generation = ?",
            params![
                d.cursor as i64,
                d.state.as_str(),
                d.attempts,
                d.next_attempt_at.map(|m| m.0),
                d.failing_since.map(|m| m.0),
                d.last_success_at.map(|m| m.0),
                d.last_error_at.map(|m| m.0),
                d.last_error,
                d.last_status,
                d.events_delivered as i64,
                d.bytes_delivered as i64,
                org,
                id,
                d.generation as i64
            ],
        )
        .map_err(internal)?;
    Ok(updated == 1)
}
