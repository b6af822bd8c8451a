//! RFC 6962 reference vectors, transcribed from transparency-dev/merkle (Apache-2.0):
//! `testonly/constants.go` (the classic 8-leaf tree: node hashes, roots, compact ranges),
//! `proof/verify_test.go` (known inclusion and consistency proofs and the corruptions a verifier
//! must reject) and `proof/proof_test.go` (which stored nodes a proof is made of).

use trail_core::canonical::leaf_hash_of_bytes;
use trail_core::merkle::{
    CompactRange, EMPTY_ROOT, Hash, NodeId, ProofPlan, consistency_proof, inclusion_proof,
    verify_consistency, verify_inclusion,
};

const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// `RootHashes()`: the root at every size 1..=8.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// `NodeHashes()`: every perfect node of the 8-leaf tree, by level then index.
const NODES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// `CompactTrees()`: the compact range at sizes 1..=8 as `(level, index)` into `NODES`.
const COMPACT: [&[(usize, usize)]; 8] = [
    &[(0, 0)],
    &[(1, 0)],
    &[(1, 0), (0, 2)],
    &[(2, 0)],
    &[(2, 0), (0, 4)],
    &[(2, 0), (1, 2)],
    &[(2, 0), (1, 2), (0, 6)],
    &[(3, 0)],
];

/// `inclusionProofs` (leaf numbers there are 1-based; here 0-based indices).
#[rustfmt::skip]
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (0, 8, &[
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, &[
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
];

/// `consistencyProofs`.
#[rustfmt::skip]
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (1, 8, &[
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (6, 8, &[
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 5, &[
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
    (6, 7, &[
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
];

const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

fn h(hex_hash: &str) -> Hash {
    hex::decode(hex_hash).unwrap().try_into().unwrap()
}

fn hashes(list: &[&str]) -> Vec<Hash> {
    list.iter().map(|x| h(x)).collect()
}

fn leaves() -> Vec<Hash> {
    LEAF_INPUTS
        .iter()
        .map(|x| leaf_hash_of_bytes(&hex::decode(x).unwrap()))
        .collect()
}

fn root(size: u64) -> Hash {
    if size == 0 {
        EMPTY_ROOT
    } else {
        h(ROOTS[size as usize - 1])
    }
}

fn stored_node(id: NodeId) -> Result<Hash, NodeId> {
    NODES
        .get(id.level as usize)
        .and_then(|level| level.get(id.index as usize))
        .map(|x| h(x))
        .ok_or(id)
}

#[test]
fn compact_range_reproduces_roots_nodes_and_frontiers() {
    let mut range = CompactRange::new();
    assert_eq!(range.root(), EMPTY_ROOT);
    for (i, leaf) in leaves().into_iter().enumerate() {
        range.push_with(leaf, |id, hash| {
            assert_eq!(Ok(*hash), stored_node(id), "{id:?}")
        });
        assert_eq!(range.root(), h(ROOTS[i]), "root at size {}", i + 1);
        let frontier: Vec<Hash> = COMPACT[i].iter().map(|&(l, n)| h(NODES[l][n])).collect();
        assert_eq!(
            range.hashes(),
            frontier.as_slice(),
            "compact range at size {}",
            i + 1
        );
    }
}

#[test]
fn known_inclusion_proofs_are_generated_and_verify() {
    for (index, size, proof) in INCLUSION {
        let proof = hashes(proof);
        assert_eq!(
            inclusion_proof(&stored_node, index, size).unwrap(),
            proof,
            "{index} in {size}"
        );
        let leaf = leaves()[index as usize];
        assert_eq!(
            verify_inclusion(&leaf, index, size, &proof, &root(size)),
            Ok(())
        );
        for (what, (i, s, l, p, r)) in inclusion_corruptions(index, size, leaf, &proof) {
            assert!(
                verify_inclusion(&l, i, s, &p, &r).is_err(),
                "{what} accepted for {index} in {size}"
            );
        }
    }
}

#[test]
fn known_consistency_proofs_are_generated_and_verify() {
    for (from, to, proof) in CONSISTENCY {
        let proof = hashes(proof);
        assert_eq!(
            consistency_proof(&stored_node, from, to).unwrap(),
            proof,
            "{from} to {to}"
        );
        assert_eq!(
            verify_consistency(from, to, &proof, &root(from), &root(to)),
            Ok(())
        );
        if proof.is_empty() {
            continue;
        }
        for (what, (f, t, p, r1, r2)) in consistency_corruptions(from, to, &proof) {
            assert!(
                verify_consistency(f, t, &p, &r1, &r2).is_err(),
                "{what} accepted for {from} to {to}"
            );
        }
    }
}

type InclusionProbe = (u64, u64, Hash, Vec<Hash>, Hash);

/// `corruptInclusionProof` (a Go `[]byte{}` of the wrong length has no counterpart in `[u8; 32]`).
fn inclusion_corruptions(
    index: u64,
    size: u64,
    leaf: Hash,
    proof: &[Hash],
) -> Vec<(String, InclusionProbe)> {
    let (root, some, p) = (root(size), h(SOME_HASH), || proof.to_vec());
    let wrong_leaf = leaf_hash_of_bytes(b"WrongLeaf");
    let mut probes: Vec<(String, InclusionProbe)> = [
        ("index - 1", (index.wrapping_sub(1), size, leaf, p(), root)),
        ("index + 1", (index + 1, size, leaf, p(), root)),
        ("index ^ 2", (index ^ 2, size, leaf, p(), root)),
        ("size * 2", (index, size * 2, leaf, p(), root)),
        ("size / 2", (index, size / 2, leaf, p(), root)),
        ("wrong leaf", (index, size, wrong_leaf, p(), root)),
        ("empty root", (index, size, leaf, p(), EMPTY_ROOT)),
        ("random root", (index, size, leaf, p(), some)),
        (
            "trailing root",
            (index, size, leaf, [proof, &[root]].concat(), root),
        ),
        (
            "preceding root",
            (index, size, leaf, [&[root], proof].concat(), root),
        ),
    ]
    .map(|(what, probe)| (what.to_owned(), probe))
    .into();
    for i in 0..proof.len() {
        let mut bad = p();
        bad[i][0] ^= 8;
        let what = format!("modified proof[{i}] bit 3");
        probes.push((what, (index, size, leaf, bad, root)));
    }
    if let Some((_, shorter)) = proof.split_last() {
        let probe = (index, size, leaf, shorter.to_vec(), root);
        probes.push(("removed component".into(), probe));
    }
    if proof.len() > 1 {
        let inserted = [&[proof[0], some], &proof[1..]].concat();
        probes.push((
            "inserted component".into(),
            (index, size, leaf, inserted, root),
        ));
    }
    probes
}

type ConsistencyProbe = (u64, u64, Vec<Hash>, Hash, Hash);

/// `corruptConsistencyProof`.
fn consistency_corruptions(from: u64, to: u64, proof: &[Hash]) -> Vec<(String, ConsistencyProbe)> {
    let (r1, r2, wrong) = (root(from), root(to), leaf_hash_of_bytes(b"WrongRoot"));
    let p = || proof.to_vec();
    let mut probes: Vec<(String, ConsistencyProbe)> = [
        ("from - 1", (from - 1, to, p(), r1, r2)),
        ("from + 1", (from + 1, to, p(), r1, r2)),
        ("from ^ 2", (from ^ 2, to, p(), r1, r2)),
        ("to * 2", (from, to * 2, p(), r1, r2)),
        ("to / 2", (from, to / 2, p(), r1, r2)),
        ("wrong root1", (from, to, p(), wrong, r2)),
        ("wrong root2", (from, to, p(), r1, wrong)),
        ("swapped roots", (from, to, p(), r2, r1)),
        ("empty proof", (from, to, vec![], r1, r2)),
        (
            "trailing root1",
            (from, to, [proof, &[r1]].concat(), r1, r2),
        ),
        (
            "trailing root2",
            (from, to, [proof, &[r2]].concat(), r1, r2),
        ),
        (
            "preceding root1",
            (from, to, [&[r1], proof].concat(), r1, r2),
        ),
        (
            "preceding root2",
            (from, to, [&[r2], proof].concat(), r1, r2),
        ),
        (
            "preceding proof[0]",
            (from, to, [&[proof[0]], proof].concat(), r1, r2),
        ),
        (
            "truncated proof",
            (from, to, proof[..proof.len() - 1].to_vec(), r1, r2),
        ),
    ]
    .map(|(what, probe)| (what.to_owned(), probe))
    .into();
    for i in 0..proof.len() {
        let mut bad = p();
        bad[i][0] ^= 16;
        probes.push((
            format!("modified proof[{i}] bit 4"),
            (from, to, bad, r1, r2),
        ));
    }
    probes
}

fn ids(list: &[(u32, u64)]) -> Vec<NodeId> {
    list.iter()
        .map(|&(level, index)| NodeId::new(level, index))
        .collect()
}

/// `(size or size1, index or size2, nodes as (level, index), rehash range)`.
type PlanVector = (u64, u64, &'static [(u32, u64)], (usize, usize));

/// `TestInclusion`: `(size, index, nodes, rehash range)`.
#[rustfmt::skip]
const INCLUSION_PLANS: &[PlanVector] = &[
    (1, 0, &[], (0, 0)),
    (2, 0, &[(0, 1)], (0, 0)),
    (2, 1, &[(0, 0)], (0, 0)),
    (3, 1, &[(0, 0), (0, 2)], (0, 0)),
    (7, 0, &[(0, 1), (1, 1), (0, 6), (1, 2)], (2, 4)),
    (7, 1, &[(0, 0), (1, 1), (0, 6), (1, 2)], (2, 4)),
    (7, 2, &[(0, 3), (1, 0), (0, 6), (1, 2)], (2, 4)),
    (7, 3, &[(0, 2), (1, 0), (0, 6), (1, 2)], (2, 4)),
    (7, 4, &[(0, 5), (0, 6), (2, 0)], (0, 0)),
    (7, 5, &[(0, 4), (0, 6), (2, 0)], (0, 0)),
    (7, 6, &[(1, 2), (2, 0)], (0, 0)),
    (4, 2, &[(0, 3), (1, 0)], (0, 0)),
    (5, 3, &[(0, 2), (1, 0), (0, 4)], (0, 0)),
    (6, 3, &[(0, 2), (1, 0), (1, 2)], (0, 0)),
    (6, 4, &[(0, 5), (2, 0)], (0, 0)),
    (15, 10, &[(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)], (2, 4)),
    (31, 24, &[(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)], (2, 4)),
    (95, 81, &[(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], (3, 6)),
];

/// `TestConsistency`: `(size1, size2, nodes, rehash range)`.
#[rustfmt::skip]
const CONSISTENCY_PLANS: &[PlanVector] = &[
    (1, 2, &[(0, 1)], (0, 0)),
    (1, 4, &[(0, 1), (1, 1)], (0, 0)),
    (1, 6, &[(0, 1), (1, 1), (1, 2)], (0, 0)),
    (2, 3, &[(0, 2)], (0, 0)),
    (2, 8, &[(1, 1), (2, 1)], (0, 0)),
    (3, 7, &[(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)], (3, 5)),
    (4, 7, &[(0, 6), (1, 2)], (0, 2)),
    (5, 7, &[(0, 4), (0, 5), (0, 6), (2, 0)], (0, 0)),
    (6, 7, &[(1, 2), (0, 6), (2, 0)], (0, 0)),
    (7, 8, &[(0, 6), (0, 7), (1, 2), (2, 0)], (0, 0)),
    (1, 1, &[], (0, 0)), (2, 2, &[], (0, 0)), (3, 3, &[], (0, 0)), (4, 4, &[], (0, 0)),
    (5, 5, &[], (0, 0)), (7, 7, &[], (0, 0)), (8, 8, &[], (0, 0)),
    (2, 4, &[(1, 1)], (0, 0)),
    (3, 5, &[(0, 2), (0, 3), (1, 0), (0, 4)], (0, 0)),
    (3, 6, &[(0, 2), (0, 3), (1, 0), (1, 2)], (0, 0)),
    (4, 6, &[(1, 2)], (0, 0)),
    (1, 7, &[(0, 1), (1, 1), (0, 6), (1, 2)], (2, 4)),
    (10, 15, &[(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)], (2, 4)),
    (24, 31, &[(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)], (1, 4)),
    (81, 95, &[(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], (4, 7)),
];

fn rehash_range(plan: &ProofPlan) -> (usize, usize) {
    let range = plan.ephemeral();
    if range.is_empty() {
        (0, 0)
    } else {
        (range.start, range.end)
    }
}

#[test]
fn proof_plans_name_the_reference_nodes() {
    for &(size, index, nodes, rehash) in INCLUSION_PLANS {
        let plan = ProofPlan::inclusion(index, size).unwrap();
        assert_eq!(plan.nodes(), ids(nodes), "inclusion {index} in {size}");
        assert_eq!(rehash_range(&plan), rehash, "inclusion {index} in {size}");
    }
    for &(from, to, nodes, rehash) in CONSISTENCY_PLANS {
        let plan = ProofPlan::consistency(from, to).unwrap();
        assert_eq!(plan.nodes(), ids(nodes), "consistency {from} to {to}");
        assert_eq!(rehash_range(&plan), rehash, "consistency {from} to {to}");
    }
    for (index, size) in [(0, 0), (1, 0), (2, 1), (3, 0), (8, 7)] {
        assert!(
            ProofPlan::inclusion(index, size).is_err(),
            "{index} in {size}"
        );
    }
    for (from, to) in [(5, 0), (9, 8)] {
        assert!(ProofPlan::consistency(from, to).is_err(), "{from} to {to}");
    }
}
