//! The demo generator's promises: valid events, deterministic, chronological, in the past, varied.

use std::collections::HashSet;

use serde_json::Value;
use trail_core::Millis;
use trail_core::event::EventInput;
use trail_core::validate::{Limits, validate_event};

use super::generate;

fn now() -> Millis {
    Millis::parse_rfc3339("2026-11-21T10:17:42.123Z").unwrap()
}

fn events(seed: u64, count: usize) -> Vec<Value> {
    generate(seed, count, 120, now()).collect()
}

#[test]
fn ten_thousand_events_pass_validation() {
    let limits = Limits::default();
    for (i, event) in events(42, 10_000).into_iter().enumerate() {
        let input: EventInput = serde_json::from_value(event.clone())
            .unwrap_or_else(|e| panic!("event {i} does not parse: {e}\n{event:#}"));
        if let Err(errors) = validate_event(input, &limits, now()) {
            panic!("event {i} is invalid: {errors:?}\n{event:#}");
        }
    }
}

#[test]
fn same_seed_same_events_other_seed_other_events() {
    assert_eq!(events(7, 3_000), events(7, 3_000));
    assert_ne!(events(7, 500), events(8, 500));
}

#[test]
fn exact_count_with_unique_deterministic_ids() {
    for count in [0, 1, 999, 4_321] {
        let all = events(3, count);
        assert_eq!(all.len(), count);
        let ids: HashSet<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), count);
        if count > 0 {
            assert_eq!(all[0]["id"], "evt_demo_3_0");
        }
    }
}

#[test]
fn chronological_within_the_window_and_never_in_the_future() {
    let start = now().plus_ms(-120 * 86_400_000);
    let mut last = start;
    for event in events(11, 10_000) {
        let text = event["occurred_at"].as_str().unwrap();
        assert!(
            text.ends_with('Z') && text.len() == 24,
            "{text} lacks milliseconds"
        );
        let at = Millis::parse_rfc3339(text).unwrap();
        assert!(at >= last, "{text} comes before {}", last.to_rfc3339());
        assert!(at < now(), "{text} is in the future");
        last = at;
    }
}

#[test]
fn ten_thousand_events_are_varied() {
    let all = events(42, 10_000);
    let distinct = |path: &[&str]| -> HashSet<String> {
        all.iter()
            .filter_map(|e| path.iter().try_fold(e, |v, key| v.get(key)))
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let actions = distinct(&["action"]);
    assert!(
        actions.len() >= 40,
        "{} actions: {actions:?}",
        actions.len()
    );
    assert!(distinct(&["actor", "id"]).len() >= 60);
    assert!(distinct(&["source"]).len() >= 3);
    assert!(distinct(&["context", "location", "country"]).len() >= 10);
    assert_eq!(distinct(&["actor", "type"]).len(), 4);
    assert!(distinct(&["actor", "role"]).len() >= 6);
    let ipv6 = all.iter().filter(|e| {
        e["context"]["ip"]
            .as_str()
            .is_some_and(|ip| ip.contains(':'))
    });
    assert!(ipv6.count() > 100);
    let failures = all
        .iter()
        .filter(|e| e["outcome"] == "failure" && e["reason"].is_string());
    assert!(failures.count() > 50);
}

#[test]
fn weekdays_are_busier_than_weekends() {
    let mut by_weekday = [0usize; 7];
    for event in events(5, 20_000) {
        let at = Millis::parse_rfc3339(event["occurred_at"].as_str().unwrap()).unwrap();
        by_weekday[(at.0.div_euclid(86_400_000) + 3).rem_euclid(7) as usize] += 1;
    }
    let weekday_avg = by_weekday[..5].iter().sum::<usize>() / 5;
    let weekend_avg = by_weekday[5..].iter().sum::<usize>() / 2;
    assert!(weekday_avg > 2 * weekend_avg, "{by_weekday:?}");
}

#[test]
fn role_changes_describe_and_record_the_change() {
    let all = events(42, 20_000);
    let change = all
        .iter()
        .find(|e| e["action"] == "member.role_changed")
        .expect("a role change in 20,000 events");
    let description = change["description"].as_str().unwrap();
    let old = change["changes"][0]["old"].as_str().unwrap();
    let new = change["changes"][0]["new"].as_str().unwrap();
    assert_eq!(change["changes"][0]["field"], "role");
    assert!(
        description.ends_with(&format!("role from {old} to {new}")),
        "{description}"
    );
}

#[test]
fn the_starter_catalogue_covers_every_demo_action_and_its_events_pass_enforce() {
    use trail_core::catalogue::{ValidationMode, check_file, compiled::Catalogue};
    let specs = check_file(super::starter_catalogue()).expect("the starter catalogue is valid");
    let types: Vec<_> = specs
        .into_iter()
        .map(|s| s.into_event_type(1, now(), now()))
        .collect();
    let catalogued: HashSet<String> = types.iter().map(|t| t.action.clone()).collect();
    let (catalogue, broken) = Catalogue::new(types, ValidationMode::Enforce);
    assert!(broken.is_empty(), "{broken:?}");
    let mut batch = Vec::new();
    for event in events(7, 20_000) {
        let action = event["action"].as_str().unwrap().to_owned();
        assert!(
            catalogued.contains(&action),
            "`{action}` is not in the starter catalogue"
        );
        let input: EventInput = serde_json::from_value(event).unwrap();
        batch.push(validate_event(input, &Limits::default(), now()).unwrap());
    }
    catalogue
        .check_batch(&mut batch)
        .expect("the demo's events keep their types' schemas");
    let shown = catalogue.display(&batch[0].data);
    assert!(shown.catalogued && !shown.text.contains('—'), "{shown:?}");
}
