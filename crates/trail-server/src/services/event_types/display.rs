//! Events as shown: the stored event (every hashed field) with `display` beside it — the label,
//! area and rendered sentence, computed at read time from the organization's catalogue and so
//! outside the hashed leaf (docs/integrity.md "What the leaf covers").

use serde::Serialize;
use trail_core::catalogue::compiled::{Catalogue, Display};
use trail_core::event::Event;

/// An event with its read-time `display`.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub event: Event,
    pub display: Display,
}

impl Shown {
    pub fn new(catalogue: &Catalogue, event: Event) -> Shown {
        Shown {
            display: catalogue.display(&event.data),
            event,
        }
    }

    pub fn all(catalogue: &Catalogue, events: Vec<Event>) -> Vec<Shown> {
        events
            .into_iter()
            .map(|event| Shown::new(catalogue, event))
            .collect()
    }
}
