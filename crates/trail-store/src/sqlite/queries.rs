//! The event queries of storage engine v2, each run on a reader connection inside one read
//! transaction (one snapshot): the planner ([`plan::evaluate`]) over the runs overlapping the
//! search's time range gives candidate seqs, the blocks' time columns make the range exact, and
//! candidates the index cannot decide alone are checked with [`plan::matches`] on the decoded event.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use roaring::RoaringBitmap;
use rusqlite::Connection;
use trail_core::Millis;
use trail_core::event::{Event, GENESIS_PREV};
use trail_core::query::{Field, Order, Search, SortKey};

use super::block::{Block, BlockMeta};
use super::events::{self, from_block};
use super::read::Readers;
use super::retention::first_retained;
use super::runs::{self, RunInfo, RunPostings};
use super::schema::internal;
use crate::plan::{self, string_field};
use crate::{ActionStats, CheckedLeaf, FacetValue, LogHead, Page, Result, StoreError};

/// What a search selects before its order and page: candidate seqs, whether they are exactly the
/// filter's matches, and the blocks overlapping its time range.
struct Selection {
    candidates: RoaringBitmap,
    exact: bool,
    /// The runs overlapping the time range, with what the planner read them with.
    runs: Vec<RunInfo>,
    retained_from: u64,
    /// The blocks overlapping the time range, in seq order.
    blocks: Vec<BlockMeta>,
    from: i64,
    to: i64,
}

impl Selection {
    fn new(conn: &Connection, readers: &Readers, org: i64, search: &Search) -> Result<Selection> {
        let (from, to) = (
            search.from.map_or(i64::MIN, |m| m.0),
            search.to.map_or(i64::MAX, |m| m.0),
        );
        let retained_from = first_retained(conn, org)?;
        let mut candidates = RoaringBitmap::new();
        let mut exact = true;
        let mut overlapping = Vec::new();
        for run in runs::list(conn, org)? {
            if run.end_seq <= retained_from || run.max_time < from || run.min_time >= to {
                continue;
            }
            overlapping.push(run);
            let postings = RunPostings::new(conn, &readers.directories, org, run, retained_from)?;
            let found = plan::evaluate(&search.filter, &postings);
            if let Some(e) = postings.error() {
                return Err(e);
            }
            candidates |= found.positions;
            exact &= found.exact;
        }
        let blocks = readers
            .blocks
            .get(conn, org, retained_from)?
            .overlapping(from, to);
        Ok(Selection {
            candidates,
            exact,
            runs: overlapping,
            retained_from,
            blocks,
            from,
            to,
        })
    }

    /// The selected seqs when the candidates are exact: those in blocks inside the time range
    /// (one intersection with their seq ranges), and those of the blocks on its edges whose time
    /// is in it.
    fn exact_positions(
        &self,
        conn: &Connection,
        readers: &Readers,
        org: i64,
    ) -> Result<RoaringBitmap> {
        let mut inside = RoaringBitmap::new();
        let mut edges = Vec::new();
        let mut span: Option<(u64, u64)> = None;
        for meta in &self.blocks {
            if !self.inside(meta) {
                edges.push(*meta);
                continue;
            }
            span = match span {
                Some((first, end)) if end == meta.first_seq => Some((first, meta.end_seq())),
                Some((first, end)) => {
                    inside.insert_range(first as u32..end as u32);
                    Some((meta.first_seq, meta.end_seq()))
                }
                None => Some((meta.first_seq, meta.end_seq())),
            };
        }
        if let Some((first, end)) = span {
            inside.insert_range(first as u32..end as u32);
        }
        let mut out = inside & &self.candidates;
        for meta in &edges {
            let mut positions = self.in_block(meta).peekable();
            if positions.peek().is_none() {
                continue;
            }
            let times = readers.blocks.times(conn, org, meta)?;
            let first = meta.first_seq;
            out.extend(
                positions.filter(|&seq| self.in_range(times[(u64::from(seq) - first) as usize])),
            );
        }
        Ok(out)
    }

    fn postings<'c>(
        &self,
        conn: &'c Connection,
        readers: &'c Readers,
        org: i64,
        run: RunInfo,
    ) -> Result<RunPostings<'c>> {
        RunPostings::new(conn, &readers.directories, org, run, self.retained_from)
    }

    /// The candidates held by the block `meta`, in seq order.
    fn in_block(&self, meta: &BlockMeta) -> roaring::bitmap::Iter<'_> {
        self.candidates
            .range(meta.first_seq as u32..meta.end_seq() as u32)
    }

    fn inside(&self, meta: &BlockMeta) -> bool {
        meta.min_time >= self.from && meta.max_time < self.to
    }

    fn in_range(&self, time: i64) -> bool {
        time >= self.from && time < self.to
    }

    /// Calls `each` with every selected event of `meta`'s block, decoded, in seq order.
    fn each_event(
        &self,
        conn: &Connection,
        readers: &Readers,
        org: i64,
        search: &Search,
        meta: &BlockMeta,
        mut each: impl FnMut(Event),
    ) -> Result<()> {
        let mut positions = self.in_block(meta).peekable();
        if positions.peek().is_none() {
            return Ok(());
        }
        let block = readers.blocks.block(conn, org, meta)?;
        for seq in positions {
            let index = (u64::from(seq) - meta.first_seq) as usize;
            if !self.in_range(block.times[index]) {
                continue;
            }
            let event = from_block(conn, org, &block, index)?;
            if self.exact || plan::matches(&search.filter, &event) {
                each(event);
            }
        }
        Ok(())
    }
}

fn org_and_tx<'c>(
    readers: &Readers,
    conn: &'c Connection,
    organization_id: &str,
) -> Result<(i64, rusqlite::Transaction<'c>)> {
    let tx = conn.unchecked_transaction().map_err(internal)?;
    let org = readers.org_key(&tx, organization_id)?;
    Ok((org, tx))
}

/// A position in the page order: `(occurred_at, seq)`, or `(0, seq)` when sorting by seq.
type Key = (i64, u64);

pub(super) fn search(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    search: &Search,
) -> Result<Page> {
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    let conn = &*tx;
    let selection = Selection::new(conn, readers, org, search)?;
    let wanted = search.limit.max(1) + 1;
    let by_time = search.sort == SortKey::OccurredAt;
    let desc = search.order == Order::Desc;
    // `a` comes before `b` in the page order.
    let before = |a: &Key, b: &Key| if desc { a > b } else { a < b };
    let cursor: Option<Key> = search.cursor.map(|c| match by_time {
        true => (c.occurred_at.0, c.seq),
        false => (0, c.seq),
    });
    // The best key a block can hold.
    let bound = |m: &BlockMeta| -> Key {
        match (by_time, desc) {
            (true, true) => (m.max_time, m.end_seq() - 1),
            (true, false) => (m.min_time, m.first_seq),
            (false, true) => (0, m.end_seq() - 1),
            (false, false) => (0, m.first_seq),
        }
    };
    // The worst key a block can hold.
    let worst = |m: &BlockMeta| -> Key {
        match (by_time, desc) {
            (true, true) => (m.min_time, m.first_seq),
            (true, false) => (m.max_time, m.end_seq() - 1),
            (false, true) => (0, m.first_seq),
            (false, false) => (0, m.end_seq() - 1),
        }
    };
    let mut blocks = selection.blocks.clone();
    blocks.sort_by(|a, b| {
        let (a, b) = (bound(a), bound(b));
        if desc { b.cmp(&a) } else { a.cmp(&b) }
    });
    let mut found: Vec<(Key, Option<Event>)> = Vec::new();
    for meta in &blocks {
        if found.len() >= wanted && !before(&bound(meta), &found[wanted - 1].0) {
            break;
        }
        if let Some(cursor) = cursor
            && !before(&cursor, &worst(meta))
        {
            continue;
        }
        let mut positions = selection.in_block(meta).peekable();
        if positions.peek().is_none() {
            continue;
        }
        let decoded = match selection.exact {
            true => None,
            false => Some(readers.blocks.block(conn, org, meta)?),
        };
        let times = match &decoded {
            Some(block) => Arc::new(block.times.clone()),
            None => readers.blocks.times(conn, org, meta)?,
        };
        for seq in positions {
            let seq = u64::from(seq);
            let index = (seq - meta.first_seq) as usize;
            let time = times[index];
            if !selection.in_range(time) {
                continue;
            }
            let key = if by_time { (time, seq) } else { (0, seq) };
            if cursor.is_some_and(|c| !before(&c, &key)) {
                continue;
            }
            let event = match &decoded {
                Some(block) => {
                    let event = from_block(conn, org, block, index)?;
                    if !plan::matches(&search.filter, &event) {
                        continue;
                    }
                    Some(event)
                }
                None => None,
            };
            found.push((key, event));
        }
        found.sort_by(|a, b| if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
        found.truncate(wanted);
    }
    let mut events = Vec::with_capacity(found.len());
    let mut blocks: HashMap<u64, Arc<Block>> = HashMap::new();
    for ((_, seq), event) in found {
        let event = match event {
            Some(event) => event,
            None => {
                let at = selection.blocks.partition_point(|m| m.end_seq() <= seq);
                let meta = selection
                    .blocks
                    .get(at)
                    .filter(|m| m.first_seq <= seq)
                    .copied()
                    .ok_or_else(|| StoreError::Internal(format!("no block holds seq {seq}")))?;
                let block = match blocks.entry(meta.first_seq) {
                    std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(readers.blocks.block(conn, org, &meta)?)
                    }
                };
                from_block(conn, org, block, (seq - meta.first_seq) as usize)?
            }
        };
        events.push(event);
    }
    Ok(Page::from_overfetch(events, search.limit))
}

pub(super) fn count(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    search: &Search,
) -> Result<u64> {
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    let conn = &*tx;
    let selection = Selection::new(conn, readers, org, search)?;
    if selection.exact {
        return Ok(selection.exact_positions(conn, readers, org)?.len());
    }
    let mut total = 0u64;
    for meta in &selection.blocks {
        selection.each_event(conn, readers, org, search, meta, |_| total += 1)?;
    }
    Ok(total)
}

pub(super) fn facets(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    search: &Search,
    field: &Field,
    limit: usize,
) -> Result<Vec<FacetValue>> {
    let Some(name) = plan::facetable(field) else {
        return Err(StoreError::Internal(format!(
            "`{}` cannot be faceted",
            field.name()
        )));
    };
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    let conn = &*tx;
    let selection = Selection::new(conn, readers, org, search)?;
    let counts = match selection.exact {
        true => facet_counts(conn, readers, org, &selection, name)?,
        false => {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for meta in &selection.blocks {
                selection.each_event(conn, readers, org, search, meta, |event| {
                    if let Some(value) = string_field(field, &event.data) {
                        *counts.entry(value.to_owned()).or_default() += 1;
                    }
                })?;
            }
            counts
        }
    };
    let mut facets: Vec<FacetValue> = counts
        .into_iter()
        .map(|(value, count)| FacetValue { value, count })
        .collect();
    facets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    facets.truncate(limit);
    Ok(facets)
}

/// Facet counts from the index alone: the cardinality of each value term of the field within the
/// selection. Terms are lower-cased; a value sent in another case also has its `case.` term, whose
/// count is moved from the lower-cased value to that spelling.
fn facet_counts(
    conn: &Connection,
    readers: &Readers,
    org: i64,
    selection: &Selection,
    name: &str,
) -> Result<BTreeMap<String, u64>> {
    let positions = selection.exact_positions(conn, readers, org)?;
    let mut lowered: BTreeMap<String, u64> = BTreeMap::new();
    let mut cased: BTreeMap<String, u64> = BTreeMap::new();
    for run in &selection.runs {
        let postings = selection.postings(conn, readers, org, *run)?;
        for (counts, prefix) in [
            (&mut lowered, format!("{name}=")),
            (&mut cased, format!("{}{name}=", plan::CASED)),
        ] {
            postings.each_with_prefix(&prefix, &mut |value, bitmap| {
                let n = bitmap.intersection_len(&positions);
                if n > 0 {
                    *counts.entry(value.to_owned()).or_default() += n;
                }
            })?;
        }
    }
    for (value, n) in &cased {
        if let Some(total) = lowered.get_mut(&value.to_ascii_lowercase()) {
            *total = total.saturating_sub(*n);
        }
    }
    lowered.retain(|_, n| *n > 0);
    lowered.extend(cased);
    Ok(lowered)
}

pub(super) fn get_event(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    id: &str,
) -> Result<Event> {
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    events::find_by_id(&tx, &readers.directories, org, id)?.ok_or(StoreError::NotFound)
}

pub(super) fn head(readers: &Readers, conn: &Connection, organization_id: &str) -> Result<LogHead> {
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    Ok(match super::tree::last_leaf(&tx, org)? {
        Some((seq, hash)) => LogHead {
            size: seq + 1,
            last_hash: hex::encode(hash),
        },
        None => LogHead {
            size: 0,
            last_hash: GENESIS_PREV.to_owned(),
        },
    })
}

pub(super) fn events_by_seq(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Event>> {
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    events::by_seq(&tx, org, from, to)
}

pub(super) fn leaves_by_seq(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<CheckedLeaf>> {
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    events::leaves(&tx, org, from, to)
}

/// Every action with its count and first and last `occurred_at`: the `action=` terms of every
/// run, and the blocks' time columns.
pub(super) fn action_stats(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
) -> Result<Vec<ActionStats>> {
    let (org, tx) = org_and_tx(readers, conn, organization_id)?;
    let conn = &*tx;
    let retained_from = first_retained(conn, org)?;
    let mut actions: BTreeMap<String, RoaringBitmap> = BTreeMap::new();
    for run in runs::list(conn, org)? {
        if run.end_seq <= retained_from {
            continue;
        }
        let postings = RunPostings::new(conn, &readers.directories, org, run, retained_from)?;
        for (value, positions) in postings.entries_with_prefix("action=")? {
            *actions.entry(value).or_default() |= positions;
        }
    }
    let mut times: HashMap<u64, Arc<Vec<i64>>> = HashMap::new();
    let directory = readers.blocks.get(conn, org, retained_from)?;
    let metas = &directory.metas;
    let mut out = Vec::with_capacity(actions.len());
    for (action, positions) in actions {
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        for seq in &positions {
            let seq = u64::from(seq);
            let at = metas.partition_point(|m| m.end_seq() <= seq);
            let Some(meta) = metas.get(at).filter(|m| m.first_seq <= seq) else {
                continue;
            };
            let block_times = match times.entry(meta.first_seq) {
                std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(readers.blocks.times(conn, org, meta)?)
                }
            };
            let time = block_times[(seq - meta.first_seq) as usize];
            first = first.min(time);
            last = last.max(time);
        }
        if positions.is_empty() || first > last {
            continue;
        }
        out.push(ActionStats {
            action,
            count: positions.len(),
            first_seen: Millis(first),
            last_seen: Millis(last),
        });
    }
    Ok(out)
}
