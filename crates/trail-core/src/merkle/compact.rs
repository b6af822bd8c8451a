//! The compact range `[0, size)`: the roots of the perfect subtrees that tile the tree so far
//! (one per set bit of `size`, largest first). Appending is O(log n) time and memory, the root is
//! available at every size, and the state serializes so a store can keep it per organization.

use super::{EMPTY_ROOT, Hash, NodeId, fold_right_to_left, node_hash};

/// The frontier of an append-only Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    /// Left to right: the hash of the largest perfect subtree first.
    hashes: Vec<Hash>,
}

/// A stored compact range that cannot be what it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompactRangeError {
    #[error("a compact range of size {size} has {expected} hashes, not {actual}")]
    WrongHashCount {
        size: u64,
        expected: usize,
        actual: usize,
    },
    #[error("an encoded compact range is 8 bytes of size then 32 bytes per hash, not {0} bytes")]
    BadEncoding(usize),
}

/// The perfect nodes that become complete when leaf `leaf_index` is appended, bottom up: the leaf
/// itself at level 0, then one node per trailing one bit of `leaf_index`.
pub fn completed_nodes(leaf_index: u64) -> impl Iterator<Item = NodeId> {
    (0..=leaf_index.trailing_ones()).map(move |level| NodeId::new(level, leaf_index >> level))
}

impl CompactRange {
    /// The empty tree.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// Resumes from stored parts: `hashes` left to right, one per set bit of `size`.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<CompactRange, CompactRangeError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(CompactRangeError::WrongHashCount {
                size,
                expected,
                actual: hashes.len(),
            });
        }
        Ok(CompactRange { size, hashes })
    }

    /// Decodes [`CompactRange::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<CompactRange, CompactRangeError> {
        let bad = || CompactRangeError::BadEncoding(bytes.len());
        let (size, rest) = bytes.split_first_chunk::<8>().ok_or_else(bad)?;
        let (hashes, remainder) = rest.as_chunks::<32>();
        if !remainder.is_empty() {
            return Err(bad());
        }
        CompactRange::from_parts(u64::from_be_bytes(*size), hashes.to_vec())
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect subtree hashes, left to right.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// `size` as 8 big-endian bytes followed by the hashes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + 32 * self.hashes.len());
        bytes.extend_from_slice(&self.size.to_be_bytes());
        for hash in &self.hashes {
            bytes.extend_from_slice(hash);
        }
        bytes
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.push_with(leaf, |_, _| {});
    }

    /// Appends one leaf hash and reports every perfect node it completes, bottom up (the leaf
    /// itself first), so a store can write them in the same transaction as the event.
    pub fn push_with(&mut self, leaf: Hash, mut completed: impl FnMut(NodeId, &Hash)) {
        let index = self.size;
        let mut hash = leaf;
        completed(NodeId::new(0, index), &hash);
        let mut level = 0;
        while (index >> level) & 1 == 1 {
            let left = self
                .hashes
                .pop()
                .expect("a set bit of the size always has its subtree hash");
            hash = node_hash(&left, &hash);
            level += 1;
            completed(NodeId::new(level, index >> level), &hash);
        }
        self.hashes.push(hash);
        self.size = index + 1;
    }

    /// The Merkle tree hash of the leaves appended so far.
    pub fn root(&self) -> Hash {
        fold_right_to_left(self.hashes.iter().rev()).unwrap_or(EMPTY_ROOT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn leaf(i: u64) -> Hash {
        crate::canonical::leaf_hash_of_bytes(&i.to_be_bytes())
    }

    #[rstest]
    #[case(0, vec![NodeId::new(0, 0)])]
    #[case(1, vec![NodeId::new(0, 1), NodeId::new(1, 0)])]
    #[case(6, vec![NodeId::new(0, 6)])]
    #[case(7, vec![NodeId::new(0, 7), NodeId::new(1, 3), NodeId::new(2, 1), NodeId::new(3, 0)])]
    fn completed_nodes_are_the_trailing_ones(#[case] index: u64, #[case] want: Vec<NodeId>) {
        assert_eq!(completed_nodes(index).collect::<Vec<_>>(), want);
    }

    #[test]
    fn push_with_reports_exactly_the_completed_nodes_with_their_hashes() {
        let mut range = CompactRange::new();
        let mut seen = Vec::new();
        for i in 0..8 {
            let mut reported = Vec::new();
            range.push_with(leaf(i), |id, hash| reported.push((id, *hash)));
            let ids: Vec<NodeId> = reported.iter().map(|(id, _)| *id).collect();
            assert_eq!(ids, completed_nodes(i).collect::<Vec<_>>());
            seen.extend(reported);
        }
        let root = seen
            .iter()
            .find(|(id, _)| *id == NodeId::new(3, 0))
            .unwrap()
            .1;
        assert_eq!(root, range.root());
        assert_eq!(range.hashes(), &[root]);
    }

    #[test]
    fn bytes_round_trip_and_resume() {
        let mut range = CompactRange::new();
        (0..11).for_each(|i| range.push(leaf(i)));
        let mut resumed = CompactRange::from_bytes(&range.to_bytes()).unwrap();
        assert_eq!(resumed, range);
        assert_eq!(resumed.hashes().len(), 3);
        range.push(leaf(11));
        resumed.push(leaf(11));
        assert_eq!(resumed.root(), range.root());
    }

    #[rstest]
    #[case(vec![0; 7])]
    #[case(vec![0; 8 + 31])]
    #[case([3u64.to_be_bytes().as_slice(), &[0; 32]].concat())]
    fn bad_encodings_are_rejected(#[case] bytes: Vec<u8>) {
        assert!(CompactRange::from_bytes(&bytes).is_err());
    }

    #[test]
    fn empty_range_encodes_to_its_size_alone() {
        let empty = CompactRange::new();
        assert_eq!(empty.to_bytes(), vec![0; 8]);
        assert_eq!(empty.root(), EMPTY_ROOT);
        assert_eq!(
            CompactRange::from_parts(2, vec![]),
            Err(CompactRangeError::WrongHashCount {
                size: 2,
                expected: 1,
                actual: 0
            })
        );
    }
}
