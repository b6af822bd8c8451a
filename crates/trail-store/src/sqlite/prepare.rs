//! Everything about a request's events that does not depend on their place in the log, computed
//! before they reach the writer thread: each event's canonical JSON split around `prev` and `seq`
//! (so that the writer only hashes), and the request's postings — every index term with the
//! positions of the events carrying it, sorted by term — so that the writer only shifts them.

use trail_core::canonical::CanonicalParts;
use trail_core::event::NewEvent;

use super::block::{self, BLOCK_EVENTS};
use crate::Result;
use crate::plan::terms;

/// A request of at least this many events has its blocks compressed before the writer: smaller
/// ones are gathered with the rest of their group into blocks the writer compresses.
const OWN_BLOCKS_FROM: usize = 64;

/// An event ready for the writer.
pub(super) struct PreparedEvent {
    pub new: NewEvent,
    pub canonical: CanonicalParts,
}

/// One request ready for the writer.
pub(super) struct PreparedBatch {
    pub events: Vec<PreparedEvent>,
    /// Term → positions in `events` (ascending), sorted by term.
    pub postings: Vec<(String, Vec<u32>)>,
    /// The events' blocks, [`BLOCK_EVENTS`] consecutive events each, compressed (empty for a
    /// small request). The writer uses them when every event of the request is appended.
    pub blocks: Vec<Vec<u8>>,
}

impl PreparedBatch {
    pub fn new(organization_id: &str, events: Vec<NewEvent>) -> Result<PreparedBatch> {
        let mut pairs: Vec<(String, u32)> = Vec::with_capacity(events.len() * 40);
        let events: Vec<PreparedEvent> = events
            .into_iter()
            .enumerate()
            .map(|(at, new)| {
                pairs.extend(terms(&new.data).into_iter().map(|t| (t, at as u32)));
                PreparedEvent {
                    canonical: CanonicalParts::new(organization_id, &new),
                    new,
                }
            })
            .collect();
        pairs.sort_unstable();
        let mut postings: Vec<(String, Vec<u32>)> = Vec::new();
        for (term, at) in pairs {
            match postings.last_mut() {
                Some((last, positions)) if *last == term => positions.push(at),
                _ => postings.push((term, vec![at])),
            }
        }
        let blocks = match events.len() >= OWN_BLOCKS_FROM {
            true => events
                .chunks(BLOCK_EVENTS)
                .map(|chunk| block::compress(chunk.iter().map(|e| e.canonical.parts())))
                .collect::<Result<_>>()?,
            false => Vec::new(),
        };
        Ok(PreparedBatch {
            events,
            postings,
            blocks,
        })
    }
}
