//! The planner against the model: for random events and searches, the index's candidates hold
//! every match, equal them when the planner says they are exact, and `matches` on the candidates
//! gives exactly the brute-force answer.

use rand::SeedableRng;
use rand::rngs::StdRng;
use roaring::RoaringBitmap;
use trail_core::event::{Event, GENESIS_PREV};

use super::{MemoryIndex, evaluate, matches};
use crate::conformance::{random_event, random_search};

#[test]
fn index_candidates_verify_to_the_brute_force_answer() {
    let (mut searches, mut exact) = (0, 0);
    for seed in 0..32 {
        let mut rng = StdRng::seed_from_u64(1_000 + seed);
        let mut prev = GENESIS_PREV.to_owned();
        let events: Vec<Event> = (0..40)
            .map(|i| {
                let event = Event::seal("org_model", i as u64, &prev, random_event(&mut rng, i));
                prev.clone_from(&event.hash);
                event
            })
            .collect();
        let mut index = MemoryIndex::default();
        for event in &events {
            index.add(event);
        }
        let ids: Vec<String> = events.iter().map(|e| e.data.id.clone()).collect();
        for n in 0..120 {
            let search = random_search(&mut rng, &ids, events.len());
            let truth: RoaringBitmap = events
                .iter()
                .filter(|e| matches(&search.filter, e))
                .map(|e| e.seq as u32)
                .collect();
            let candidates = evaluate(&search.filter, &index);
            let context = format!("seed {seed}, search {n}: {:?}", search.filter);
            assert!(
                truth.is_subset(&candidates.positions),
                "missed matches: {context}"
            );
            if candidates.exact {
                exact += 1;
                assert_eq!(
                    candidates.positions, truth,
                    "inexact 'exact' answer: {context}"
                );
            }
            let verified: RoaringBitmap = candidates
                .positions
                .iter()
                .filter(|p| matches(&search.filter, &events[*p as usize]))
                .collect();
            assert_eq!(verified, truth, "{context}");
            searches += 1;
        }
    }
    // Most searches must be answered from the index alone, or it is not doing its job.
    assert!(
        exact * 2 > searches,
        "only {exact} of {searches} answers were exact"
    );
}
