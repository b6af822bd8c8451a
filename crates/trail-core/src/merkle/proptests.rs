//! Property tests: proofs generated from stored perfect nodes equal RFC 9162's recursive
//! definitions, verify, and stop verifying when any bit changes; the compact range agrees with
//! the recursive tree hash at every size.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

/// RFC 9162 §2.1.1 MTH, written as the recursion it is.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// The largest power of two smaller than `n`.
fn split(n: usize) -> usize {
    (n - 1).next_power_of_two() >> usize::from(!(n - 1).is_power_of_two())
}

/// RFC 9162 §2.1.3.1 PATH(m, D[n]).
fn rfc_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return vec![];
    }
    let k = split(leaves.len());
    if m < k {
        [rfc_path(m, &leaves[..k]), vec![mth(&leaves[k..])]].concat()
    } else {
        [rfc_path(m - k, &leaves[k..]), vec![mth(&leaves[..k])]].concat()
    }
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b).
fn rfc_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole { vec![] } else { vec![mth(leaves)] };
    }
    let k = split(n);
    if m <= k {
        [
            rfc_subproof(m, &leaves[..k], whole),
            vec![mth(&leaves[k..])],
        ]
        .concat()
    } else {
        [
            rfc_subproof(m - k, &leaves[k..], false),
            vec![mth(&leaves[..k])],
        ]
        .concat()
    }
}

struct Tree {
    leaves: Vec<Hash>,
    /// The compact range's root at every size `0..=leaves.len()`.
    roots: Vec<Hash>,
    nodes: HashMap<NodeId, Hash>,
}

impl Tree {
    fn new(size: usize, seed: u64) -> Tree {
        let leaves: Vec<Hash> = (0..size as u64)
            .map(|i| crate::canonical::leaf_hash_of_bytes(&(seed ^ i).to_le_bytes()))
            .collect();
        let mut range = CompactRange::new();
        let mut nodes = HashMap::new();
        let mut roots = vec![range.root()];
        for leaf in &leaves {
            range.push_with(*leaf, |id, hash| {
                nodes.insert(id, *hash);
            });
            roots.push(range.root());
        }
        Tree {
            leaves,
            roots,
            nodes,
        }
    }

    fn source(&self) -> impl NodeSource<Error = NodeId> + '_ {
        |id: NodeId| self.nodes.get(&id).copied().ok_or(id)
    }
}

fn flip(proof: &[Hash], which: usize, bit: u8) -> Vec<Hash> {
    let mut bad = proof.to_vec();
    bad[which][(bit / 8) as usize % 32] ^= 1 << (bit % 8);
    bad
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn compact_range_matches_the_recursive_root(size in 0usize..300, seed: u64, at: prop::sample::Index) {
        let tree = Tree::new(size, seed);
        let at = at.index(size + 1);
        prop_assert_eq!(tree.roots[at], mth(&tree.leaves[..at]));
        prop_assert_eq!(tree.roots[size], mth(&tree.leaves));
        prop_assert_eq!(root_from_leaves(&tree.leaves), tree.roots[size]);
        for (at, root) in tree.roots.iter().enumerate() {
            prop_assert_eq!(&root_at(&tree.source(), at as u64).unwrap(), root);
        }
    }

    #[test]
    fn every_inclusion_proof_verifies(size in 1usize..300, seed: u64, pick: prop::sample::Index, bit: u8) {
        let tree = Tree::new(size, seed);
        let root = tree.roots[size];
        let sample = pick.index(size);
        prop_assert_eq!(
            inclusion_proof(&tree.source(), sample as u64, size as u64).unwrap(),
            rfc_path(sample, &tree.leaves)
        );
        for index in 0..size {
            let proof = inclusion_proof(&tree.source(), index as u64, size as u64).unwrap();
            let leaf = &tree.leaves[index];
            prop_assert_eq!(verify_inclusion(leaf, index as u64, size as u64, &proof, &root), Ok(()));
            if !proof.is_empty() {
                let bad = flip(&proof, pick.index(proof.len()), bit);
                prop_assert!(verify_inclusion(leaf, index as u64, size as u64, &bad, &root).is_err());
            }
            let mut bad_leaf = *leaf;
            bad_leaf[usize::from(bit) % 32] ^= 1;
            prop_assert!(verify_inclusion(&bad_leaf, index as u64, size as u64, &proof, &root).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies(size in 1usize..300, seed: u64, pick: prop::sample::Index, bit: u8) {
        let tree = Tree::new(size, seed);
        let root2 = tree.roots[size];
        let sample = pick.index(size) + 1;
        prop_assert_eq!(
            consistency_proof(&tree.source(), sample as u64, size as u64).unwrap(),
            rfc_subproof(sample, &tree.leaves, true)
        );
        for from in 0..=size {
            let proof = consistency_proof(&tree.source(), from as u64, size as u64).unwrap();
            let root1 = tree.roots[from];
            prop_assert_eq!(verify_consistency(from as u64, size as u64, &proof, &root1, &root2), Ok(()));
            if !proof.is_empty() {
                let bad = flip(&proof, pick.index(proof.len()), bit);
                prop_assert!(verify_consistency(from as u64, size as u64, &bad, &root1, &root2).is_err());
                prop_assert!(verify_consistency(from as u64, size as u64, &proof[1..], &root1, &root2).is_err());
                prop_assert!(verify_consistency(from as u64 + 1, size as u64, &proof, &root1, &root2).is_err());
            }
        }
    }
}
