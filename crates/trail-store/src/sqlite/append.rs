//! The writer's side of `append`: each organization's head (next seq, last hash, Merkle frontier)
//! cached in memory, idempotent client ids, and the events of the open group commit, which
//! [`WriterState::flush`] writes as blocks and one tier-0 run of postings just before COMMIT.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};
use trail_core::canonical::CanonicalParts;
use trail_core::event::NewEvent;
use trail_core::merkle::CompactRange;

use super::block::{self, BLOCK_EVENTS, BlockEvent};
use super::events::KnownRuns;
use super::prepare::PreparedBatch;
use super::runs::{self, Directories, PendingPostings};
use super::schema::internal;
use super::tree;
use crate::{Appended, Result, StoreError};

/// An event of the open group, not yet in a block.
struct Pending {
    new: NewEvent,
    canonical: CanonicalParts,
    hash: [u8; 32],
    /// The block starting at this event, compressed while its request was prepared: how many
    /// events it holds, and its bytes.
    block: Option<(usize, Vec<u8>)>,
}

/// What the writer remembers about one organization.
struct OrgState {
    key: i64,
    next_seq: u64,
    last_hash: [u8; 32],
    /// The Merkle tree's frontier; completed nodes are stored as each event is appended.
    tree: CompactRange,
    /// The open group's events, from seq `next_seq - pending.len()`.
    pending: Vec<Pending>,
    postings: PendingPostings,
    /// Client-chosen ids among `pending`, with their index there.
    pending_ids: HashMap<String, usize>,
}

impl OrgState {
    fn first_pending_seq(&self) -> u64 {
        self.next_seq - self.pending.len() as u64
    }
}

/// The writer's caches; always equal to what is committed plus the open transaction's work.
pub(super) struct WriterState {
    orgs: HashMap<String, OrgState>,
    pub directories: Arc<Directories>,
    /// A savepoint of the open group could not be released: the group must not commit.
    pub poisoned: bool,
}

impl WriterState {
    pub fn new(directories: Arc<Directories>) -> WriterState {
        WriterState {
            orgs: HashMap::new(),
            directories,
            poisoned: false,
        }
    }

    /// Drops every cache (after a failed commit); they reload from the database on next use.
    pub fn forget(&mut self) {
        self.orgs.clear();
        self.poisoned = false;
    }

    /// Appends one request's events; on error the caller rolls the savepoint back and the
    /// organization's cached state is restored here.
    pub fn append(
        &mut self,
        conn: &Connection,
        organization_id: &str,
        batch: PreparedBatch,
    ) -> Result<Vec<Appended>> {
        if !self.orgs.contains_key(organization_id) {
            let loaded = load_org(conn, organization_id)?;
            self.orgs.insert(organization_id.to_owned(), loaded);
        }
        let org = self.orgs.get_mut(organization_id).expect("just loaded");
        let saved = (
            org.next_seq,
            org.last_hash,
            org.tree.clone(),
            org.pending.len(),
            org.postings.len(),
        );
        let result = append_events(conn, &self.directories, org, batch);
        if result.is_err() {
            let (next_seq, last_hash, tree, pending, postings) = saved;
            org.next_seq = next_seq;
            org.last_hash = last_hash;
            org.tree = tree;
            org.pending.truncate(pending);
            org.postings.truncate(postings);
            org.pending_ids.retain(|_, at| *at < pending);
        }
        result
    }

    /// Writes every organization's pending events as blocks and one run: the last step of a
    /// group commit, inside its transaction. Returns the organizations written to. A request's
    /// blocks compressed while it was prepared are written as they are; the other events (small
    /// requests, or a request that repeated a client id) are cut into blocks here.
    pub fn flush(&mut self, conn: &Connection) -> Result<Vec<i64>> {
        let mut written = Vec::new();
        for org in self.orgs.values_mut() {
            if org.pending.is_empty() {
                continue;
            }
            let first_seq = org.first_pending_seq();
            let mut pending = std::mem::take(&mut org.pending);
            org.pending_ids.clear();
            let (mut min_time, mut max_time) = (i64::MAX, i64::MIN);
            for p in &pending {
                min_time = min_time.min(p.new.data.occurred_at.0);
                max_time = max_time.max(p.new.data.occurred_at.0);
            }
            let mut loose_from: Option<usize> = None;
            let mut at = 0;
            while at < pending.len() {
                let Some((count, compressed)) = pending[at].block.take() else {
                    loose_from.get_or_insert(at);
                    at += 1;
                    continue;
                };
                if let Some(from) = loose_from.take() {
                    write_blocks(conn, org.key, first_seq + from as u64, &pending[from..at])?;
                }
                let end = (at + count).min(pending.len());
                let events = block_events(&pending[at..end]);
                block::insert_compressed(
                    conn,
                    org.key,
                    first_seq + at as u64,
                    &events,
                    &compressed,
                )?;
                at = end;
            }
            if let Some(from) = loose_from {
                write_blocks(conn, org.key, first_seq + from as u64, &pending[from..])?;
            }
            org.postings.write(
                conn,
                org.key,
                (first_seq, org.next_seq),
                (min_time, max_time),
            )?;
            written.push(org.key);
        }
        Ok(written)
    }

    /// Merges one tier of `org`'s runs when 16 have gathered; returns whether it did.
    pub fn merge_once(&self, conn: &Connection, org: i64) -> Result<bool> {
        let listed = runs::list(conn, org)?;
        match runs::due_merge(&listed) {
            Some((inputs, tier)) => {
                runs::merge(conn, &self.directories, org, &inputs, tier)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn block_events(pending: &[Pending]) -> Vec<BlockEvent<'_>> {
    pending
        .iter()
        .map(|p| {
            let (bytes, prev_at, seq_at) = p.canonical.parts();
            BlockEvent {
                bytes,
                prev_at,
                seq_at,
                hash: p.hash,
                occurred_at: p.new.data.occurred_at.0,
            }
        })
        .collect()
}

/// Writes `pending`, the consecutive events from `first_seq`, as blocks compressed here.
fn write_blocks(conn: &Connection, org: i64, first_seq: u64, pending: &[Pending]) -> Result<()> {
    for (n, chunk) in pending.chunks(BLOCK_EVENTS).enumerate() {
        let at = first_seq + (n * BLOCK_EVENTS) as u64;
        block::insert(conn, org, at, &block_events(chunk))?;
    }
    Ok(())
}

fn load_org(conn: &Connection, organization_id: &str) -> Result<OrgState> {
    let key: i64 = conn
        .prepare_cached("SELECT org FROM organizations WHERE id = ?")
        .and_then(|mut s| s.query_row([organization_id], |r| r.get(0)).optional())
        .map_err(internal)?
        .ok_or(StoreError::NotFound)?;
    let (next_seq, last_hash) = match tree::last_leaf(conn, key)? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (0, [0; 32]),
    };
    Ok(OrgState {
        key,
        next_seq,
        last_hash,
        tree: tree::compact_range(conn, key, next_seq)?,
        pending: Vec::new(),
        postings: PendingPostings::default(),
        pending_ids: HashMap::new(),
    })
}

fn append_events(
    conn: &Connection,
    directories: &Directories,
    org: &mut OrgState,
    batch: PreparedBatch,
) -> Result<Vec<Appended>> {
    let first_pending = org.pending.len();
    let mut blocks = batch.blocks;
    let mut out: Vec<Appended> = Vec::with_capacity(batch.events.len());
    // Where each event of the request went: its seq, or `None` for a repeat.
    let mut seqs: Vec<Option<u32>> = Vec::with_capacity(batch.events.len());
    // Client ids already handled in this request: id → index in `out`.
    let mut seen: HashMap<String, usize> = HashMap::new();
    // The stored runs, read at the first client id that is not in this group.
    let mut known: Option<KnownRuns> = None;
    for event in batch.events {
        let new = &event.new;
        if new.client_id
            && let Some(original) =
                earlier_write(conn, directories, org, &mut known, new, &seen, &out)?
        {
            out.push(original);
            seqs.push(None);
            continue;
        }
        let seq = org.next_seq;
        let seq32 = u32::try_from(seq)
            .map_err(|_| StoreError::Internal("an organization's log is full".into()))?;
        let hash = event.canonical.leaf_hash(&org.last_hash, seq);
        tree::push_leaf(conn, org.key, &mut org.tree, hash)?;
        org.next_seq += 1;
        org.last_hash = hash;
        if new.client_id {
            seen.insert(new.data.id.clone(), out.len());
            org.pending_ids
                .insert(new.data.id.clone(), org.pending.len());
        }
        out.push(Appended {
            id: new.data.id.clone(),
            seq,
            hash: hex::encode(hash),
        });
        seqs.push(Some(seq32));
        org.pending.push(Pending {
            new: event.new,
            canonical: event.canonical,
            hash,
            block: None,
        });
    }
    // The request's own blocks hold its events as they were sent: usable when none was a repeat.
    if seqs.iter().all(Option::is_some) {
        let appended = org.pending.len() - first_pending;
        for (n, compressed) in blocks.drain(..).enumerate() {
            let at = n * BLOCK_EVENTS;
            let count = BLOCK_EVENTS.min(appended.saturating_sub(at));
            if count > 0 {
                org.pending[first_pending + at].block = Some((count, compressed));
            }
        }
    }
    for (term, positions) in batch.postings {
        let shifted: Vec<u32> = positions
            .iter()
            .filter_map(|&at| seqs[at as usize])
            .collect();
        if !shifted.is_empty() {
            org.postings.push(term, shifted);
        }
    }
    Ok(out)
}

/// For a client-chosen id: the original when this is a repeat of an earlier write (in this request,
/// this group or stored), `IdConflict` when the id was used for a different body, `None` when new.
fn earlier_write(
    conn: &Connection,
    directories: &Directories,
    org: &OrgState,
    known: &mut Option<KnownRuns>,
    new: &NewEvent,
    seen: &HashMap<String, usize>,
    out: &[Appended],
) -> Result<Option<Appended>> {
    let conflict = || StoreError::IdConflict {
        id: new.data.id.clone(),
    };
    if let Some(&at) = org.pending_ids.get(&new.data.id) {
        let earlier = &org.pending[at];
        if !new.same_write_as(&earlier.new.data) {
            return Err(conflict());
        }
        return Ok(Some(match seen.get(&new.data.id) {
            Some(&index) => out[index].clone(),
            None => Appended {
                id: earlier.new.data.id.clone(),
                seq: org.first_pending_seq() + at as u64,
                hash: hex::encode(earlier.hash),
            },
        }));
    }
    if known.is_none() {
        *known = Some(KnownRuns::read(conn, org.key)?);
    }
    let known = known.as_ref().expect("just read");
    let stored = known.find(conn, directories, org.key, &new.data.id)?;
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
