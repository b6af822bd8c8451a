//! RFC 6962 / RFC 9162 Merkle tree maths over leaf hashes: node hashing, the incremental
//! [`CompactRange`], proof plans and generation from stored perfect subtrees, proof verification,
//! and the proofs' JSON wire format.
//!
//! Addressing: node `(level, index)` covers leaves `[index·2^level, (index+1)·2^level)`; level 0 is
//! the leaf hashes themselves (`canonical::leaf_hash`). A node is *perfect* in a tree of size `n`
//! when its whole range lies below `n`. Perfect nodes never change once complete, so a store writes
//! them as they complete (see [`CompactRange::push_with`]) and every proof is built from them alone,
//! with the ragged right edge recomputed.

mod compact;
mod proof;
#[cfg(test)]
mod proptests;
mod stride;
mod verify;
mod wire;

use sha2::{Digest, Sha256};

pub use compact::{CompactRange, CompactRangeError, completed_nodes};
pub use proof::{NodeSource, ProofPlan, ProveError, consistency_proof, inclusion_proof, root_at};
pub use stride::{Strided, is_stored, stored_cover};
pub use verify::{verify_consistency, verify_inclusion};
pub use wire::{ConsistencyProof, InclusionProof};

/// A SHA-256 digest: a leaf hash, an interior node or a root.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// A node of the tree: `(level, index)` covers leaves `[index << level, (index + 1) << level)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u32,
    pub index: u64,
}

impl NodeId {
    pub const fn new(level: u32, index: u64) -> NodeId {
        NodeId { level, index }
    }

    /// The first leaf this node covers.
    pub const fn first_leaf(self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf this node covers.
    pub const fn end_leaf(self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// Why a proof request or a proof is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {from} is larger than tree size {to}")]
    SizesReversed { from: u64, to: u64 },
    #[error("a proof for these sizes has {expected} hashes, this one has {actual}")]
    WrongLength { expected: usize, actual: usize },
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// The interior node hash `SHA-256(0x01 ‖ left ‖ right)`.
#[inline]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The Merkle tree hash of a list of leaf hashes (RFC 9162 §2.1.1); [`EMPTY_ROOT`] for none.
pub fn root_from_leaves(leaves: &[Hash]) -> Hash {
    let mut range = CompactRange::new();
    for leaf in leaves {
        range.push(*leaf);
    }
    range.root()
}

/// Folds the hashes of perfect subtrees that tile a range, listed right to left (smallest first),
/// into the hash of the range's subtree.
fn fold_right_to_left<'a>(mut hashes: impl Iterator<Item = &'a Hash>) -> Option<Hash> {
    let first = *hashes.next()?;
    Some(hashes.fold(first, |acc, left| node_hash(left, &acc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
        assert_eq!(root_from_leaves(&[]), EMPTY_ROOT);
    }

    #[test]
    fn single_leaf_tree_root_is_the_leaf() {
        assert_eq!(root_from_leaves(&[[7; 32]]), [7; 32]);
    }

    #[test]
    fn root_follows_the_rfc_split_at_the_largest_power_of_two() {
        let leaves: Vec<Hash> = (0..5u8).map(|i| [i; 32]).collect();
        let left = node_hash(
            &node_hash(&leaves[0], &leaves[1]),
            &node_hash(&leaves[2], &leaves[3]),
        );
        assert_eq!(root_from_leaves(&leaves), node_hash(&left, &leaves[4]));
    }

    #[test]
    fn node_ranges() {
        let node = NodeId::new(2, 3);
        assert_eq!((node.first_leaf(), node.end_leaf()), (12, 16));
    }
}
