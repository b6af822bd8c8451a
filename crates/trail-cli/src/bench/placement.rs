//! `trail bench --index-placement`: the prototype behind docs/storage.md. It writes the same
//! prepared events the way storage engine v2 would (zstd blocks of canonical bytes, one id run per
//! group, sparse Merkle rows, roaring postings built outside the writer) with the postings placed
//! three ways, and measures each: writer events/s, rows per event, bytes per event, and the
//! 24-query count mix over the runs, whose counts must equal the naive baseline's.
//!
//! - `term rows`: one row per (term, group) in SQLite: the "obvious shortcut".
//! - `run pages in db`: one sorted run per group, cut into ~64 KiB pages stored as rows of the same
//!   database (key: run, first term), so a lookup reads one page per run.
//! - `segment file`: the same pages appended to a file beside the database (fsynced before the
//!   group's COMMIT), with the run's page directory as one row in the database.
//!
//! Every variant does all per-event CPU work (canonical bytes, terms, bitmaps, compression) before
//! the writer, which only chains the hashes and inserts ready-made blobs.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash as _, Hasher as _};
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use roaring::RoaringBitmap;
use rusqlite::{Connection, params};
use serde::Serialize;
use trail_core::canonical::CanonicalParts;
use trail_core::event::NewEvent;

use super::baseline::Baseline;
use super::queries::{MIX, Op, Query, ninety_days_before};
use super::report::Latency;

/// Events per group commit (what four tasks of 1,000-event requests bring the writer).
const GROUP: usize = 4_000;
/// Target size of one postings page.
const PAGE_BYTES: usize = 64 * 1024;
/// One Merkle row is kept per this many events (the v1 sparse scheme: levels that are multiples
/// of 4, about one row per 15 events).
const TREE_EVERY: usize = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    TermRows,
    DbPages,
    SegmentFile,
}

impl Placement {
    fn name(self) -> &'static str {
        match self {
            Placement::TermRows => "term rows",
            Placement::DbPages => "run pages in db",
            Placement::SegmentFile => "segment file",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VariantFigures {
    pub placement: &'static str,
    pub events: u64,
    /// Events per second of the writer thread alone (inserts, hash chain, fsyncs).
    pub writer_per_second: f64,
    /// SQLite rows written per event (blocks, id runs, tree, postings).
    pub rows_per_event: f64,
    pub bytes_per_event: f64,
    pub index_bytes_per_event: f64,
    /// The 24-query count mix over the runs as written (one per group).
    pub count_unmerged: Latency,
    pub runs_unmerged: usize,
    /// The same after merging the runs into tiers of 16 (at most 16 runs per tier).
    pub count_merged: Latency,
    pub runs_merged: usize,
    /// Writer-side seconds per event spent merging (rewriting) the runs once.
    pub merge_us_per_event: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// CPU outside the writer, on one thread: canonical bytes, terms, bitmaps, zstd, id run.
    pub prepare_us_per_event: f64,
    pub block_bytes_per_event: f64,
    pub variants: Vec<VariantFigures>,
}

impl Figures {
    pub fn render(&self) -> String {
        let mut lines = vec![
            format!(
                "index placement prototype: prepare {:.1} µs/event on one core (outside the writer), zstd blocks {:.0} B/event",
                self.prepare_us_per_event, self.block_bytes_per_event
            ),
            format!(
                "{:<16} {:>12} {:>9} {:>9} {:>9} {:>22} {:>22} {:>9}",
                "placement",
                "writer ev/s",
                "rows/ev",
                "B/ev",
                "index B",
                "count p50/p99 (runs)",
                "merged p50/p99 (runs)",
                "merge µs",
            ),
        ];
        for v in &self.variants {
            lines.push(format!(
                "{:<16} {:>12.0} {:>9.2} {:>9.0} {:>9.0} {:>22} {:>22} {:>9.2}",
                v.placement,
                v.writer_per_second,
                v.rows_per_event,
                v.bytes_per_event,
                v.index_bytes_per_event,
                format!(
                    "{:.1}/{:.1} ms ({})",
                    v.count_unmerged.p50_ms, v.count_unmerged.p99_ms, v.runs_unmerged
                ),
                format!(
                    "{:.1}/{:.1} ms ({})",
                    v.count_merged.p50_ms, v.count_merged.p99_ms, v.runs_merged
                ),
                v.merge_us_per_event,
            ));
        }
        lines.join("\n")
    }
}

/// One group as the preparing tasks hand it to the writer.
struct PreparedGroup {
    len: usize,
    /// zstd of the events' canonical bytes (cut where `prev` and `seq` go), with lengths.
    block: Vec<u8>,
    canonical: Vec<CanonicalParts>,
    /// Sorted (id hash, position) pairs.
    ids: Vec<u8>,
    /// occurred_at of each position, zstd.
    times: Vec<u8>,
    min_time: i64,
    max_time: i64,
    /// Term → positions in the group.
    postings: BTreeMap<String, RoaringBitmap>,
}

/// The terms an event is indexed under: `field=value` lower-cased, IP prefixes, free-text tokens.
fn terms(new: &NewEvent) -> Vec<String> {
    let d = &new.data;
    let mut out = Vec::with_capacity(48);
    fn push_term(out: &mut Vec<String>, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            out.push(format!("{field}={}", value.to_lowercase()));
        }
    }
    let mut put = |field: &str, value: Option<&str>| push_term(&mut out, field, value);
    let resource = d.resource.as_ref();
    put("action", Some(&d.action));
    put("area", Some(&d.area));
    put("outcome", Some(d.outcome.as_str()));
    put("actor.type", Some(&d.actor.kind));
    put("actor.id", Some(&d.actor.id));
    put("actor.name", d.actor.name.as_deref());
    put("actor.email", d.actor.email.as_deref());
    put("actor.role", d.actor.role.as_deref());
    put("source", d.source.as_deref());
    put("resource.type", resource.map(|r| r.kind.as_str()));
    put("resource.id", resource.and_then(|r| r.id.as_deref()));
    put("resource.name", resource.and_then(|r| r.name.as_deref()));
    put("country", d.country());
    for target in &d.targets {
        put("target", target.id.as_deref());
    }
    if let Some(ip) = d.ip() {
        put("ip", Some(ip));
        let octets: Vec<&str> = ip.split('.').collect();
        if octets.len() == 4 {
            for n in 1..=3 {
                out.push(format!("ip/{}={}", n * 8, octets[..n].join(".")));
            }
        }
    }
    let text = d.searchable_text().to_lowercase();
    for token in text.split(|c: char| !c.is_alphanumeric()) {
        if token.len() >= 2 {
            out.push(format!("w={token}"));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn prepare(org: &str, events: &[NewEvent]) -> PreparedGroup {
    let mut raw = Vec::with_capacity(events.len() * 700);
    let mut canonical = Vec::with_capacity(events.len());
    let mut ids: Vec<(u64, u32)> = Vec::with_capacity(events.len());
    let mut times = Vec::with_capacity(events.len() * 8);
    // (term, position) pairs sorted once per group, then one bitmap per term built from its sorted
    // positions: no map lookup or bitmap insert per term per event.
    let mut pairs: Vec<(String, u32)> = Vec::with_capacity(events.len() * 40);
    let (mut min_time, mut max_time) = (i64::MAX, i64::MIN);
    for (at, new) in events.iter().enumerate() {
        let parts = CanonicalParts::new(org, new);
        let (bytes, prev_at, seq_at) = parts.parts();
        for n in [bytes.len(), prev_at, seq_at] {
            raw.extend_from_slice(&(n as u32).to_le_bytes());
        }
        raw.extend_from_slice(bytes);
        canonical.push(parts);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        new.data.id.hash(&mut hasher);
        ids.push((hasher.finish(), at as u32));
        let t = new.data.occurred_at.0;
        times.extend_from_slice(&t.to_le_bytes());
        min_time = min_time.min(t);
        max_time = max_time.max(t);
        pairs.extend(terms(new).into_iter().map(|term| (term, at as u32)));
    }
    pairs.sort_unstable();
    let mut postings: BTreeMap<String, RoaringBitmap> = BTreeMap::new();
    let mut at = 0;
    while at < pairs.len() {
        let end = at + pairs[at..].partition_point(|(term, _)| *term == pairs[at].0);
        let bitmap = RoaringBitmap::from_sorted_iter(pairs[at..end].iter().map(|(_, p)| *p))
            .expect("positions of one term are sorted");
        postings.insert(std::mem::take(&mut pairs[at].0), bitmap);
        at = end;
    }
    ids.sort_unstable();
    let ids = ids
        .iter()
        .flat_map(|(h, at)| h.to_le_bytes().into_iter().chain(at.to_le_bytes()))
        .collect();
    PreparedGroup {
        len: events.len(),
        block: zstd::bulk::compress(&raw, 3).expect("zstd compresses"),
        canonical,
        ids,
        times: zstd::bulk::compress(&times, 3).expect("zstd compresses"),
        min_time,
        max_time,
        postings,
    }
}

/// A run's postings cut into pages: (first term, page bytes).
fn pages(postings: &BTreeMap<String, RoaringBitmap>) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut page: Vec<u8> = Vec::with_capacity(PAGE_BYTES * 2);
    let mut first: Option<String> = None;
    for (term, bitmap) in postings {
        if first.is_none() {
            first = Some(term.clone());
        }
        page.extend_from_slice(&(term.len() as u16).to_le_bytes());
        page.extend_from_slice(term.as_bytes());
        page.extend_from_slice(&(bitmap.serialized_size() as u32).to_le_bytes());
        bitmap
            .serialize_into(&mut page)
            .expect("a Vec takes the bitmap");
        if page.len() >= PAGE_BYTES {
            out.push((first.take().expect("set above"), std::mem::take(&mut page)));
        }
    }
    if let Some(first) = first {
        out.push((first, page));
    }
    out
}

/// The bitmaps of a page whose terms start with `prefix` (an exact term is a prefix ending in `\0`
/// handled by the caller comparing whole terms).
fn page_lookup(page: &[u8], want: &Want, out: &mut RoaringBitmap) -> anyhow::Result<()> {
    let mut at = 0;
    while at < page.len() {
        let len = u16::from_le_bytes(page[at..at + 2].try_into()?) as usize;
        let term = &page[at + 2..at + 2 + len];
        at += 2 + len;
        let size = u32::from_le_bytes(page[at..at + 4].try_into()?) as usize;
        let bytes = &page[at + 4..at + 4 + size];
        at += 4 + size;
        if want.matches(term) {
            *out |= RoaringBitmap::deserialize_unchecked_from(bytes)?;
        }
    }
    Ok(())
}

/// One filter of a query as index terms.
struct Want {
    term: String,
    prefix: bool,
}

impl Want {
    fn of(field: &str, op: Op, value: &str) -> Want {
        match op {
            Op::Eq => Want {
                term: format!("{field}={}", value.to_lowercase()),
                prefix: false,
            },
            Op::Prefix => Want {
                term: format!("{field}={}", value.to_lowercase()),
                prefix: true,
            },
            Op::Cidr => {
                let (addr, bits) = value.split_once('/').unwrap_or((value, "32"));
                let octets = bits.parse::<usize>().unwrap_or(32) / 8;
                let prefix: Vec<&str> = addr.split('.').take(octets).collect();
                Want {
                    term: format!("ip/{}={}", octets * 8, prefix.join(".")),
                    prefix: false,
                }
            }
        }
    }

    fn matches(&self, term: &[u8]) -> bool {
        match self.prefix {
            true => term.starts_with(self.term.as_bytes()),
            false => term == self.term.as_bytes(),
        }
    }

    /// The page keys (first terms) that can hold this term: the last page starting at or before it.
    fn start(&self) -> &str {
        &self.term
    }
}

struct Run {
    first_seq: u64,
    len: usize,
    min_time: i64,
    max_time: i64,
}

fn open(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path).context("cannot open the prototype database")?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;
         PRAGMA mmap_size = 1073741824;
         CREATE TABLE blocks (org INTEGER, first_seq INTEGER, len INTEGER, min_time INTEGER,
             max_time INTEGER, events BLOB, hashes BLOB, times BLOB, PRIMARY KEY (org, first_seq)) WITHOUT ROWID;
         CREATE TABLE id_runs (org INTEGER, first_seq INTEGER, ids BLOB, PRIMARY KEY (org, first_seq)) WITHOUT ROWID;
         CREATE TABLE tree_nodes (org INTEGER, level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY (org, level, idx)) WITHOUT ROWID;
         CREATE TABLE term_rows (org INTEGER, term TEXT, first_seq INTEGER, bitmap BLOB, PRIMARY KEY (org, term, first_seq)) WITHOUT ROWID;
         CREATE TABLE run_pages (org INTEGER, tier INTEGER, first_seq INTEGER, first_term TEXT, page BLOB, PRIMARY KEY (org, tier, first_seq, first_term)) WITHOUT ROWID;
         CREATE TABLE run_files (org INTEGER, tier INTEGER, first_seq INTEGER, directory BLOB, PRIMARY KEY (org, tier, first_seq)) WITHOUT ROWID;",
    )?;
    Ok(conn)
}

/// Pages of a run in the segment file: (first term, offset, length).
type Directory = Vec<(String, u64, u32)>;

struct Variant {
    placement: Placement,
    conn: Connection,
    file: Option<std::fs::File>,
    file_len: u64,
    runs: Vec<Run>,
    directories: HashMap<(u32, u64), Directory>,
    rows: u64,
}

impl Variant {
    fn new(dir: &Path, placement: Placement) -> anyhow::Result<Variant> {
        std::fs::create_dir_all(dir)?;
        let file = (placement == Placement::SegmentFile)
            .then(|| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .read(true)
                    .open(dir.join("runs.seg"))
            })
            .transpose()?;
        Ok(Variant {
            placement,
            conn: open(&dir.join("trail.db"))?,
            file,
            file_len: 0,
            runs: Vec::new(),
            directories: HashMap::new(),
            rows: 0,
        })
    }

    /// The writer's work for one group: chain hashes, insert the block, id run, tree rows and the
    /// postings in this variant's placement, fsync, commit.
    fn write(
        &mut self,
        group: &PreparedGroup,
        first_seq: u64,
        prev: &mut [u8; 32],
    ) -> anyhow::Result<()> {
        let mut hashes = Vec::with_capacity(group.len * 32);
        for (i, parts) in group.canonical.iter().enumerate() {
            let hash = parts.leaf_hash(prev, first_seq + i as u64);
            hashes.extend_from_slice(&hash);
            *prev = hash;
        }
        let tx = self.conn.unchecked_transaction()?;
        tx.prepare_cached("INSERT INTO blocks VALUES (1, ?, ?, ?, ?, ?, ?, ?)")?
            .execute(params![
                first_seq as i64,
                group.len as i64,
                group.min_time,
                group.max_time,
                group.block,
                hashes,
                group.times
            ])?;
        tx.prepare_cached("INSERT INTO id_runs VALUES (1, ?, ?)")?
            .execute(params![first_seq as i64, group.ids])?;
        self.rows += 2;
        {
            let mut tree = tx.prepare_cached("INSERT INTO tree_nodes VALUES (1, 4, ?, ?)")?;
            let mut at = first_seq as usize / TREE_EVERY;
            while at * TREE_EVERY < first_seq as usize + group.len {
                if at * TREE_EVERY >= first_seq as usize {
                    tree.execute(params![at as i64, &hashes[..32]])?;
                    self.rows += 1;
                }
                at += 1;
            }
        }
        match self.placement {
            Placement::TermRows => {
                let mut insert = tx.prepare_cached("INSERT INTO term_rows VALUES (1, ?, ?, ?)")?;
                let mut bytes = Vec::new();
                for (term, bitmap) in &group.postings {
                    bytes.clear();
                    bitmap.serialize_into(&mut bytes)?;
                    insert.execute(params![term, first_seq as i64, bytes])?;
                    self.rows += 1;
                }
            }
            Placement::DbPages => {
                self.rows += write_pages(&tx, 0, first_seq, &pages(&group.postings))?;
            }
            Placement::SegmentFile => {
                let file = self.file.as_mut().context("no segment file")?;
                let directory = append_file(file, &mut self.file_len, &pages(&group.postings))?;
                store_directory(&tx, 0, first_seq, &directory)?;
                self.directories.insert((0, first_seq), directory);
                self.rows += 1;
            }
        }
        tx.commit()?;
        self.runs.push(Run {
            first_seq,
            len: group.len,
            min_time: group.min_time,
            max_time: group.max_time,
        });
        Ok(())
    }

    /// Merges the runs into tiers of 16 consecutive runs (what a background merge would leave),
    /// rewriting postings with positions relative to the tier's first seq.
    fn merge(&mut self) -> anyhow::Result<()> {
        let mut merged_runs = Vec::new();
        let runs = std::mem::take(&mut self.runs);
        for chunk in runs.chunks(16) {
            let first_seq = chunk[0].first_seq;
            let mut postings: BTreeMap<String, RoaringBitmap> = BTreeMap::new();
            for run in chunk {
                let offset = (run.first_seq - first_seq) as u32;
                for (term, bitmap) in self.read_run(0, run)? {
                    let shifted: RoaringBitmap = bitmap.iter().map(|p| p + offset).collect();
                    *postings.entry(term).or_default() |= shifted;
                }
            }
            let tx = self.conn.unchecked_transaction()?;
            match self.placement {
                Placement::TermRows => {
                    tx.execute(
                        "DELETE FROM term_rows WHERE first_seq >= ? AND first_seq <= ?",
                        params![first_seq as i64, chunk[chunk.len() - 1].first_seq as i64],
                    )?;
                    let mut insert =
                        tx.prepare_cached("INSERT INTO term_rows VALUES (1, ?, ?, ?)")?;
                    let mut bytes = Vec::new();
                    for (term, bitmap) in &postings {
                        bytes.clear();
                        bitmap.serialize_into(&mut bytes)?;
                        insert.execute(params![term, first_seq as i64, bytes])?;
                    }
                }
                Placement::DbPages => {
                    write_pages(&tx, 1, first_seq, &pages(&postings))?;
                    tx.execute("DELETE FROM run_pages WHERE tier = 0 AND first_seq >= ? AND first_seq <= ?",
                        params![first_seq as i64, chunk[chunk.len() - 1].first_seq as i64])?;
                }
                Placement::SegmentFile => {
                    let file = self.file.as_mut().context("no segment file")?;
                    let directory = append_file(file, &mut self.file_len, &pages(&postings))?;
                    store_directory(&tx, 1, first_seq, &directory)?;
                    self.directories.insert((1, first_seq), directory);
                }
            }
            tx.commit()?;
            merged_runs.push(Run {
                first_seq,
                len: chunk.iter().map(|r| r.len).sum(),
                min_time: chunk.iter().map(|r| r.min_time).min().unwrap_or(0),
                max_time: chunk.iter().map(|r| r.max_time).max().unwrap_or(0),
            });
        }
        self.runs = merged_runs;
        Ok(())
    }

    /// Every (term, bitmap) of one run (for merging).
    fn read_run(&self, tier: u32, run: &Run) -> anyhow::Result<Vec<(String, RoaringBitmap)>> {
        let mut out = Vec::new();
        let mut push_page = |page: &[u8]| -> anyhow::Result<()> {
            let mut at = 0;
            while at < page.len() {
                let len = u16::from_le_bytes(page[at..at + 2].try_into()?) as usize;
                let term = String::from_utf8(page[at + 2..at + 2 + len].to_vec())?;
                at += 2 + len;
                let size = u32::from_le_bytes(page[at..at + 4].try_into()?) as usize;
                out.push((
                    term,
                    RoaringBitmap::deserialize_unchecked_from(&page[at + 4..at + 4 + size])?,
                ));
                at += 4 + size;
            }
            Ok(())
        };
        match self.placement {
            Placement::TermRows => {
                let mut statement = self
                    .conn
                    .prepare_cached("SELECT term, bitmap FROM term_rows WHERE first_seq = ?")?;
                let mut rows = statement.query([run.first_seq as i64])?;
                while let Some(row) = rows.next()? {
                    let bytes: Vec<u8> = row.get(1)?;
                    out.push((
                        row.get(0)?,
                        RoaringBitmap::deserialize_unchecked_from(&bytes[..])?,
                    ));
                }
            }
            Placement::DbPages => {
                let mut statement = self.conn.prepare_cached(
                    "SELECT page FROM run_pages WHERE org = 1 AND tier = ? AND first_seq = ?",
                )?;
                let mut rows = statement.query(params![tier, run.first_seq as i64])?;
                while let Some(row) = rows.next()? {
                    let page: Vec<u8> = row.get(0)?;
                    push_page(&page)?;
                }
            }
            Placement::SegmentFile => {
                for (_, offset, len) in &self.directories[&(tier, run.first_seq)] {
                    push_page(&self.read_file(*offset, *len)?)?;
                }
            }
        }
        Ok(out)
    }

    fn read_file(&self, offset: u64, len: u32) -> anyhow::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt as _;
        let mut page = vec![0; len as usize];
        self.file
            .as_ref()
            .context("no segment file")?
            .read_exact_at(&mut page, offset)?;
        Ok(page)
    }

    /// Positions (seq) matching one filter in one run.
    fn lookup(&self, tier: u32, run: &Run, want: &Want) -> anyhow::Result<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        match self.placement {
            Placement::TermRows => {
                let (sql, end) = if want.prefix {
                    (
                        "SELECT bitmap FROM term_rows WHERE org = 1 AND term >= ? AND term < ? AND first_seq = ?",
                        format!("{}\u{10ffff}", want.term),
                    )
                } else {
                    (
                        "SELECT bitmap FROM term_rows WHERE org = 1 AND term >= ? AND term <= ? AND first_seq = ?",
                        want.term.clone(),
                    )
                };
                let mut statement = self.conn.prepare_cached(sql)?;
                let mut rows = statement.query(params![want.term, end, run.first_seq as i64])?;
                while let Some(row) = rows.next()? {
                    let bytes = row.get_ref(0)?.as_blob()?;
                    out |= RoaringBitmap::deserialize_unchecked_from(bytes)?;
                }
            }
            Placement::DbPages => {
                // The last page starting at or before the term, and (for a prefix) those after it
                // that still start with it.
                let mut statement = self.conn.prepare_cached(
                    "SELECT page FROM run_pages WHERE org = 1 AND tier = ?1 AND first_seq = ?2
                       AND first_term >= coalesce((SELECT max(first_term) FROM run_pages
                           WHERE org = 1 AND tier = ?1 AND first_seq = ?2 AND first_term <= ?3), '')
                       AND (first_term <= ?3 OR (?4 AND substr(first_term, 1, length(?3)) = ?3))
                     ORDER BY first_term",
                )?;
                let mut rows = statement.query(params![
                    tier,
                    run.first_seq as i64,
                    want.start(),
                    want.prefix
                ])?;
                while let Some(row) = rows.next()? {
                    page_lookup(row.get_ref(0)?.as_blob()?, want, &mut out)?;
                }
            }
            Placement::SegmentFile => {
                let directory = &self.directories[&(tier, run.first_seq)];
                let at = directory.partition_point(|(first, _, _)| first.as_str() <= want.start());
                let from = at.saturating_sub(1);
                for (first, offset, len) in &directory[from..] {
                    if first.as_str() > want.start()
                        && !(want.prefix && first.starts_with(&want.term))
                    {
                        break;
                    }
                    page_lookup(&self.read_file(*offset, *len)?, want, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    /// Counts one query since `from`: bitmaps per run, AND across filters, exact time checks only in
    /// runs that straddle `from`.
    fn count(&self, tier: u32, query: &Query, from: i64) -> anyhow::Result<u64> {
        let wants: Vec<Want> = query
            .terms
            .iter()
            .map(|(field, op, value)| Want::of(field, *op, value))
            .collect();
        let mut total = 0;
        for run in self.runs.iter().filter(|r| r.max_time >= from) {
            let mut matched: Option<RoaringBitmap> = None;
            for want in &wants {
                let found = self.lookup(tier, run, want)?;
                matched = Some(match matched {
                    Some(m) => m & found,
                    None => found,
                });
            }
            let matched = matched.unwrap_or_default();
            if run.min_time >= from {
                total += matched.len();
            } else if !matched.is_empty() {
                let times = self.times(run)?;
                total += matched
                    .iter()
                    .filter(|p| times[*p as usize] >= from)
                    .count() as u64;
            }
        }
        Ok(total)
    }

    /// The time column of a run (the blocks' columns concatenated).
    fn times(&self, run: &Run) -> anyhow::Result<Vec<i64>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT times FROM blocks WHERE org = 1 AND first_seq >= ? AND first_seq < ? ORDER BY first_seq",
        )?;
        let mut rows = statement.query(params![
            run.first_seq as i64,
            (run.first_seq + run.len as u64) as i64
        ])?;
        let mut out = Vec::with_capacity(run.len);
        while let Some(row) = rows.next()? {
            let raw = zstd::stream::decode_all(row.get_ref(0)?.as_blob()?)?;
            out.extend(
                raw.chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))),
            );
        }
        Ok(out)
    }

    fn bytes(&self, dir: &Path) -> anyhow::Result<(u64, u64)> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
        let mut total = 0;
        for entry in std::fs::read_dir(dir)? {
            total += entry?.metadata()?.len();
        }
        let table = match self.placement {
            Placement::TermRows => "term_rows",
            Placement::DbPages => "run_pages",
            Placement::SegmentFile => "run_files",
        };
        let index: i64 = self
            .conn
            .query_row(
                &format!("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = '{table}' OR name LIKE 'sqlite_autoindex_{table}%'"),
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        // Merged-away pages of the segment file would go with their file; count the live ones.
        let live: u64 = self
            .runs
            .iter()
            .filter_map(|r| self.directories.get(&(1, r.first_seq)))
            .flatten()
            .map(|(_, _, len)| u64::from(*len))
            .sum();
        let dead = self.file_len.saturating_sub(live);
        Ok((total - dead, index as u64 + live))
    }
}

/// Appends pages to the segment file and makes them durable; returns their directory.
fn append_file(
    file: &mut std::fs::File,
    file_len: &mut u64,
    pages: &[(String, Vec<u8>)],
) -> anyhow::Result<Directory> {
    let mut directory = Vec::with_capacity(pages.len());
    for (first, page) in pages {
        file.write_all(page)?;
        directory.push((first.clone(), *file_len, page.len() as u32));
        *file_len += page.len() as u64;
    }
    file.sync_data()?;
    Ok(directory)
}

fn write_pages(
    tx: &Connection,
    tier: u32,
    first_seq: u64,
    pages: &[(String, Vec<u8>)],
) -> anyhow::Result<u64> {
    let mut insert = tx.prepare_cached("INSERT INTO run_pages VALUES (1, ?, ?, ?, ?)")?;
    for (first, page) in pages {
        insert.execute(params![tier, first_seq as i64, first, page])?;
    }
    Ok(pages.len() as u64)
}

fn store_directory(
    tx: &Connection,
    tier: u32,
    first_seq: u64,
    directory: &Directory,
) -> anyhow::Result<()> {
    let encoded = serde_json::to_vec(directory)?;
    tx.prepare_cached("INSERT INTO run_files VALUES (1, ?, ?, ?)")?
        .execute(params![tier, first_seq as i64, encoded])?;
    Ok(())
}

/// Runs the prototype on `batches` (the same events the store stages append) in `root`, checking
/// every count against `baseline`, which holds exactly these events.
pub fn measure(
    root: &Path,
    batches: &[Vec<NewEvent>],
    baseline: &Baseline,
    now: trail_core::Millis,
    runs: usize,
) -> anyhow::Result<Figures> {
    let events: Vec<&NewEvent> = batches.iter().flatten().collect();
    let org = "org_prototype";
    let started = Instant::now();
    let groups: Vec<PreparedGroup> = events
        .chunks(GROUP)
        .map(|chunk| {
            let owned: Vec<NewEvent> = chunk.iter().map(|e| (*e).clone()).collect();
            prepare(org, &owned)
        })
        .collect();
    let prepare_us_per_event = started.elapsed().as_secs_f64() * 1e6 / events.len().max(1) as f64;
    let block_bytes: usize = groups.iter().map(|g| g.block.len() + g.times.len()).sum();
    let from = ninety_days_before(now).0;
    let mut expected = Vec::with_capacity(MIX.len());
    for query in &MIX {
        expected.push(baseline.count(query, from)?);
    }
    let mut variants = Vec::new();
    for placement in [
        Placement::TermRows,
        Placement::DbPages,
        Placement::SegmentFile,
    ] {
        let dir = root.join(format!("placement-{}", placement.name().replace(' ', "-")));
        let mut variant = Variant::new(&dir, placement)?;
        let started = Instant::now();
        let (mut seq, mut prev) = (0u64, [0u8; 32]);
        for group in &groups {
            variant.write(group, seq, &mut prev)?;
            seq += group.len as u64;
        }
        let writer_seconds = started.elapsed().as_secs_f64();
        let time_mix = |variant: &Variant, tier: u32| -> anyhow::Result<Latency> {
            let mut samples = Vec::new();
            for _ in 0..runs.max(1) {
                for (query, expected) in MIX.iter().zip(&expected) {
                    let started = Instant::now();
                    let count = variant.count(tier, query, from)?;
                    samples.push(started.elapsed().as_secs_f64() * 1e3);
                    anyhow::ensure!(
                        count == *expected,
                        "{}: {} counts {count}, the baseline {expected}",
                        placement.name(),
                        query.text
                    );
                }
            }
            Ok(Latency::of(samples))
        };
        let count_unmerged = time_mix(&variant, 0)?;
        let runs_unmerged = variant.runs.len();
        let started = Instant::now();
        variant.merge()?;
        let merge_us_per_event = started.elapsed().as_secs_f64() * 1e6 / seq.max(1) as f64;
        let count_merged = time_mix(&variant, 1)?;
        let (bytes, index_bytes) = variant.bytes(&dir)?;
        variants.push(VariantFigures {
            placement: placement.name(),
            events: seq,
            writer_per_second: seq as f64 / writer_seconds.max(1e-9),
            rows_per_event: variant.rows as f64 / seq.max(1) as f64,
            bytes_per_event: bytes as f64 / seq.max(1) as f64,
            index_bytes_per_event: index_bytes as f64 / seq.max(1) as f64,
            count_unmerged,
            runs_unmerged,
            count_merged,
            runs_merged: variant.runs.len(),
            merge_us_per_event,
        });
    }
    Ok(Figures {
        prepare_us_per_event,
        block_bytes_per_event: block_bytes as f64 / events.len().max(1) as f64,
        variants,
    })
}
