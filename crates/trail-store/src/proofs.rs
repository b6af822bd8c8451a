//! Roots and proofs of an organization's log read from any [`Store`]: each asks the store for the
//! whole proof plan's nodes in one [`Store::tree_nodes`] call and assembles the result with
//! `trail_core::merkle`.

use trail_core::merkle::{
    ConsistencyProof, EMPTY_ROOT, Hash, InclusionProof, NodeId, ProofError, ProofPlan,
};

use crate::{Result, Store, StoreError};

/// Why a root or proof could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The request does not fit the log (index past the size, sizes reversed).
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The Merkle root of the first `size` events.
pub async fn root_at(store: &dyn Store, organization_id: &str, size: u64) -> Result<Hash> {
    let plan = ProofPlan::root(size);
    let hashes = store.tree_nodes(organization_id, plan.nodes()).await?;
    let folded = plan
        .assemble(&hashes)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok(folded.first().copied().unwrap_or(EMPTY_ROOT))
}

/// The inclusion proof of event `seq` in the tree of `tree_size` events.
pub async fn inclusion_proof(
    store: &dyn Store,
    organization_id: &str,
    seq: u64,
    tree_size: u64,
) -> Result<InclusionProof, ProveError> {
    let plan = ProofPlan::inclusion(seq, tree_size)?;
    let ids: Vec<NodeId> = [NodeId::new(0, seq)]
        .into_iter()
        .chain(plan.nodes().iter().copied())
        .collect();
    let hashes = store.tree_nodes(organization_id, &ids).await?;
    let (leaf_hash, path) = hashes
        .split_first()
        .ok_or_else(|| StoreError::Internal("the store returned no nodes".into()))?;
    Ok(InclusionProof {
        seq,
        tree_size,
        leaf_hash: *leaf_hash,
        path: plan.assemble(path)?,
    })
}

/// The consistency proof from the tree of `from` events to the tree of `to` events.
pub async fn consistency_proof(
    store: &dyn Store,
    organization_id: &str,
    from: u64,
    to: u64,
) -> Result<ConsistencyProof, ProveError> {
    let plan = ProofPlan::consistency(from, to)?;
    let hashes = store.tree_nodes(organization_id, plan.nodes()).await?;
    Ok(ConsistencyProof {
        from,
        to,
        path: plan.assemble(&hashes)?,
    })
}
