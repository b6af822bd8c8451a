//! The writer's side of `append`: each organization's head (next seq, last hash) and dictionary
//! cached in memory, idempotent client ids, and the inserts of one request.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use trail_core::event::NewEvent;
use trail_core::merkle::CompactRange;

use super::fts_rowid;
use super::prepare::PreparedEvent;
use super::rows::{EVENT_COLUMNS, read_event};
use super::schema::internal;
use super::tree;
use crate::{Appended, Result, StoreError};

/// What the writer remembers about one organization.
#[derive(Clone)]
struct OrgState {
    key: i64,
    next_seq: u64,
    last_hash: [u8; 32],
    dict: HashMap<String, i64>,
    /// The Merkle tree's frontier; completed nodes are stored as each event is inserted.
    tree: CompactRange,
}

/// The writer's caches; always equal to what is committed plus the open transaction's work.
#[derive(Default)]
pub(super) struct WriterState {
    orgs: HashMap<String, OrgState>,
}

const INSERT_EVENT: &str = "INSERT INTO events (org, seq, occurred_at, received_delta, id, hash, \
    action, area, outcome, actor_type, actor_id, source, actor_role, resource_type, country, \
    actor_name, actor_email, resource_id, resource_name, ip, body) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";

impl WriterState {
    /// Drops every cache (after a failed commit); they reload from the database on next use.
    pub fn forget(&mut self) {
        self.orgs.clear();
    }

    /// Appends one request's events; on error the caller rolls the savepoint back and the
    /// organization's cached state is restored here.
    pub fn append(
        &mut self,
        conn: &Connection,
        organization_id: &str,
        events: Vec<PreparedEvent>,
    ) -> Result<Vec<Appended>> {
        if !self.orgs.contains_key(organization_id) {
            let loaded = load_org(conn, organization_id)?;
            self.orgs.insert(organization_id.to_owned(), loaded);
        }
        let org = self.orgs.get_mut(organization_id).expect("just loaded");
        let saved = (
            org.next_seq,
            org.last_hash,
            org.dict.len(),
            org.tree.clone(),
        );
        let result = append_events(conn, org, organization_id, events);
        if result.is_err() {
            let (next_seq, last_hash, dict_len, tree) = saved;
            org.next_seq = next_seq;
            org.last_hash = last_hash;
            org.tree = tree;
            org.dict.retain(|_, id| *id < dict_len as i64);
        }
        result
    }
}

fn load_org(conn: &Connection, organization_id: &str) -> Result<OrgState> {
    let key: i64 = conn
        .prepare_cached("SELECT org FROM organizations WHERE id = ?")
        .and_then(|mut s| s.query_row([organization_id], |r| r.get(0)).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)?;
    let (next_seq, last_hash) = match tree::last_leaf(conn, key)? {
        Some((seq, hash)) => (
            seq + 1,
            hash.try_into()
                .map_err(|_| StoreError::Internal("stored hash is not 32 bytes".into()))?,
        ),
        None => (0, [0; 32]),
    };
    let mut statement = conn
        .prepare("SELECT value, id FROM dict WHERE org = ?")
        .map_err(internal)?;
    let dict = statement
        .query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect::<rusqlite::Result<HashMap<String, i64>>>())
        .map_err(internal)?;
    Ok(OrgState {
        key,
        next_seq,
        last_hash,
        dict,
        tree: tree::compact_range(conn, key, next_seq)?,
    })
}

fn append_events(
    conn: &Connection,
    org: &mut OrgState,
    organization_id: &str,
    events: Vec<PreparedEvent>,
) -> Result<Vec<Appended>> {
    let mut out: Vec<Appended> = Vec::with_capacity(events.len());
    // Client ids already handled in this request: id → (index in `out`, the write).
    let mut seen: HashMap<String, (usize, NewEvent)> = HashMap::new();
    let mut insert = conn.prepare_cached(INSERT_EVENT).map_err(internal)?;
    let mut insert_text = conn
        .prepare_cached("INSERT INTO events_fts (rowid, text) VALUES (?, ?)")
        .map_err(internal)?;
    let mut insert_target = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO event_targets (org, value, occurred_at, seq) VALUES (?, ?, ?, ?)",
        )
        .map_err(internal)?;
    for event in events {
        let new = &event.new;
        if new.client_id
            && let Some(original) = earlier_write(conn, org, organization_id, &event, &seen, &out)?
        {
            out.push(original);
            continue;
        }
        let data = &new.data;
        let seq = org.next_seq;
        let hash = event.canonical.leaf_hash(&org.last_hash, seq);
        let resource = data.resource.as_ref();
        let dict = [
            Some(data.action.as_str()),
            Some(data.area.as_str()),
            Some(data.outcome.as_str()),
            Some(data.actor.kind.as_str()),
            data.source.as_deref(),
            data.actor.role.as_deref(),
            resource.map(|r| r.kind.as_str()),
            data.country(),
        ]
        .map(|value| value.map(|v| dict_id(conn, org, v)).transpose());
        let [
            action,
            area,
            outcome,
            actor_type,
            source,
            role,
            resource_type,
            country,
        ] = dict;
        insert
            .execute(params![
                org.key,
                seq as i64,
                data.occurred_at.0,
                new.received_at.0 - data.occurred_at.0,
                event.id_key,
                &hash[..],
                action?,
                area?,
                outcome?,
                actor_type?,
                data.actor.id,
                source?,
                role?,
                resource_type?,
                country?,
                data.actor.name,
                data.actor.email,
                resource.and_then(|r| r.id.as_deref()),
                resource.and_then(|r| r.name.as_deref()),
                event.ip,
                event.body,
            ])
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::IdConflict {
                    id: data.id.clone(),
                },
                _ => internal(e),
            })?;
        insert_text
            .execute(params![fts_rowid(org.key, seq), event.text])
            .map_err(internal)?;
        for target in &event.targets {
            insert_target
                .execute(params![org.key, target, data.occurred_at.0, seq as i64])
                .map_err(internal)?;
        }
        tree::push_leaf(conn, org.key, &mut org.tree, hash)?;
        org.next_seq += 1;
        org.last_hash = hash;
        let appended = Appended {
            id: data.id.clone(),
            seq,
            hash: hex::encode(hash),
        };
        if new.client_id {
            seen.insert(data.id.clone(), (out.len(), event.new));
        }
        out.push(appended);
    }
    Ok(out)
}

/// For a client-chosen id: the original when this is a repeat of an earlier write (in this request
/// or stored), `IdConflict` when the id was used for a different body, `None` when it is new.
fn earlier_write(
    conn: &Connection,
    org: &OrgState,
    organization_id: &str,
    event: &PreparedEvent,
    seen: &HashMap<String, (usize, NewEvent)>,
    out: &[Appended],
) -> Result<Option<Appended>> {
    let new = &event.new;
    let conflict = || StoreError::IdConflict {
        id: new.data.id.clone(),
    };
    if let Some((index, earlier)) = seen.get(&new.data.id) {
        return match new.same_write_as(&earlier.data) {
            true => Ok(Some(out[*index].clone())),
            false => Err(conflict()),
        };
    }
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.org = ? AND e.id = ?");
    let stored = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![org.key, event.id_key], |row| {
                read_event(row, organization_id)
            })
            .optional()
        })
        .map_err(internal)?;
    match stored {
        None => Ok(None),
        Some(stored) if new.same_write_as(&stored.data) => Ok(Some(Appended {
            id: stored.data.id,
            seq: stored.seq,
            hash: stored.hash,
        })),
        Some(_) => Err(conflict()),
    }
}

fn dict_id(conn: &Connection, org: &mut OrgState, value: &str) -> Result<i64> {
    if let Some(id) = org.dict.get(value) {
        return Ok(*id);
    }
    let id = org.dict.len() as i64;
    conn.prepare_cached("INSERT INTO dict (org, id, value) VALUES (?, ?, ?)")
        .and_then(|mut s| s.execute(params![org.key, id, value]))
        .map_err(internal)?;
    org.dict.insert(value.to_owned(), id);
    Ok(id)
}
