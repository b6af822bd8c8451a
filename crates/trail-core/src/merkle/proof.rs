//! Inclusion and consistency proof generation (RFC 9162 §2.1.3.1, §2.1.4.1) from stored perfect
//! nodes only: a [`ProofPlan`] names the nodes to fetch, and hashes of the ragged right edge are
//! recomputed from them. A store can fetch a plan's nodes in one query and call
//! [`ProofPlan::assemble`], or implement [`NodeSource`] and call the helpers.

use std::ops::Range;

use super::{EMPTY_ROOT, Hash, NodeId, ProofError, fold_right_to_left};

/// Where proof generation reads perfect nodes from (a store, a map in memory, a closure).
pub trait NodeSource {
    type Error;

    /// The hash of a perfect node; level 0 is the leaf hash.
    fn node(&self, id: NodeId) -> Result<Hash, Self::Error>;

    /// The hashes of several nodes, in order. Override it to read a whole plan in one query.
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        ids.iter().map(|id| self.node(*id)).collect()
    }
}

impl<F, E> NodeSource for F
where
    F: Fn(NodeId) -> Result<Hash, E>,
{
    type Error = E;

    fn node(&self, id: NodeId) -> Result<Hash, E> {
        self(id)
    }
}

/// A proof could not be generated: the request was out of range, or the source failed.
#[derive(Debug, thiserror::Error)]
pub enum ProveError<E> {
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("reading Merkle tree nodes: {0}")]
    Source(E),
}

/// The perfect nodes a proof is made of, in proof order, with the run of them (right to left) that
/// folds into the one hash of a ragged right-edge subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPlan {
    nodes: Vec<NodeId>,
    ephemeral: Range<usize>,
}

impl ProofPlan {
    /// The audit path of leaf `index` in the tree of `size` leaves.
    pub fn inclusion(index: u64, size: u64) -> Result<ProofPlan, ProofError> {
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut plan = ProofPlan::empty();
        plan.push_path(index, 0, size);
        Ok(plan)
    }

    /// The consistency proof from the tree of `from` leaves to the tree of `to` leaves.
    pub fn consistency(from: u64, to: u64) -> Result<ProofPlan, ProofError> {
        if from > to {
            return Err(ProofError::SizesReversed { from, to });
        }
        let mut plan = ProofPlan::empty();
        if from == 0 || from == to {
            return Ok(plan);
        }
        // The old tree's rightmost perfect subtree, then its path up the new tree. When the old
        // tree is itself perfect, the verifier already knows that node: it is the old root.
        let level = from.trailing_zeros();
        let index = (from - 1) >> level;
        if index != 0 {
            plan.nodes.push(NodeId::new(level, index));
        }
        plan.push_path(index, level, to);
        Ok(plan)
    }

    /// The perfect subtrees whose fold is the root of the tree of `size` leaves.
    pub fn root(size: u64) -> ProofPlan {
        let mut plan = ProofPlan::empty();
        plan.push_ragged(0, size);
        plan.ephemeral = 0..plan.nodes.len();
        plan
    }

    /// The nodes to fetch, in order.
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// The positions in [`ProofPlan::nodes`] that fold into one proof hash (empty if none).
    pub fn ephemeral(&self) -> Range<usize> {
        self.ephemeral.clone()
    }

    /// Turns the fetched hashes of [`ProofPlan::nodes`] into the proof.
    pub fn assemble(&self, hashes: &[Hash]) -> Result<Vec<Hash>, ProofError> {
        if hashes.len() != self.nodes.len() {
            return Err(ProofError::WrongLength {
                expected: self.nodes.len(),
                actual: hashes.len(),
            });
        }
        let Range { start, end } = self.ephemeral;
        let mut proof = Vec::with_capacity(hashes.len());
        proof.extend_from_slice(&hashes[..start]);
        proof.extend(fold_right_to_left(hashes[start..end].iter()));
        proof.extend_from_slice(&hashes[end..]);
        Ok(proof)
    }

    fn empty() -> ProofPlan {
        ProofPlan {
            nodes: Vec::new(),
            ephemeral: 0..0,
        }
    }

    /// Siblings of node `(level, index)` on its way to the root of the tree of `size` leaves.
    fn push_path(&mut self, mut index: u64, mut level: u32, size: u64) {
        loop {
            let last = (size - 1) >> level;
            if last == 0 {
                return;
            }
            let sibling = index ^ 1;
            let last_is_perfect = size & ((1 << level) - 1) == 0;
            if sibling < last || (sibling == last && last_is_perfect) {
                self.nodes.push(NodeId::new(level, sibling));
            } else if sibling == last {
                let start = self.nodes.len();
                self.push_ragged(sibling << level, size);
                if self.nodes.len() - start > 1 {
                    self.ephemeral = start..self.nodes.len();
                }
            }
            index >>= 1;
            level += 1;
        }
    }

    /// The perfect subtrees tiling `[begin, end)`, right to left; `begin` is aligned to a power of
    /// two larger than the range, so they follow the set bits of its length.
    fn push_ragged(&mut self, begin: u64, end: u64) {
        let length = end - begin;
        let mut position = end;
        for level in (0..u64::BITS).filter(|level| (length >> level) & 1 == 1) {
            position -= 1 << level;
            self.nodes.push(NodeId::new(level, position >> level));
        }
    }
}

/// The audit path of leaf `index` in the tree of `size` leaves, read from `source`.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    source: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    fetch(source, &ProofPlan::inclusion(index, size)?)
}

/// The consistency proof from size `from` to size `to`, read from `source`.
pub fn consistency_proof<S: NodeSource + ?Sized>(
    source: &S,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    fetch(source, &ProofPlan::consistency(from, to)?)
}

/// The root of the tree of `size` leaves, read from `source` (any size up to the stored one).
pub fn root_at<S: NodeSource + ?Sized>(source: &S, size: u64) -> Result<Hash, S::Error> {
    let plan = ProofPlan::root(size);
    let hashes = source.nodes(plan.nodes())?;
    Ok(fold_right_to_left(hashes.iter()).unwrap_or(EMPTY_ROOT))
}

fn fetch<S: NodeSource + ?Sized>(
    source: &S,
    plan: &ProofPlan,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    let hashes = source.nodes(plan.nodes()).map_err(ProveError::Source)?;
    Ok(plan.assemble(&hashes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_only_name_perfect_nodes() {
        for size in 1..70u64 {
            let perfect = |id: &NodeId| id.end_leaf() <= size;
            for index in 0..size {
                assert!(
                    ProofPlan::inclusion(index, size)
                        .unwrap()
                        .nodes()
                        .iter()
                        .all(perfect)
                );
            }
            for from in 0..=size {
                assert!(
                    ProofPlan::consistency(from, size)
                        .unwrap()
                        .nodes()
                        .iter()
                        .all(perfect)
                );
            }
            assert!(ProofPlan::root(size).nodes().iter().all(perfect));
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        assert_eq!(
            ProofPlan::inclusion(3, 3),
            Err(ProofError::IndexOutOfRange { index: 3, size: 3 })
        );
        assert_eq!(
            ProofPlan::consistency(5, 4),
            Err(ProofError::SizesReversed { from: 5, to: 4 })
        );
        let plan = ProofPlan::inclusion(0, 4).unwrap();
        assert_eq!(
            plan.assemble(&[[0; 32]]),
            Err(ProofError::WrongLength {
                expected: 2,
                actual: 1
            })
        );
    }

    #[test]
    fn a_failing_source_is_reported_as_such() {
        let source = |_: NodeId| Err::<Hash, _>("disk on fire");
        match inclusion_proof(&source, 1, 5) {
            Err(ProveError::Source(message)) => assert_eq!(message, "disk on fire"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(root_at(&source, 0), Ok(EMPTY_ROOT));
    }
}
