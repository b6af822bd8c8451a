//! The block log (storage engine v2): consecutive events of one organization stored as one row of
//! `blocks` — their canonical leaf bytes cut where `prev` and `seq` go (zstd), their leaf hashes
//! and their `occurred_at` — and an event read back from those bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use trail_core::event::Event;
use trail_core::merkle::Hash;

use super::cache::ByteLru;
use super::schema::internal;
use crate::{Result, StoreError};

/// At most this many events per block: small enough that reading one event decompresses little.
pub(super) const BLOCK_EVENTS: usize = 256;

/// zstd level of the event bytes.
const LEVEL: i32 = 3;

/// One event's canonical bytes as the block keeps them.
pub(super) struct BlockEvent<'a> {
    pub bytes: &'a [u8],
    pub prev_at: usize,
    pub seq_at: usize,
    pub hash: Hash,
    pub occurred_at: i64,
}

/// Writes `events`, the consecutive events from `first_seq`, as one block row.
pub(super) fn insert(
    conn: &Connection,
    org: i64,
    first_seq: u64,
    events: &[BlockEvent<'_>],
) -> Result<()> {
    let compressed = compress(events.iter().map(|e| (e.bytes, e.prev_at, e.seq_at)))?;
    insert_compressed(conn, org, first_seq, events, &compressed)
}

/// The compressed bytes of a block holding `events` (canonical bytes and where `prev` and `seq`
/// go): independent of the events' place in the log, so a request's blocks can be compressed
/// before it reaches the writer.
pub(super) fn compress<'a>(
    events: impl Iterator<Item = (&'a [u8], usize, usize)>,
) -> Result<Vec<u8>> {
    let mut raw = Vec::new();
    for (bytes, prev_at, seq_at) in events {
        for n in [bytes.len(), prev_at, seq_at] {
            raw.extend_from_slice(&(n as u32).to_le_bytes());
        }
        raw.extend_from_slice(bytes);
    }
    zstd::bulk::compress(&raw, LEVEL)
        .map_err(|e| StoreError::Internal(format!("cannot compress a block: {e}")))
}

/// Writes the block of `events` from `first_seq` whose event bytes [`compress`] gave.
pub(super) fn insert_compressed(
    conn: &Connection,
    org: i64,
    first_seq: u64,
    events: &[BlockEvent<'_>],
    compressed: &[u8],
) -> Result<()> {
    let mut hashes = Vec::with_capacity(events.len() * 32);
    let mut times = Vec::with_capacity(events.len() * 8);
    let (mut min_time, mut max_time) = (i64::MAX, i64::MIN);
    for event in events {
        hashes.extend_from_slice(&event.hash);
        times.extend_from_slice(&event.occurred_at.to_le_bytes());
        min_time = min_time.min(event.occurred_at);
        max_time = max_time.max(event.occurred_at);
    }
    conn.prepare_cached(
        "INSERT INTO blocks (org, first_seq, count, min_time, max_time, times, hashes, events) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            org,
            first_seq as i64,
            events.len() as i64,
            min_time,
            max_time,
            times,
            hashes,
            compressed
        ])
    })
    .map_err(internal)?;
    Ok(())
}

/// A block's place and time bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BlockMeta {
    pub first_seq: u64,
    pub count: u64,
    pub min_time: i64,
    pub max_time: i64,
}

impl BlockMeta {
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.count
    }
}

/// The blocks of the organization from `first_seq` on, in seq order.
fn metas_from(conn: &Connection, org: i64, first_seq: u64) -> Result<Vec<BlockMeta>> {
    let mut statement = conn
        .prepare_cached(
            "SELECT first_seq, count, min_time, max_time FROM blocks \
             WHERE org = ? AND first_seq >= ? ORDER BY first_seq",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map(params![org, first_seq as i64], |r| {
            Ok(BlockMeta {
                first_seq: r.get::<_, i64>(0)? as u64,
                count: r.get::<_, i64>(1)? as u64,
                min_time: r.get(2)?,
                max_time: r.get(3)?,
            })
        })
        .map_err(internal)?;
    rows.collect::<rusqlite::Result<_>>().map_err(internal)
}

/// An organization's blocks as of some reader's snapshot, in seq order, from `retained_from` on.
pub(super) struct OrgBlocks {
    pub retained_from: u64,
    pub metas: Vec<BlockMeta>,
}

impl OrgBlocks {
    fn end_seq(&self) -> u64 {
        self.metas.last().map_or(0, BlockMeta::end_seq)
    }

    /// The blocks overlapping `[from, to)` in time, in seq order.
    pub fn overlapping(&self, from: i64, to: i64) -> Vec<BlockMeta> {
        self.metas
            .iter()
            .filter(|m| m.max_time >= from && m.min_time < to)
            .copied()
            .collect()
    }
}

/// Bytes of blocks' time columns the readers keep.
const TIMES_CACHE_BYTES: usize = 16 << 20;

/// Bytes of decompressed blocks the readers keep: about 300 blocks of 256 events, the newest of
/// which hold the first page of most searches.
const BLOCK_CACHE_BYTES: usize = 64 << 20;

/// What the readers keep of the block log: each organization's block directory (place and time
/// bounds of every block: 32 bytes per block, 1.25 MB for ten million events) and the time
/// columns read last.
///
/// The log only grows at its end, and only retention removes or rewrites blocks (a prefix of
/// them), which moves `retained_from`. So a directory read in one snapshot is valid in a later
/// one with the same `retained_from` once the blocks written since are appended: each read asks
/// the database only for the blocks after the last one known (one keyed range query, usually
/// empty). A directory from a later snapshot than the reader's holds blocks the reader cannot
/// see; those hold no seq of the reader's runs, so no query selects from them.
pub(super) struct BlockDirectories {
    orgs: Mutex<HashMap<i64, Arc<OrgBlocks>>>,
    times: ByteLru<(i64, u64), Vec<i64>>,
    /// Decoded blocks by organization, first seq and count: the events at given seqs never
    /// change (retention rewrites the block holding its cut under another first seq).
    decoded: ByteLru<(i64, u64, u64), Block>,
}

impl Default for BlockDirectories {
    fn default() -> Self {
        BlockDirectories {
            orgs: Mutex::default(),
            times: ByteLru::new(TIMES_CACHE_BYTES),
            decoded: ByteLru::new(BLOCK_CACHE_BYTES),
        }
    }
}

impl BlockDirectories {
    /// The organization's blocks in the reader's snapshot, whose first retained seq is
    /// `retained_from`.
    pub fn get(&self, conn: &Connection, org: i64, retained_from: u64) -> Result<Arc<OrgBlocks>> {
        let cached = self
            .orgs
            .lock()
            .expect("cache lock")
            .get(&org)
            .filter(|c| c.retained_from == retained_from)
            .cloned();
        let after = cached.as_ref().map_or(0, |c| c.end_seq());
        let fresh = metas_from(conn, org, after)?;
        let mut metas = match cached {
            Some(cached) if fresh.is_empty() => return Ok(cached),
            Some(cached) => cached.metas.clone(),
            None => Vec::new(),
        };
        metas.extend(fresh.into_iter().filter(|m| m.end_seq() > retained_from));
        let blocks = Arc::new(OrgBlocks {
            retained_from,
            metas,
        });
        let mut orgs = self.orgs.lock().expect("cache lock");
        let newer = orgs.get(&org).is_none_or(|c| {
            (c.retained_from, c.end_seq()) <= (blocks.retained_from, blocks.end_seq())
        });
        if newer {
            orgs.insert(org, Arc::clone(&blocks));
        }
        Ok(blocks)
    }

    /// The block `meta`, decoded.
    pub fn block(&self, conn: &Connection, org: i64, meta: &BlockMeta) -> Result<Arc<Block>> {
        let key = (org, meta.first_seq, meta.count);
        if let Some(found) = self.decoded.get(&key) {
            return Ok(found);
        }
        let block = Arc::new(Block::read(conn, org, meta.first_seq)?);
        if block.meta.count == meta.count {
            let bytes = block.raw.len() + block.hashes.len() + 16 * block.offsets.len() + 128;
            self.decoded.insert(key, Arc::clone(&block), bytes);
        }
        Ok(block)
    }

    /// The `occurred_at` of each event of the block `meta`.
    pub fn times(&self, conn: &Connection, org: i64, meta: &BlockMeta) -> Result<Arc<Vec<i64>>> {
        let key = (org, meta.first_seq);
        if let Some(found) = self
            .times
            .get(&key)
            .filter(|t| t.len() as u64 == meta.count)
        {
            return Ok(found);
        }
        let times = Arc::new(times(conn, org, meta.first_seq)?);
        if times.len() as u64 != meta.count {
            return Err(StoreError::Internal(format!(
                "block {} is malformed",
                meta.first_seq
            )));
        }
        self.times
            .insert(key, Arc::clone(&times), times.len() * 8 + 64);
        Ok(times)
    }
}

/// The block holding `seq`, if any.
pub(super) fn meta_holding(conn: &Connection, org: i64, seq: u64) -> Result<Option<BlockMeta>> {
    conn.prepare_cached(
        "SELECT first_seq, count, min_time, max_time FROM blocks \
         WHERE org = ? AND first_seq <= ? ORDER BY first_seq DESC LIMIT 1",
    )
    .and_then(|mut s| {
        s.query_row(params![org, seq as i64], |r| {
            Ok(BlockMeta {
                first_seq: r.get::<_, i64>(0)? as u64,
                count: r.get::<_, i64>(1)? as u64,
                min_time: r.get(2)?,
                max_time: r.get(3)?,
            })
        })
        .optional()
    })
    .map_err(internal)
    .map(|meta| meta.filter(|m| seq < m.end_seq()))
}

/// The `occurred_at` of each event of the block at `first_seq`.
pub(super) fn times(conn: &Connection, org: i64, first_seq: u64) -> Result<Vec<i64>> {
    let bytes: Vec<u8> = conn
        .prepare_cached("SELECT times FROM blocks WHERE org = ? AND first_seq = ?")
        .and_then(|mut s| s.query_row(params![org, first_seq as i64], |r| r.get(0)))
        .map_err(internal)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

/// The leaf hash of `seq` from its block, if a block holds it.
pub(super) fn leaf_hash(conn: &Connection, org: i64, seq: u64) -> Result<Option<Hash>> {
    let Some(meta) = meta_holding(conn, org, seq)? else {
        return Ok(None);
    };
    let at = ((seq - meta.first_seq) * 32) as i64;
    let hash: Vec<u8> = conn
        .prepare_cached(
            "SELECT substr(hashes, ? + 1, 32) FROM blocks WHERE org = ? AND first_seq = ?",
        )
        .and_then(|mut s| s.query_row(params![at, org, meta.first_seq as i64], |r| r.get(0)))
        .map_err(internal)?;
    hash.try_into()
        .map(Some)
        .map_err(|_| StoreError::Internal("a stored leaf hash is not 32 bytes".into()))
}

/// The seq and leaf hash of the organization's last stored event.
pub(super) fn last_leaf(conn: &Connection, org: i64) -> Result<Option<(u64, Hash)>> {
    let last: Option<(i64, i64, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT first_seq, count, substr(hashes, -32, 32) FROM blocks WHERE org = ? \
             ORDER BY first_seq DESC LIMIT 1",
        )
        .and_then(|mut s| {
            s.query_row([org], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(internal)?;
    last.map(|(first, count, hash)| {
        let hash: Hash = hash
            .try_into()
            .map_err(|_| StoreError::Internal("a stored leaf hash is not 32 bytes".into()))?;
        Ok(((first + count - 1) as u64, hash))
    })
    .transpose()
}

/// A block read back: its events' canonical bytes, hashes and times.
pub(super) struct Block {
    pub meta: BlockMeta,
    pub times: Vec<i64>,
    hashes: Vec<u8>,
    raw: Vec<u8>,
    /// Where each event's header starts in `raw`.
    offsets: Vec<usize>,
}

impl Block {
    pub fn read(conn: &Connection, org: i64, first_seq: u64) -> Result<Block> {
        Block::read_into(conn, org, first_seq, Vec::new())
    }

    /// [`Block::read`], decompressing into `buffer` (a previous block's, from
    /// [`Block::into_buffer`]): a scan of many blocks then touches no fresh memory per block.
    pub fn read_into(
        conn: &Connection,
        org: i64,
        first_seq: u64,
        buffer: Vec<u8>,
    ) -> Result<Block> {
        let (meta, times, hashes, compressed): (BlockMeta, Vec<u8>, Vec<u8>, Vec<u8>) = conn
            .prepare_cached(
                "SELECT first_seq, count, min_time, max_time, times, hashes, events FROM blocks \
                 WHERE org = ? AND first_seq = ?",
            )
            .and_then(|mut s| {
                s.query_row(params![org, first_seq as i64], |r| {
                    Ok((
                        BlockMeta {
                            first_seq: r.get::<_, i64>(0)? as u64,
                            count: r.get::<_, i64>(1)? as u64,
                            min_time: r.get(2)?,
                            max_time: r.get(3)?,
                        },
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
            })
            .map_err(internal)?;
        Block::decode(meta, &times, hashes, &compressed, buffer)
    }

    /// The buffer holding the block's decompressed bytes, for the next [`Block::read_into`].
    pub fn into_buffer(self) -> Vec<u8> {
        self.raw
    }

    fn decode(
        meta: BlockMeta,
        times: &[u8],
        hashes: Vec<u8>,
        compressed: &[u8],
        buffer: Vec<u8>,
    ) -> Result<Block> {
        let bad = || StoreError::Internal(format!("block {} is malformed", meta.first_seq));
        let raw = decompress(compressed, buffer).ok_or_else(bad)?;
        let mut offsets = Vec::with_capacity(meta.count as usize);
        let mut at = 0;
        while at < raw.len() {
            offsets.push(at);
            let len = read_u32(&raw, at).ok_or_else(bad)?;
            at += 12 + len;
        }
        if at != raw.len()
            || offsets.len() as u64 != meta.count
            || hashes.len() as u64 != meta.count * 32
            || times.len() as u64 != meta.count * 8
        {
            return Err(bad());
        }
        Ok(Block {
            meta,
            times: times
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
            hashes,
            raw,
            offsets,
        })
    }

    pub fn hash(&self, index: usize) -> Hash {
        self.hashes[index * 32..index * 32 + 32]
            .try_into()
            .expect("32 bytes")
    }

    /// The canonical bytes of the event at `index` and where `prev` and `seq` go.
    pub fn parts(&self, index: usize) -> (&[u8], usize, usize) {
        let at = self.offsets[index];
        let field = |n: usize| read_u32(&self.raw, at + 4 * n).expect("checked in decode");
        let len = field(0);
        (&self.raw[at + 12..at + 12 + len], field(1), field(2))
    }

    /// The canonical leaf bytes of the event at `index` after the event whose hash is `prev`.
    pub fn leaf_bytes(&self, index: usize, prev: &Hash, out: &mut Vec<u8>) {
        let (bytes, prev_at, seq_at) = self.parts(index);
        let seq = self.meta.first_seq + index as u64;
        let mut prev_hex = [0u8; 64];
        hex::encode_to_slice(prev, &mut prev_hex).expect("64 hex digits fit 64 bytes");
        out.clear();
        out.extend_from_slice(&bytes[..prev_at]);
        out.push(b'"');
        out.extend_from_slice(&prev_hex);
        out.push(b'"');
        out.extend_from_slice(&bytes[prev_at..seq_at]);
        out.extend_from_slice(itoa_u64(seq, &mut [0u8; 20]));
        out.extend_from_slice(&bytes[seq_at..]);
    }

    /// The event at `index`, whose predecessor's leaf hash is `prev` (zeros at seq 0, which is
    /// what `GENESIS_PREV` spells).
    pub fn event(&self, index: usize, prev: &Hash) -> Result<Event> {
        let mut bytes = Vec::new();
        self.leaf_bytes(index, prev, &mut bytes);
        // The stored bytes are the event without `hash`: put it first.
        let mut json = Vec::with_capacity(bytes.len() + 80);
        json.extend_from_slice(b"{\"hash\":\"");
        json.extend_from_slice(hex::encode(self.hash(index)).as_bytes());
        json.extend_from_slice(b"\",");
        json.extend_from_slice(&bytes[1..]);
        serde_json::from_slice(&json).map_err(|e| {
            StoreError::Internal(format!(
                "stored event {} does not parse: {e}",
                self.meta.first_seq + index as u64
            ))
        })
    }
}

thread_local! {
    /// Each thread's decompression context, made once (making one costs about as much as
    /// decompressing a small block).
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// The bytes of a block's zstd frame, written into `buffer` (cleared first). `zstd::bulk::compress`
/// records their size in the frame, so they are written in one go (never zeroed first); a frame
/// without its size is streamed.
fn decompress(compressed: &[u8], mut buffer: Vec<u8>) -> Option<Vec<u8>> {
    buffer.clear();
    let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(compressed) else {
        return zstd::stream::decode_all(compressed).ok();
    };
    buffer.reserve(usize::try_from(size).ok()?);
    DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(zstd::bulk::Decompressor::new().ok()?);
        }
        let decompressor = cell.as_mut()?;
        decompressor
            .decompress_to_buffer(compressed, &mut buffer)
            .ok()
    })?;
    (buffer.len() as u64 == size).then_some(buffer)
}

/// The decimal digits of `n`, written at the end of `buf`.
fn itoa_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

fn read_u32(raw: &[u8], at: usize) -> Option<usize> {
    raw.get(at..at + 4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
}
