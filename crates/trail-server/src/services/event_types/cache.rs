//! Compiled catalogues, one per organization, cached so that validating a batch or rendering a
//! page costs no store read and no schema compilation. A change through
//! [`services::event_types`](super) or the settings invalidates its organization's entry at once;
//! on PostgreSQL another node's change is picked up within [`TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trail_core::catalogue::compiled::Catalogue;
use trail_store::{Store, StoreError};

/// How long a compiled catalogue is used before it is read again (for changes made on another
/// node; this node's own changes invalidate it at once).
pub const TTL: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct Catalogues {
    entries: Mutex<HashMap<String, (Arc<Catalogue>, Instant)>>,
}

impl std::fmt::Debug for Catalogues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogues").finish_non_exhaustive()
    }
}

impl Catalogues {
    /// The organization's compiled catalogue and validation mode.
    pub async fn get(
        &self,
        store: &dyn Store,
        organization_id: &str,
    ) -> Result<Arc<Catalogue>, StoreError> {
        if let Some((catalogue, loaded)) = self.lock().get(organization_id)
            && loaded.elapsed() < TTL
        {
            return Ok(catalogue.clone());
        }
        let (types, settings) = tokio::try_join!(
            store.list_event_types(organization_id),
            store.org_settings(organization_id)
        )?;
        let (catalogue, broken) = Catalogue::new(types, settings.event_type_validation);
        for problem in broken {
            tracing::warn!(
                organization_id,
                problem,
                "An event type does not compile and is not validated"
            );
        }
        let catalogue = Arc::new(catalogue);
        self.lock().insert(
            organization_id.to_owned(),
            (catalogue.clone(), Instant::now()),
        );
        Ok(catalogue)
    }

    /// Forgets the organization's compiled catalogue (after a change of its event types or its
    /// validation mode).
    pub fn invalidate(&self, organization_id: &str) {
        self.lock().remove(organization_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Arc<Catalogue>, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
