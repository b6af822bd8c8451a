//! One group commit for one organization: lock the organization's head row, resolve client ids,
//! hash every new event after the locked head, insert them all with one multi-row statement,
//! push them onto the Merkle frontier stored in the head row and insert the nodes they complete,
//! move the head and the frontier, commit. The head row lock is what serialises appends across nodes: no node
//! trusts a head it remembers, each reads it under the lock.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;
use trail_core::event::{EVENT_FORMAT_VERSION, Event, EventData, NewEvent};

use super::columns::{EVENT_COLUMNS, EventRows, INSERT_EVENTS, Sealed, read_event};
use super::error::db_error;
use super::prepare::Prepared;
use super::tree::Growth;
use crate::{Appended, Result, StoreError};

const LOCK_HEAD: &str =
    "SELECT next_seq, last_hash, tree FROM org_heads WHERE organization_id = $1 FOR UPDATE";
const MOVE_HEAD: &str =
    "UPDATE org_heads SET next_seq = $2, last_hash = $3, tree = $4 WHERE organization_id = $1";

/// What one request of the group became, valid once the transaction commits.
pub(super) type Outcome = Result<Vec<Appended>>;

/// The organization's log head while the group is being sealed.
#[derive(Clone, Copy)]
struct Head {
    next_seq: u64,
    last_hash: [u8; 32],
}

/// A client id written earlier in this group: what it became and its body.
struct Written<'a> {
    appended: Appended,
    data: &'a EventData,
}

/// Runs the group's work in `tx` (which the caller commits) and returns each request's outcome
/// and the number of events inserted; an `Err` fails the whole group. A request that fails alone
/// (an id conflict) leaves no trace.
pub(super) async fn append_group(
    tx: &Transaction<'_>,
    organization_id: &str,
    requests: &[Vec<Prepared>],
) -> Result<(Vec<Outcome>, u64)> {
    let lock = tx.prepare_cached(LOCK_HEAD).await.map_err(db_error)?;
    let Some(row) = tx
        .query_opt(&lock, &[&organization_id])
        .await
        .map_err(db_error)?
    else {
        let outcomes = requests.iter().map(|_| Err(StoreError::NotFound)).collect();
        return Ok((outcomes, 0));
    };
    let next_seq: i64 = row.get(0);
    let last_hash: &[u8] = row.get(1);
    let mut head = Head {
        next_seq: next_seq as u64,
        last_hash: last_hash
            .try_into()
            .map_err(|_| StoreError::Internal("stored head hash is not 32 bytes".into()))?,
    };
    let mut tree = Growth::from_head(row.get(2))?;
    let caught_up = tree.catch_up(tx, organization_id, head.next_seq).await?;
    let stored = stored_events(tx, organization_id, requests).await?;
    let mut written: HashMap<&str, Written<'_>> = HashMap::new();
    let mut sealed: Vec<Sealed<'_>> = Vec::new();
    let mut outcomes = Vec::with_capacity(requests.len());
    for request in requests {
        let (saved_head, saved_len) = (head, sealed.len());
        let mut mine = HashMap::new();
        let outcome = seal_request(
            request,
            &mut head,
            &stored,
            &written,
            &mut mine,
            &mut sealed,
        );
        match outcome {
            Ok(_) => written.extend(mine),
            Err(_) => {
                head = saved_head;
                sealed.truncate(saved_len);
            }
        }
        outcomes.push(outcome);
    }
    if sealed.is_empty() && !caught_up {
        return Ok((outcomes, 0));
    }
    let mut rows = EventRows::default();
    for event in &sealed {
        rows.push(event);
        tree.push(event.hash);
    }
    let insert = tx.prepare_cached(INSERT_EVENTS).await.map_err(db_error)?;
    let version = i16::from(EVENT_FORMAT_VERSION);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&organization_id, &version];
    params.extend(rows.params());
    tx.execute(&insert, &params).await.map_err(db_error)?;
    tree.flush(tx, organization_id).await?;
    let move_head = tx.prepare_cached(MOVE_HEAD).await.map_err(db_error)?;
    let (next_seq, last_hash) = (head.next_seq as i64, &head.last_hash[..]);
    let frontier = tree.frontier();
    tx.execute(
        &move_head,
        &[&organization_id, &next_seq, &last_hash, &frontier],
    )
    .await
    .map_err(db_error)?;
    Ok((outcomes, rows.len() as u64))
}

/// The stored events whose ids the group's client ids name.
async fn stored_events(
    tx: &Transaction<'_>,
    organization_id: &str,
    requests: &[Vec<Prepared>],
) -> Result<HashMap<String, Event>> {
    let ids: HashSet<&str> = requests
        .iter()
        .flatten()
        .filter(|p| p.new.client_id)
        .map(|p| p.new.data.id.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = ids.into_iter().collect();
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.organization_id = $1 AND e.id = ANY($2)"
    );
    let statement = tx.prepare_cached(&sql).await.map_err(db_error)?;
    let rows = tx
        .query(&statement, &[&organization_id, &ids])
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| read_event(row, organization_id).map(|e| (e.data.id.clone(), e)))
        .collect()
}

/// Seals one request's new events onto `sealed` after `head`; client ids seen before (in this
/// request, earlier in the group, or stored) answer with the original or fail the request.
fn seal_request<'a>(
    request: &'a [Prepared],
    head: &mut Head,
    stored: &'a HashMap<String, Event>,
    written: &HashMap<&'a str, Written<'a>>,
    mine: &mut HashMap<&'a str, Written<'a>>,
    sealed: &mut Vec<Sealed<'a>>,
) -> Outcome {
    let mut out = Vec::with_capacity(request.len());
    for prepared in request {
        let new = &prepared.new;
        if new.client_id
            && let Some(original) = earlier_write(new, stored, written, mine)?
        {
            out.push(original);
            continue;
        }
        let (seq, prev) = (head.next_seq, head.last_hash);
        let hash = prepared.leaf_hash(&prev, seq);
        let appended = Appended {
            id: new.data.id.clone(),
            seq,
            hash: hex::encode(hash),
        };
        head.next_seq += 1;
        head.last_hash = hash;
        if new.client_id {
            let written = Written {
                appended: appended.clone(),
                data: &new.data,
            };
            mine.insert(new.data.id.as_str(), written);
        }
        sealed.push(Sealed {
            prepared,
            seq,
            prev,
            hash,
        });
        out.push(appended);
    }
    Ok(out)
}

/// For a client-chosen id: the original when this repeats an earlier write, `IdConflict` when the
/// id was used for a different body, `None` when it is new.
fn earlier_write(
    new: &NewEvent,
    stored: &HashMap<String, Event>,
    written: &HashMap<&str, Written<'_>>,
    mine: &HashMap<&str, Written<'_>>,
) -> Result<Option<Appended>> {
    let id = new.data.id.as_str();
    let (original, data) = if let Some(w) = mine.get(id).or_else(|| written.get(id)) {
        (w.appended.clone(), w.data)
    } else if let Some(event) = stored.get(id) {
        let appended = Appended {
            id: event.data.id.clone(),
            seq: event.seq,
            hash: event.hash.clone(),
        };
        (appended, &event.data)
    } else {
        return Ok(None);
    };
    match new.same_write_as(data) {
        true => Ok(Some(original)),
        false => Err(StoreError::IdConflict { id: id.to_owned() }),
    }
}
