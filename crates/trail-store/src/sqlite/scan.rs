//! Events in seq order (`events_by_seq`: verification, streams, exports) read fast: one range
//! scan of the primary key, dictionary ids resolved from the readers' in-memory dictionary, and
//! `prev` carried over from the previous row instead of looked up per row.

use rusqlite::{Connection, params};
use trail_core::event::Event;

use super::read::Readers;
use super::rows::build_event;
use super::schema::internal;
use crate::Result;

/// The columns [`build_event`] reads, dictionary columns as ids.
const SCAN_COLUMNS: &str = "e.seq, e.occurred_at, e.received_delta, e.id, e.hash, e.action, \
    e.area, e.outcome, e.actor_type, e.source, e.actor_role, e.resource_type, e.country, \
    e.actor_id, e.actor_name, e.actor_email, e.resource_id, e.resource_name, e.ip, e.body";

pub(super) fn events_by_seq(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Event>> {
    let tx = conn.unchecked_transaction().map_err(internal)?;
    let org = readers.org_key(&tx, organization_id)?;
    let dict = readers.with_dict(&tx, org, <[String]>::to_vec)?;
    let [from, to] = [from, to].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut statement = tx
        .prepare_cached(&format!(
            "SELECT {SCAN_COLUMNS} FROM events e WHERE e.org = ? AND e.seq >= ? AND e.seq < ? \
             ORDER BY e.seq"
        ))
        .map_err(internal)?;
    let mut rows = statement.query(params![org, from, to]).map_err(internal)?;
    let mut events = Vec::new();
    // The hash of the row before the current one, and its seq.
    let mut previous: Option<(i64, Vec<u8>)> = None;
    while let Some(row) = rows.next().map_err(internal)? {
        let seq: i64 = row.get(0).map_err(internal)?;
        let prev = match previous.take() {
            Some((last, hash)) if last + 1 == seq => Some(hash),
            _ => hash_at(&tx, org, seq - 1)?,
        };
        let value = |column: usize| -> rusqlite::Result<Option<String>> {
            let id: Option<i64> = row.get(column)?;
            id.map(|id| {
                let known = usize::try_from(id).ok().and_then(|i| dict.get(i));
                known.cloned().ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        column,
                        rusqlite::types::Type::Integer,
                        format!("dictionary id {id} is unknown").into(),
                    )
                })
            })
            .transpose()
        };
        let event = build_event(row, organization_id, value, prev).map_err(internal)?;
        previous = Some((seq, row.get(4).map_err(internal)?));
        events.push(event);
    }
    Ok(events)
}

/// The stored hash of `seq` (or its retired leaf), if that event exists.
fn hash_at(conn: &Connection, org: i64, seq: i64) -> Result<Option<Vec<u8>>> {
    if seq < 0 {
        return Ok(None);
    }
    super::tree::leaf_hash(conn, org, seq)
}
