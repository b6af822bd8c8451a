//! The bitmap index (storage engine v2): immutable sorted runs of postings, `term → roaring bitmap
//! of seqs`, cut into pages stored as rows of `run_pages` with the run's page directory (each
//! page's first term) in `runs`. Tier 0 is one group commit; the writer merges 16 runs of a tier
//! into one of the next. A run offers [`plan::Postings`](crate::plan::Postings) to the planner.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use roaring::RoaringBitmap;
use rusqlite::{Connection, params};

use super::cache::ByteLru;
use super::schema::internal;
use crate::plan::Postings;
use crate::{Result, StoreError};

/// A page is cut once it holds this many bytes.
const PAGE_BYTES: usize = 32 * 1024;

/// This many runs of one tier are merged into one run of the next.
pub(super) const MERGE_FAN_IN: usize = 16;

/// A run's row without its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RunInfo {
    pub id: i64,
    pub tier: i64,
    pub first_seq: u64,
    pub end_seq: u64,
    pub min_time: i64,
    pub max_time: i64,
}

/// The organization's runs, in seq order.
pub(super) fn list(conn: &Connection, org: i64) -> Result<Vec<RunInfo>> {
    let mut statement = conn
        .prepare_cached(
            "SELECT id, tier, first_seq, end_seq, min_time, max_time FROM runs WHERE org = ? \
             ORDER BY first_seq",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map([org], |r| {
            Ok(RunInfo {
                id: r.get(0)?,
                tier: r.get(1)?,
                first_seq: r.get::<_, i64>(2)? as u64,
                end_seq: r.get::<_, i64>(3)? as u64,
                min_time: r.get(4)?,
                max_time: r.get(5)?,
            })
        })
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

/// What a run keeps in memory: the first term of each page, and the Bloom filter of its ids.
pub(super) struct RunIndex {
    pub pages: Vec<String>,
    pub ids: IdFilter,
}

/// A Bloom filter of a run's `id=` terms: 16 bits per id, 11 probes (about 0.05 % false
/// positives), so that a new client id almost never costs a page read per run.
pub(super) struct IdFilter {
    bits: Vec<u8>,
}

const ID_PROBES: u64 = 11;

impl IdFilter {
    fn build(terms: &[u64]) -> IdFilter {
        let bytes = (terms.len() * 16).div_ceil(8).max(8);
        let mut filter = IdFilter {
            bits: vec![0; bytes],
        };
        for hash in terms {
            for bit in filter.probes(*hash) {
                filter.bits[bit / 8] |= 1 << (bit % 8);
            }
        }
        filter
    }

    fn probes(&self, hash: u64) -> impl Iterator<Item = usize> + use<> {
        let m = (self.bits.len() * 8) as u64;
        let step = hash.rotate_left(32) | 1;
        (0..ID_PROBES).map(move |i| (hash.wrapping_add(i.wrapping_mul(step)) % m) as usize)
    }

    /// Whether the run may hold the term `id=<value>` (`term` is the whole term).
    pub fn may_hold(&self, term: &str) -> bool {
        !self.bits.is_empty()
            && self
                .probes(term_hash(term))
                .all(|bit| self.bits[bit / 8] & (1 << (bit % 8)) != 0)
    }
}

/// FNV-1a, 64 bits: stable across builds, which a stored filter needs.
fn term_hash(term: &str) -> u64 {
    term.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Bytes of run pages the readers keep decoded (see [`Directories::page`]).
const PAGE_CACHE_BYTES: usize = 64 << 20;

/// Runs' directories and id filters, shared by the writer and the readers, and the pages the
/// readers read last. A run never changes once written and its id is never reused, so an entry
/// never goes stale.
pub(super) struct Directories {
    cache: Mutex<HashMap<i64, Arc<RunIndex>>>,
    pages: ByteLru<(i64, usize), Vec<u8>>,
}

impl Default for Directories {
    fn default() -> Self {
        Directories {
            cache: Mutex::default(),
            pages: ByteLru::new(PAGE_CACHE_BYTES),
        }
    }
}

impl Directories {
    /// Page `page` of run `run`, from the cache or the database.
    pub fn page(&self, conn: &Connection, org: i64, run: i64, page: usize) -> Result<Arc<Vec<u8>>> {
        if let Some(found) = self.pages.get(&(run, page)) {
            return Ok(found);
        }
        let data = Arc::new(read_page(conn, org, run, page)?);
        self.pages
            .insert((run, page), Arc::clone(&data), data.len() + 64);
        Ok(data)
    }

    pub fn get(&self, conn: &Connection, run: i64) -> Result<Arc<RunIndex>> {
        if let Some(found) = self.cache.lock().expect("cache lock").get(&run) {
            return Ok(Arc::clone(found));
        }
        let (pages, ids): (Vec<u8>, Vec<u8>) = conn
            .prepare_cached("SELECT directory, ids FROM runs WHERE id = ?")
            .and_then(|mut s| s.query_row([run], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(internal)?;
        let directory = Arc::new(RunIndex {
            pages: decode_directory(&pages)?,
            ids: IdFilter { bits: ids },
        });
        self.cache
            .lock()
            .expect("cache lock")
            .insert(run, Arc::clone(&directory));
        Ok(directory)
    }

    pub fn forget(&self, runs: &[i64]) {
        let mut cache = self.cache.lock().expect("cache lock");
        for run in runs {
            cache.remove(run);
        }
    }
}

fn encode_directory(terms: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for term in terms {
        out.extend_from_slice(&(term.len() as u16).to_le_bytes());
        out.extend_from_slice(term.as_bytes());
    }
    out
}

fn decode_directory(bytes: &[u8]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (term, next) = read_term(bytes, at).ok_or_else(malformed)?;
        out.push(term.to_owned());
        at = next;
    }
    Ok(out)
}

fn malformed() -> StoreError {
    StoreError::Internal("a run of the index is malformed".into())
}

fn read_term(bytes: &[u8], at: usize) -> Option<(&str, usize)> {
    let len = u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?) as usize;
    let term = std::str::from_utf8(bytes.get(at + 2..at + 2 + len)?).ok()?;
    Some((term, at + 2 + len))
}

/// Writes a run of `postings` (sorted by term, seqs within `[first_seq, end_seq)`).
pub(super) struct RunWriter<'c> {
    conn: &'c Connection,
    org: i64,
    page: Vec<u8>,
    first_terms: Vec<String>,
    pages: Vec<Vec<u8>>,
    id_hashes: Vec<u64>,
}

impl<'c> RunWriter<'c> {
    pub fn new(conn: &'c Connection, org: i64) -> RunWriter<'c> {
        RunWriter {
            conn,
            org,
            page: Vec::with_capacity(PAGE_BYTES + 4096),
            first_terms: Vec::new(),
            pages: Vec::new(),
            id_hashes: Vec::new(),
        }
    }

    /// Adds the next term, in term order.
    pub fn push(&mut self, term: &str, bitmap: &RoaringBitmap) {
        if self.page.is_empty() {
            self.first_terms.push(term.to_owned());
        }
        if term.starts_with("id=") {
            self.id_hashes.push(term_hash(term));
        }
        self.page
            .extend_from_slice(&(term.len() as u16).to_le_bytes());
        self.page.extend_from_slice(term.as_bytes());
        self.page
            .extend_from_slice(&(bitmap.serialized_size() as u32).to_le_bytes());
        bitmap
            .serialize_into(&mut self.page)
            .expect("a Vec takes the bitmap");
        if self.page.len() >= PAGE_BYTES {
            self.pages.push(std::mem::take(&mut self.page));
        }
    }

    /// Stores the run; returns its id.
    pub fn finish(
        mut self,
        tier: i64,
        first_seq: u64,
        end_seq: u64,
        (min_time, max_time): (i64, i64),
    ) -> Result<i64> {
        if !self.page.is_empty() {
            self.pages.push(std::mem::take(&mut self.page));
        }
        self.conn
            .prepare_cached(
                "INSERT INTO runs (org, tier, first_seq, end_seq, min_time, max_time, directory, \
                 ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    self.org,
                    tier,
                    first_seq as i64,
                    end_seq as i64,
                    min_time,
                    max_time,
                    encode_directory(&self.first_terms),
                    IdFilter::build(&self.id_hashes).bits
                ])
            })
            .map_err(internal)?;
        let run = self.conn.last_insert_rowid();
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO run_pages (org, run, page, data) VALUES (?, ?, ?, ?)")
            .map_err(internal)?;
        for (n, page) in self.pages.iter().enumerate() {
            insert
                .execute(params![self.org, run, n as i64, page])
                .map_err(internal)?;
        }
        Ok(run)
    }
}

/// Reads one page of a run.
fn read_page(conn: &Connection, org: i64, run: i64, page: usize) -> Result<Vec<u8>> {
    conn.prepare_cached("SELECT data FROM run_pages WHERE org = ? AND run = ? AND page = ?")
        .and_then(|mut s| s.query_row(params![org, run, page as i64], |r| r.get(0)))
        .map_err(internal)
}

/// The entry of a page at `at`: its term's bytes, its serialized bitmap, and where the next starts.
fn raw_entry(page: &[u8], at: usize) -> Option<(&[u8], &[u8], usize)> {
    let len = u16::from_le_bytes(page.get(at..at + 2)?.try_into().ok()?) as usize;
    let term = page.get(at + 2..at + 2 + len)?;
    let next = at + 2 + len;
    let size = u32::from_le_bytes(page.get(next..next + 4)?.try_into().ok()?) as usize;
    let bitmap = page.get(next + 4..next + 4 + size)?;
    Some((term, bitmap, next + 4 + size))
}

/// The entries of a page: `(term, serialized bitmap)`.
fn entries(page: &[u8]) -> impl Iterator<Item = Result<(&str, &[u8])>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= page.len() {
            return None;
        }
        let entry = (|| {
            let (term, next) = read_term(page, at)?;
            let len = u32::from_le_bytes(page.get(next..next + 4)?.try_into().ok()?) as usize;
            let bitmap = page.get(next + 4..next + 4 + len)?;
            at = next + 4 + len;
            Some((term, bitmap))
        })();
        match entry {
            Some(found) => Some(Ok(found)),
            None => {
                at = page.len();
                Some(Err(malformed()))
            }
        }
    })
}

fn bitmap(bytes: &[u8]) -> Result<RoaringBitmap> {
    RoaringBitmap::deserialize_unchecked_from(bytes).map_err(|_| malformed())
}

/// One run as the planner's postings, its positions limited to seqs at or after `retained_from`
/// (retention removes a prefix of the log). Read errors are kept and reported by [`error`].
pub(super) struct RunPostings<'c> {
    conn: &'c Connection,
    directories: &'c Directories,
    org: i64,
    run: RunInfo,
    pub directory: Arc<RunIndex>,
    retained_from: u64,
    failed: std::cell::RefCell<Option<StoreError>>,
}

impl<'c> RunPostings<'c> {
    pub fn new(
        conn: &'c Connection,
        directories: &'c Directories,
        org: i64,
        run: RunInfo,
        retained_from: u64,
    ) -> Result<RunPostings<'c>> {
        Ok(RunPostings {
            conn,
            directories,
            org,
            run,
            directory: directories.get(conn, run.id)?,
            retained_from,
            failed: Default::default(),
        })
    }

    pub fn error(&self) -> Option<StoreError> {
        self.failed.borrow_mut().take()
    }

    fn union(&self, prefix: &str, keep: &dyn Fn(&str) -> bool) -> Result<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        self.each(prefix, &mut |rest, bytes| {
            if keep(rest) {
                out |= bitmap(bytes)?;
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every term starting with `prefix`, with the rest of the term and its positions.
    pub fn entries_with_prefix(&self, prefix: &str) -> Result<Vec<(String, RoaringBitmap)>> {
        let mut out = Vec::new();
        let all = self.all();
        self.each(prefix, &mut |rest, bytes| {
            out.push((rest.to_owned(), bitmap(bytes)? & &all));
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `each` with the rest of every term starting with `prefix` and its bitmap, not limited
    /// to the retained seqs (the caller intersects it with what it selected).
    pub fn each_with_prefix(
        &self,
        prefix: &str,
        each: &mut dyn FnMut(&str, &RoaringBitmap),
    ) -> Result<()> {
        self.each(prefix, &mut |rest, bytes| {
            each(rest, &bitmap(bytes)?);
            Ok(())
        })
    }

    /// The bitmap of exactly `term`: read from the one page that can hold it (the last whose first
    /// term is not after it), where [`Postings::term`]'s default would walk every term of the same
    /// name — every id of the run, for an `id=` term.
    fn exact(&self, term: &str) -> Result<RoaringBitmap> {
        let directory = &self.directory.pages;
        if directory.is_empty() {
            return Ok(RoaringBitmap::new());
        }
        let page = directory
            .partition_point(|first| first.as_str() <= term)
            .saturating_sub(1);
        let data = self
            .directories
            .page(self.conn, self.org, self.run.id, page)?;
        let mut at = 0;
        while at < data.len() {
            let (found, bytes, next) = raw_entry(&data, at).ok_or_else(malformed)?;
            match found.cmp(term.as_bytes()) {
                std::cmp::Ordering::Less => at = next,
                std::cmp::Ordering::Equal => return bitmap(bytes),
                std::cmp::Ordering::Greater => break,
            }
        }
        Ok(RoaringBitmap::new())
    }

    /// Calls `each` with the rest and serialized bitmap of every term starting with `prefix`.
    fn each(&self, prefix: &str, each: &mut dyn FnMut(&str, &[u8]) -> Result<()>) -> Result<()> {
        let directory = &self.directory.pages;
        let start = directory
            .partition_point(|first| first.as_str() <= prefix)
            .saturating_sub(1);
        for (page, first) in directory.iter().enumerate().skip(start) {
            if page > start && first.as_str() > prefix && !first.starts_with(prefix) {
                break;
            }
            let data = self
                .directories
                .page(self.conn, self.org, self.run.id, page)?;
            let mut at = 0;
            while at < data.len() {
                // Terms are compared as bytes; only a matching one is checked as text.
                let (term, bytes, next) = raw_entry(&data, at).ok_or_else(malformed)?;
                at = next;
                if let Some(rest) = term.strip_prefix(prefix.as_bytes()) {
                    let rest = std::str::from_utf8(rest).map_err(|_| malformed())?;
                    each(rest, bytes)?;
                } else if term > prefix.as_bytes() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

impl Postings for RunPostings<'_> {
    fn all(&self) -> RoaringBitmap {
        let mut all = RoaringBitmap::new();
        let from = self.run.first_seq.max(self.retained_from);
        if from < self.run.end_seq {
            all.insert_range(from as u32..self.run.end_seq as u32);
        }
        all
    }

    fn term(&self, term: &str) -> RoaringBitmap {
        match self.exact(term) {
            Ok(found) => found & self.all(),
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                RoaringBitmap::new()
            }
        }
    }

    fn union_where(&self, prefix: &str, keep: &dyn Fn(&str) -> bool) -> RoaringBitmap {
        match self.union(prefix, keep) {
            Ok(found) => found & self.all(),
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                RoaringBitmap::new()
            }
        }
    }
}

/// Reads a run's entries in term order, one page at a time.
struct RunReader<'c> {
    conn: &'c Connection,
    org: i64,
    run: i64,
    pages: usize,
    next_page: usize,
    entries: std::vec::IntoIter<(String, RoaringBitmap)>,
}

impl RunReader<'_> {
    fn next(&mut self) -> Result<Option<(String, RoaringBitmap)>> {
        loop {
            if let Some(entry) = self.entries.next() {
                return Ok(Some(entry));
            }
            if self.next_page >= self.pages {
                return Ok(None);
            }
            let data = read_page(self.conn, self.org, self.run, self.next_page)?;
            self.next_page += 1;
            let parsed = entries(&data)
                .map(|e| e.and_then(|(term, bytes)| Ok((term.to_owned(), bitmap(bytes)?))))
                .collect::<Result<Vec<_>>>()?;
            self.entries = parsed.into_iter();
        }
    }
}

/// Merges runs of `org`, one tier at a time, until no tier has [`MERGE_FAN_IN`] runs; each merge
/// in its own transaction.
pub(super) fn merge_all(conn: &Connection, directories: &Directories, org: i64) -> Result<()> {
    loop {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(internal)?;
        let merged = match due_merge(&list(conn, org)?) {
            Some((inputs, tier)) => merge(conn, directories, org, &inputs, tier).map(|_| true),
            None => Ok(false),
        };
        let end = if matches!(merged, Ok(true)) {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        conn.execute_batch(end).map_err(internal)?;
        if !merged? {
            return Ok(());
        }
    }
}

/// Merges `runs` (consecutive in seq) into one run of `tier`, deletes them, and returns the new
/// run's id. Runs never overlap in seq, so a term's merged bitmap is the OR of its bitmaps.
pub(super) fn merge(
    conn: &Connection,
    directories: &Directories,
    org: i64,
    runs: &[RunInfo],
    tier: i64,
) -> Result<i64> {
    let mut readers = Vec::with_capacity(runs.len());
    for run in runs {
        readers.push(RunReader {
            conn,
            org,
            run: run.id,
            pages: directories.get(conn, run.id)?.pages.len(),
            next_page: 0,
            entries: Vec::new().into_iter(),
        });
    }
    let mut heads: Vec<Option<(String, RoaringBitmap)>> = Vec::with_capacity(readers.len());
    let mut heap = BinaryHeap::new();
    for (i, reader) in readers.iter_mut().enumerate() {
        let head = reader.next()?;
        if let Some((term, _)) = &head {
            heap.push(Reverse((term.clone(), i)));
        }
        heads.push(head);
    }
    let mut writer = RunWriter::new(conn, org);
    while let Some(Reverse((term, _))) = heap.peek().cloned() {
        let mut merged = RoaringBitmap::new();
        while let Some(Reverse((next, i))) = heap.peek().cloned() {
            if next != term {
                break;
            }
            heap.pop();
            let (_, bitmap) = heads[i].take().expect("a head per heap entry");
            merged |= bitmap;
            heads[i] = readers[i].next()?;
            if let Some((following, _)) = &heads[i] {
                heap.push(Reverse((following.clone(), i)));
            }
        }
        writer.push(&term, &merged);
    }
    let first_seq = runs.iter().map(|r| r.first_seq).min().unwrap_or(0);
    let end_seq = runs.iter().map(|r| r.end_seq).max().unwrap_or(0);
    let times = (
        runs.iter().map(|r| r.min_time).min().unwrap_or(0),
        runs.iter().map(|r| r.max_time).max().unwrap_or(0),
    );
    let id = writer.finish(tier, first_seq, end_seq, times)?;
    delete(conn, org, runs.iter().map(|r| r.id))?;
    directories.forget(&runs.iter().map(|r| r.id).collect::<Vec<_>>());
    Ok(id)
}

/// Deletes runs and their pages.
pub(super) fn delete(conn: &Connection, org: i64, runs: impl Iterator<Item = i64>) -> Result<()> {
    for run in runs {
        conn.prepare_cached("DELETE FROM run_pages WHERE org = ? AND run = ?")
            .and_then(|mut s| s.execute(params![org, run]))
            .map_err(internal)?;
        conn.prepare_cached("DELETE FROM runs WHERE id = ?")
            .and_then(|mut s| s.execute([run]))
            .map_err(internal)?;
    }
    Ok(())
}

/// The first `MERGE_FAN_IN` consecutive runs of one tier, when some tier has that many: what the
/// writer merges next. Runs are listed in seq order, and a tier's runs are always consecutive
/// among those of tiers at or below it.
pub(super) fn due_merge(runs: &[RunInfo]) -> Option<(Vec<RunInfo>, i64)> {
    let mut by_tier: HashMap<i64, Vec<RunInfo>> = HashMap::new();
    for run in runs {
        by_tier.entry(run.tier).or_default().push(*run);
    }
    let mut tiers: Vec<_> = by_tier.into_iter().collect();
    tiers.sort_by_key(|(tier, _)| *tier);
    tiers.into_iter().find_map(|(tier, mut runs)| {
        (runs.len() >= MERGE_FAN_IN).then(|| {
            runs.truncate(MERGE_FAN_IN);
            (runs, tier + 1)
        })
    })
}

/// Postings of one group as the writer collects them: each request's sorted term list with seqs.
#[derive(Default)]
pub(super) struct PendingPostings {
    entries: Vec<(String, Vec<u32>)>,
}

impl PendingPostings {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn truncate(&mut self, len: usize) {
        self.entries.truncate(len);
    }

    pub fn push(&mut self, term: String, seqs: Vec<u32>) {
        self.entries.push((term, seqs));
    }

    /// The postings of `(term, seq)` pairs in any order.
    pub fn from_pairs(mut pairs: Vec<(String, u32)>) -> PendingPostings {
        pairs.sort_unstable();
        let mut entries: Vec<(String, Vec<u32>)> = Vec::new();
        for (term, seq) in pairs {
            match entries.last_mut() {
                Some((last, seqs)) if *last == term => seqs.push(seq),
                _ => entries.push((term, vec![seq])),
            }
        }
        PendingPostings { entries }
    }

    /// Writes the group's run and empties the list.
    pub fn write(
        &mut self,
        conn: &Connection,
        org: i64,
        (first_seq, end_seq): (u64, u64),
        times: (i64, i64),
    ) -> Result<i64> {
        let mut entries = std::mem::take(&mut self.entries);
        // Stable: a term's seqs stay in request (so seq) order.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut writer = RunWriter::new(conn, org);
        let mut at = 0;
        while at < entries.len() {
            let term = &entries[at].0;
            let mut end = at + 1;
            while end < entries.len() && entries[end].0 == *term {
                end += 1;
            }
            let bitmap = RoaringBitmap::from_sorted_iter(
                entries[at..end]
                    .iter()
                    .flat_map(|(_, seqs)| seqs.iter().copied()),
            )
            .map_err(|_| StoreError::Internal("postings out of seq order".into()))?;
            writer.push(term, &bitmap);
            at = end;
        }
        writer.finish(0, first_seq, end_seq, times)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_filter_holds_every_id_and_few_others() {
        let ids: Vec<String> = (0..5_000).map(|i| format!("id=evt_{i:08}")).collect();
        let filter = IdFilter::build(&ids.iter().map(|t| term_hash(t)).collect::<Vec<_>>());
        assert!(ids.iter().all(|t| filter.may_hold(t)), "a false negative");
        let false_positives = (0..10_000)
            .filter(|i| filter.may_hold(&format!("id=other_{i}")))
            .count();
        assert!(false_positives < 30, "{false_positives} of 10,000");
        assert!(!IdFilter { bits: Vec::new() }.may_hold("id=x"));
    }

    #[test]
    fn pending_postings_group_pairs_by_term_in_seq_order() {
        let pairs = vec![
            ("w=b".to_owned(), 7),
            ("action=a".to_owned(), 9),
            ("w=b".to_owned(), 3),
            ("action=a".to_owned(), 1),
        ];
        let postings = PendingPostings::from_pairs(pairs);
        assert_eq!(
            postings.entries,
            vec![
                ("action=a".to_owned(), vec![1, 9]),
                ("w=b".to_owned(), vec![3, 7])
            ]
        );
    }
}
