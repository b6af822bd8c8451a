//! The catalogue's cost per event: checking events against their event type's JSON Schema
//! (`enforce` mode, the starter catalogue's schemas, compiled once) and rendering their display
//! text, each against Trail's own field validation of the same events measured in the same run.

use std::time::Instant;

use trail_core::Millis;
use trail_core::catalogue::compiled::Catalogue;
use trail_core::catalogue::{ValidationMode, check_file};
use trail_core::event::{EventInput, NewEvent};
use trail_core::validate::{Limits, validate_event};

use super::report::ValidationFigures;

/// Events measured (the median of several passes over them is reported).
const EVENTS: usize = 20_000;
const PASSES: usize = 5;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub fn measure(seed: u64, now: Millis) -> anyhow::Result<ValidationFigures> {
    let specs = check_file(crate::demo::starter_catalogue())
        .map_err(|e| anyhow::anyhow!("the starter catalogue is invalid: {e:?}"))?;
    let types = specs
        .into_iter()
        .map(|s| s.into_event_type(1, now, now))
        .collect();
    let (catalogue, _) = Catalogue::new(types, ValidationMode::Enforce);
    // Only events whose type has a schema: the figure is the cost of a check that happens.
    let inputs: Vec<EventInput> = crate::demo::generate(seed, EVENTS * 8, 30, now)
        .filter(|e| {
            matches!(
                e["action"].as_str(),
                Some("member.invited" | "user.login" | "scan.started")
            )
        })
        .take(EVENTS)
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()?;
    let limits = Limits::default();
    let events: Vec<NewEvent> = inputs
        .iter()
        .map(|i| validate_event(i.clone(), &limits, now))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("a demo event is invalid: {e:?}"))?;
    let n = events.len().max(1) as f64;
    let (mut check, mut display, mut fields) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..PASSES {
        let mut batch = events.clone();
        let started = Instant::now();
        for chunk in batch.chunks_mut(1000) {
            catalogue
                .check_batch(chunk)
                .map_err(|e| anyhow::anyhow!("a demo event breaks its schema: {e:?}"))?;
        }
        check.push(started.elapsed().as_nanos() as f64 / n);

        let started = Instant::now();
        let mut bytes = 0usize;
        for event in &batch {
            bytes += catalogue.display(&event.data).text.len();
        }
        display.push(started.elapsed().as_nanos() as f64 / n);
        std::hint::black_box(bytes);

        let copies = inputs.clone();
        let started = Instant::now();
        for input in copies {
            std::hint::black_box(validate_event(input, &limits, now).ok());
        }
        fields.push(started.elapsed().as_nanos() as f64 / n);
    }
    Ok(ValidationFigures {
        events: events.len() as u64,
        schema_check_ns: median(check),
        display_ns: median(display),
        field_validation_ns: median(fields),
    })
}
