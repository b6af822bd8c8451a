//! Proofs as the API, exports and `trail verify` exchange them (docs/integrity.md, hex hashes):
//! inclusion `{"seq", "tree_size", "leaf_hash", "path"}` and consistency `{"from", "to", "path"}`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Hash, NodeId, NodeSource, ProofError, ProofPlan, ProveError};
use super::{verify_consistency, verify_inclusion};

/// Event `seq` is leaf `seq` of the tree of `tree_size` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub seq: u64,
    pub tree_size: u64,
    #[serde(with = "hex_hash")]
    pub leaf_hash: Hash,
    #[serde(with = "hex_path")]
    pub path: Vec<Hash>,
}

/// The tree of `from` events is a prefix of the tree of `to` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    #[serde(with = "hex_path")]
    pub path: Vec<Hash>,
}

impl InclusionProof {
    /// Reads the leaf and its audit path from `source` in one [`NodeSource::nodes`] call.
    pub fn from_source<S: NodeSource + ?Sized>(
        source: &S,
        seq: u64,
        tree_size: u64,
    ) -> Result<InclusionProof, ProveError<S::Error>> {
        let plan = ProofPlan::inclusion(seq, tree_size)?;
        let ids: Vec<NodeId> = [NodeId::new(0, seq)]
            .into_iter()
            .chain(plan.nodes().iter().copied())
            .collect();
        let hashes = source.nodes(&ids).map_err(ProveError::Source)?;
        let (leaf_hash, path) = hashes.split_first().ok_or(ProofError::WrongLength {
            expected: ids.len(),
            actual: 0,
        })?;
        Ok(InclusionProof {
            seq,
            tree_size,
            leaf_hash: *leaf_hash,
            path: plan.assemble(path)?,
        })
    }

    /// Checks the proof against the root of a checkpoint of size `tree_size`.
    pub fn verify(&self, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(&self.leaf_hash, self.seq, self.tree_size, &self.path, root)
    }
}

impl ConsistencyProof {
    /// Reads the proof from `source`.
    pub fn from_source<S: NodeSource + ?Sized>(
        source: &S,
        from: u64,
        to: u64,
    ) -> Result<ConsistencyProof, ProveError<S::Error>> {
        let path = super::consistency_proof(source, from, to)?;
        Ok(ConsistencyProof { from, to, path })
    }

    /// Checks the proof between the roots of checkpoints of sizes `from` and `to`.
    pub fn verify(&self, root1: &Hash, root2: &Hash) -> Result<(), ProofError> {
        verify_consistency(self.from, self.to, &self.path, root1, root2)
    }
}

fn decode_hash<E: serde::de::Error>(text: &str) -> Result<Hash, E> {
    let bytes = hex::decode(text).map_err(E::custom)?;
    bytes
        .try_into()
        .map_err(|_| E::custom("a hash is 64 hexadecimal digits"))
}

mod hex_hash {
    use super::*;

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(hash))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        decode_hash(&String::deserialize(d)?)
    }
}

mod hex_path {
    use super::*;

    pub fn serialize<S: Serializer>(path: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(path.iter().map(hex::encode))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| decode_hash(text))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;
    use crate::merkle::CompactRange;

    fn tree(size: u64) -> (HashMap<NodeId, Hash>, Hash) {
        let mut range = CompactRange::new();
        let mut nodes = HashMap::new();
        for i in 0..size {
            let leaf = crate::canonical::leaf_hash_of_bytes(&i.to_be_bytes());
            range.push_with(leaf, |id, hash| {
                nodes.insert(id, *hash);
            });
        }
        (nodes, range.root())
    }

    #[test]
    fn proofs_round_trip_through_the_wire_format_and_verify() {
        let (nodes, root) = tree(7);
        let source = |id: NodeId| nodes.get(&id).copied().ok_or(id);
        let proof = InclusionProof::from_source(&source, 2, 7).unwrap();
        let wire = serde_json::to_value(&proof).unwrap();
        assert_eq!(wire["seq"], 2);
        assert_eq!(wire["leaf_hash"], hex::encode(nodes[&NodeId::new(0, 2)]));
        assert_eq!(wire["path"].as_array().unwrap().len(), 3);
        let back: InclusionProof = serde_json::from_value(wire).unwrap();
        assert_eq!(back.verify(&root), Ok(()));

        let (small, root3) = tree(3);
        assert_eq!(small.get(&NodeId::new(1, 0)), nodes.get(&NodeId::new(1, 0)));
        let consistency = ConsistencyProof::from_source(&source, 3, 7).unwrap();
        let back: ConsistencyProof =
            serde_json::from_str(&serde_json::to_string(&consistency).unwrap()).unwrap();
        assert_eq!(back.verify(&root3, &root), Ok(()));
        assert_eq!(back.verify(&root, &root3), Err(ProofError::RootMismatch));
    }

    #[test]
    fn malformed_hashes_are_refused() {
        let short = json!({"seq": 0, "tree_size": 1, "leaf_hash": "abcd", "path": []});
        assert!(serde_json::from_value::<InclusionProof>(short).is_err());
        let not_hex = json!({"from": 1, "to": 2, "path": ["zz".repeat(32)]});
        assert!(serde_json::from_value::<ConsistencyProof>(not_hex).is_err());
    }
}
