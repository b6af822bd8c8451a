//! Proof verification, step for step the algorithms of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
//! (consistency), with the proof length checked first so a malformed proof says what is wrong.

use super::{EMPTY_ROOT, Hash, ProofError, node_hash};

/// Checks that `leaf` is leaf number `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = path_len(index, 0, size);
    check_len(expected, proof.len())?;
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                expected,
                actual: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `from` leaves with root `root1` is a prefix of the tree of `to` leaves
/// with root `root2`.
pub fn verify_consistency(
    from: u64,
    to: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    if from > to {
        return Err(ProofError::SizesReversed { from, to });
    }
    if from == 0 || from == to {
        check_len(0, proof.len())?;
        let same = if from == 0 {
            *root1 == EMPTY_ROOT
        } else {
            root1 == root2
        };
        return if same {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let level = from.trailing_zeros();
    let index = (from - 1) >> level;
    let expected = path_len(index, level, to) + usize::from(index != 0);
    check_len(expected, proof.len())?;

    // A perfect old tree is its own first proof node: the verifier already holds it as root1.
    let (seed, path) = match proof.split_first() {
        Some((first, rest)) if index != 0 => (first, rest),
        _ => (root1, proof),
    };
    let (mut fn_, mut sn) = (from - 1, to - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in path {
        if sn == 0 {
            return Err(ProofError::WrongLength {
                expected,
                actual: proof.len(),
            });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength {
            expected,
            actual: proof.len(),
        });
    }
    if fr != *root1 || sr != *root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The number of hashes on the path from node `(level, index)` to the root of a tree of `size`
/// leaves: one per level where the path still diverges from the right border, then one per
/// perfect subtree to its left on the border.
fn path_len(index: u64, level: u32, size: u64) -> usize {
    let last = (size - 1) >> level;
    let inner = u64::BITS - (index ^ last).leading_zeros();
    (inner + (index.checked_shr(inner).unwrap_or(0)).count_ones()) as usize
}

fn check_len(expected: usize, actual: usize) -> Result<(), ProofError> {
    if expected == actual {
        Ok(())
    } else {
        Err(ProofError::WrongLength { expected, actual })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::ProofPlan;

    #[test]
    fn path_len_matches_the_plans() {
        for size in 1..100u64 {
            for index in 0..size {
                let plan = ProofPlan::inclusion(index, size).unwrap();
                let proof_len = plan
                    .assemble(&vec![[0; 32]; plan.nodes().len()])
                    .unwrap()
                    .len();
                assert_eq!(path_len(index, 0, size), proof_len, "{index} in {size}");
            }
        }
    }

    #[test]
    fn trivial_consistency() {
        let (a, b) = ([1; 32], [2; 32]);
        assert_eq!(verify_consistency(0, 5, &[], &EMPTY_ROOT, &b), Ok(()));
        assert_eq!(
            verify_consistency(0, 5, &[], &a, &b),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(verify_consistency(3, 3, &[], &a, &a), Ok(()));
        assert_eq!(
            verify_consistency(3, 3, &[], &a, &b),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_consistency(3, 3, &[a], &a, &a),
            Err(ProofError::WrongLength {
                expected: 0,
                actual: 1
            })
        );
        assert_eq!(
            verify_consistency(4, 3, &[], &a, &a),
            Err(ProofError::SizesReversed { from: 4, to: 3 })
        );
    }

    #[test]
    fn trivial_inclusion() {
        let leaf = [9; 32];
        assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
        assert_eq!(
            verify_inclusion(&leaf, 0, 1, &[], &[8; 32]),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_inclusion(&leaf, 1, 1, &[], &leaf),
            Err(ProofError::IndexOutOfRange { index: 1, size: 1 })
        );
    }
}
