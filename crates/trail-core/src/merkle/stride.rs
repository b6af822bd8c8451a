//! Sparse node storage: a store keeps the leaves and only the perfect nodes whose level is a
//! multiple of a stride (levels 0, 4, 8, … for stride 4, about one row per 15 events), and
//! [`Strided`] serves any perfect node by folding the stored nodes of the nearest stored level
//! below it, reading everything one request needs in one [`NodeSource::nodes`] call.

use super::{Hash, NodeId, NodeSource, node_hash};

/// Whether a store with this stride keeps node `id` (leaves always; level 0 is the events' hashes).
pub fn is_stored(id: NodeId, stride: u32) -> bool {
    id.level.is_multiple_of(stride.max(1))
}

/// The stored nodes whose fold is `id`, left to right: `id` itself when it is stored, otherwise
/// its `2^(level mod stride)` descendants on the stored level below.
pub fn stored_cover(id: NodeId, stride: u32) -> impl Iterator<Item = NodeId> {
    let depth = id.level % stride.max(1);
    let level = id.level - depth;
    let first = id.index << depth;
    (first..first + (1u64 << depth)).map(move |index| NodeId::new(level, index))
}

/// Folds the hashes of a power-of-two run of sibling nodes, left to right, into their ancestor.
fn fold_perfect(hashes: &mut [Hash]) -> Hash {
    let mut width = hashes.len();
    while width > 1 {
        for i in 0..width / 2 {
            hashes[i] = node_hash(&hashes[2 * i], &hashes[2 * i + 1]);
        }
        width /= 2;
    }
    hashes[0]
}

/// A [`NodeSource`] of every perfect node over a source of the stored ones only.
#[derive(Debug, Clone)]
pub struct Strided<S> {
    stored: S,
    stride: u32,
}

impl<S: NodeSource> Strided<S> {
    /// `stored` answers for the nodes [`is_stored`] names, and nothing else is asked of it.
    pub fn new(stored: S, stride: u32) -> Strided<S> {
        Strided {
            stored,
            stride: stride.max(1),
        }
    }
}

impl<S: NodeSource> NodeSource for Strided<S> {
    type Error = S::Error;

    fn node(&self, id: NodeId) -> Result<Hash, S::Error> {
        Ok(self.nodes(&[id])?[0])
    }

    /// One call to the stored source for all of `ids`, then the folds.
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, S::Error> {
        let stored: Vec<NodeId> = ids
            .iter()
            .flat_map(|id| stored_cover(*id, self.stride))
            .collect();
        let mut hashes = self.stored.nodes(&stored)?;
        let mut start = 0;
        Ok(ids
            .iter()
            .map(|id| {
                let width = 1usize << (id.level % self.stride);
                let hash = fold_perfect(&mut hashes[start..start + width]);
                start += width;
                hash
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::HashMap;

    use super::*;
    use crate::merkle::{CompactRange, InclusionProof, root_at};

    fn full_tree(size: u64) -> (HashMap<NodeId, Hash>, Vec<Hash>) {
        let mut range = CompactRange::new();
        let mut nodes = HashMap::new();
        let mut roots = vec![range.root()];
        for i in 0..size {
            let leaf = crate::canonical::leaf_hash_of_bytes(&i.to_le_bytes());
            range.push_with(leaf, |id, hash| {
                nodes.insert(id, *hash);
            });
            roots.push(range.root());
        }
        (nodes, roots)
    }

    #[test]
    fn every_perfect_node_is_served_from_stored_levels_only() {
        let (all, _) = full_tree(300);
        for stride in [1, 2, 4, 5] {
            let calls = Cell::new(0);
            let stored = |id: NodeId| {
                assert!(is_stored(id, stride), "asked for unstored {id:?}");
                calls.set(calls.get() + 1);
                all.get(&id).copied().ok_or(id)
            };
            let source = Strided::new(stored, stride);
            for (id, hash) in &all {
                assert_eq!(source.node(*id), Ok(*hash), "{id:?} at stride {stride}");
            }
            assert!(calls.get() > 0);
        }
    }

    #[test]
    fn roots_and_proofs_match_the_full_tree() {
        let (all, roots) = full_tree(100);
        let stored = |id: NodeId| {
            if is_stored(id, 4) {
                all.get(&id).copied().ok_or(id)
            } else {
                Err(id)
            }
        };
        let source = Strided::new(stored, 4);
        for (size, root) in roots.iter().enumerate() {
            assert_eq!(root_at(&source, size as u64), Ok(*root));
        }
        let proof = InclusionProof::from_source(&source, 37, 100).unwrap();
        assert_eq!(proof.verify(&roots[100]), Ok(()));
    }

    #[test]
    fn a_batch_is_one_call_to_the_stored_source() {
        struct Counting<'a>(&'a HashMap<NodeId, Hash>, Cell<usize>);
        impl NodeSource for Counting<'_> {
            type Error = NodeId;
            fn node(&self, id: NodeId) -> Result<Hash, NodeId> {
                self.0.get(&id).copied().ok_or(id)
            }
            fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, NodeId> {
                self.1.set(self.1.get() + 1);
                ids.iter().map(|id| self.node(*id)).collect()
            }
        }
        let (all, _) = full_tree(64);
        let source = Strided::new(Counting(&all, Cell::new(0)), 4);
        let ids = [NodeId::new(3, 2), NodeId::new(6, 0), NodeId::new(0, 9)];
        let want: Vec<Hash> = ids.iter().map(|id| all[id]).collect();
        assert_eq!(source.nodes(&ids), Ok(want));
        assert_eq!(source.stored.1.get(), 1);
    }
}
