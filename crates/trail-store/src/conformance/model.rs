//! Model-based conformance: random events and random searches (every field and matcher kind,
//! negation, OR, time ranges, CIDR, free text, both orders and sort keys, any page size), and the
//! store's search pages, count and facets must equal a brute-force evaluation of
//! [`plan::matches`](crate::plan::matches) over the same stored events.
//!
//! Cases are drawn from a seeded generator so that a failure names its seed and reproduces; each
//! case is a fresh organization of the same store.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use trail_core::event::{Actor, Context, Event, EventData, Location, NewEvent, Outcome, Resource};
use trail_core::ids;
use trail_core::query::{CmpOp, Condition, Field, Filter, Matcher, Order, Scalar, Search, SortKey};

use super::fixtures::T0;
use crate::plan::{selects, string_field};
use crate::{FacetValue, Store};

/// Organizations (cases) per run, events per case, searches per case.
const CASES: u64 = 12;
const EVENTS: usize = 40;
const SEARCHES: usize = 40;

const ACTIONS: [&str; 5] = [
    "user.login",
    "user.logout",
    "scan.started",
    "scan.completed",
    "member.role_changed",
];
const ACTOR_IDS: [&str; 4] = ["usr_1", "USR_2", "alice", "svc-build"];
const ACTOR_TYPES: [&str; 3] = ["user", "api_key", "system"];
const NAMES: [&str; 2] = ["Alice Kim", "Bob"];
const EMAILS: [&str; 2] = ["alice@demo.io", "Bob@Demo.io"];
const ROLES: [&str; 2] = ["Owner", "Developer"];
const RESOURCE_TYPES: [&str; 2] = ["project", "runbook"];
const RESOURCE_IDS: [&str; 2] = ["prj_1", "PRJ_2"];
const TARGET_IDS: [&str; 2] = ["usr_9", "tgt_1"];
const SOURCES: [&str; 2] = ["api", "web_ui"];
const IPS: [&str; 5] = [
    "10.0.0.1",
    "10.0.1.7",
    "203.0.113.9",
    "2001:db8::1",
    "10.0.0.001",
];
const COUNTRIES: [&str; 3] = ["US", "TR", "JP"];
const DESCRIPTIONS: [&str; 3] = [
    "Signed in from Firefox",
    "Scan of prod deploy started",
    "Role changed to Admin",
];
const NEEDLES: [&str; 8] = [
    "login",
    "ALICE",
    "ogin",
    "scan.sta",
    "prod deploy",
    "firefox",
    "pro",
    "role chan",
];

fn pick<'a>(rng: &mut StdRng, values: &[&'a str]) -> &'a str {
    values[rng.random_range(0..values.len())]
}

fn maybe<'a>(rng: &mut StdRng, values: &[&'a str]) -> Option<&'a str> {
    rng.random_bool(0.7).then(|| pick(rng, values))
}

/// The value in a random ASCII case (queries ignore it).
fn any_case(rng: &mut StdRng, value: &str) -> String {
    value
        .chars()
        .map(|c| match rng.random_bool(0.3) {
            true => c.to_ascii_uppercase(),
            false => c,
        })
        .collect()
}

/// A value of `values` in a random ASCII case.
fn pick_cased(rng: &mut StdRng, values: &[&str]) -> String {
    let value = pick(rng, values);
    any_case(rng, value)
}

/// A random event drawn from small pools of values, so that searches match some and miss some.
pub fn random_event(rng: &mut StdRng, i: usize) -> NewEvent {
    let action = pick(rng, &ACTIONS);
    let client_id = rng.random_bool(0.3);
    let occurred_at = T0.plus_ms(rng.random_range(0..100_000));
    let resource = rng.random_bool(0.6).then(|| Resource {
        kind: pick(rng, &RESOURCE_TYPES).into(),
        id: maybe(rng, &RESOURCE_IDS).map(Into::into),
        name: rng.random_bool(0.4).then(|| "Prod deploy".into()),
    });
    let targets = (0..rng.random_range(0..3))
        .map(|_| Resource {
            kind: "user".into(),
            id: maybe(rng, &TARGET_IDS).map(Into::into),
            name: rng.random_bool(0.3).then(|| "Target One".into()),
        })
        .collect();
    let context = rng.random_bool(0.8).then(|| Context {
        ip: maybe(rng, &IPS).map(Into::into),
        user_agent: None,
        request_id: None,
        location: rng.random_bool(0.7).then(|| Location {
            country: maybe(rng, &COUNTRIES).map(Into::into),
            region: None,
            city: None,
        }),
    });
    let metadata = rng.random_bool(0.6).then(|| {
        let mut m = Map::new();
        if rng.random_bool(0.6) {
            m.insert("plan".into(), json!(pick(rng, &["pro", "Free"])));
        }
        if rng.random_bool(0.6) {
            m.insert("seats".into(), json!(rng.random_range(1..20)));
        }
        if rng.random_bool(0.4) {
            m.insert("trial".into(), json!(rng.random_bool(0.5)));
        }
        if rng.random_bool(0.2) {
            m.insert("note".into(), Value::Null);
        }
        m
    });
    NewEvent {
        data: EventData {
            id: match client_id {
                true => format!("Cli_{i}"),
                false => ids::new_event_id(),
            },
            action: action.into(),
            area: action.split('.').next().unwrap_or_default().into(),
            occurred_at,
            actor: Actor {
                id: pick(rng, &ACTOR_IDS).into(),
                kind: pick(rng, &ACTOR_TYPES).into(),
                name: maybe(rng, &NAMES).map(Into::into),
                email: maybe(rng, &EMAILS).map(Into::into),
                role: maybe(rng, &ROLES).map(Into::into),
            },
            resource,
            targets,
            source: maybe(rng, &SOURCES).map(Into::into),
            outcome: match rng.random_bool(0.7) {
                true => Outcome::Success,
                false => Outcome::Failure,
            },
            reason: None,
            description: maybe(rng, &DESCRIPTIONS).map(Into::into),
            context,
            changes: Vec::new(),
            metadata,
            trail: None,
        },
        received_at: occurred_at.plus_ms(rng.random_range(0..5_000)),
        client_id,
        occurred_at_defaulted: false,
    }
}

fn string_matcher(rng: &mut StdRng, values: &[&str]) -> Matcher {
    match rng.random_range(0..6) {
        0..=2 => Matcher::Eq(pick_cased(rng, values)),
        3 => {
            let value = pick(rng, values);
            let cut = rng.random_range(1..=value.len());
            Matcher::Prefix(any_case(rng, &value[..cut]))
        }
        4 => Matcher::Contains(pick_cased(rng, &["li", "a", "_1", "."])),
        _ => Matcher::Exists,
    }
}

fn time(rng: &mut StdRng) -> Scalar {
    Scalar::Time(T0.plus_ms(rng.random_range(0..100_000)))
}

fn op(rng: &mut StdRng) -> CmpOp {
    [CmpOp::Gt, CmpOp::Gte, CmpOp::Lt, CmpOp::Lte][rng.random_range(0..4)]
}

fn random_condition(rng: &mut StdRng, ids: &[String], events: usize) -> Condition {
    let (field, values): (Field, &[&str]) = match rng.random_range(0..22) {
        0 => (Field::Action, &ACTIONS),
        1 => (Field::Area, &["user", "scan", "member"]),
        2 => (Field::Outcome, &["success", "failure"]),
        3 => (Field::ActorType, &ACTOR_TYPES),
        4 => (Field::ActorRole, &ROLES),
        5 => (Field::ResourceType, &RESOURCE_TYPES),
        6 => (Field::Source, &SOURCES),
        7 => (Field::Country, &COUNTRIES),
        8 => (
            Field::Actor,
            &["usr_1", "alice", "bob", "Alice Kim", "bob@demo.io"],
        ),
        9 => (Field::ActorId, &ACTOR_IDS),
        10 => (Field::ActorName, &NAMES),
        11 => (Field::ActorEmail, &EMAILS),
        12 => (Field::Resource, &["prj_1", "prod deploy", "PRJ_2"]),
        13 => (Field::ResourceId, &RESOURCE_IDS),
        14 => (Field::ResourceName, &["Prod deploy"]),
        15 => (Field::Target, &["usr_9", "tgt_1", "target one"]),
        16 => (
            Field::ActorIdOrEmail,
            &["usr_1", "alice@demo.io", "bob@demo.io"],
        ),
        17 => (Field::Ip, &[]),
        18 => (Field::Id, &[]),
        19 => (Field::Seq, &[]),
        20 => (
            Field::Metadata(pick(rng, &["plan", "seats", "trial", "note"]).into()),
            &[],
        ),
        _ => (
            [Field::Occurred, Field::Received, Field::Text][rng.random_range(0..3)].clone(),
            &[],
        ),
    };
    let matchers = (0..rng.random_range(1..=2))
        .map(|_| match &field {
            Field::Ip => match rng.random_range(0..6) {
                0 => Matcher::Eq(pick(rng, &IPS).into()),
                1 => Matcher::Cidr("10.0.0.0/16".parse().expect("a network")),
                2 => Matcher::Cidr("203.0.113.0/24".parse().expect("a network")),
                3 => Matcher::Cidr("2001:db8::/32".parse().expect("a network")),
                4 => Matcher::Prefix("10.0".into()),
                _ => Matcher::Exists,
            },
            Field::Id => match rng.random_range(0..4) {
                0 => Matcher::Prefix(pick_cased(rng, &["evt_", "cli_"])),
                1 if !ids.is_empty() => Matcher::Eq(ids[rng.random_range(0..ids.len())].clone()),
                2 if !ids.is_empty() => {
                    let id = ids[rng.random_range(0..ids.len())].clone();
                    Matcher::Eq(any_case(rng, &id))
                }
                _ => Matcher::Exists,
            },
            Field::Seq => match rng.random_bool(0.5) {
                true => Matcher::Cmp(op(rng), Scalar::Int(rng.random_range(0..events as i64))),
                false => {
                    let low = rng.random_range(0..events as i64);
                    Matcher::Range(Scalar::Int(low), Scalar::Int(low + rng.random_range(0..10)))
                }
            },
            Field::Occurred | Field::Received => match rng.random_bool(0.5) {
                true => Matcher::Cmp(op(rng), time(rng)),
                false => Matcher::Range(time(rng), time(rng)),
            },
            Field::Metadata(_) => match rng.random_range(0..7) {
                0 => Matcher::Eq(pick_cased(rng, &["pro", "free", "true", "false", "10"])),
                1 => Matcher::Cmp(op(rng), Scalar::Int(rng.random_range(0..20))),
                2 => {
                    let low = rng.random_range(0..20);
                    Matcher::Range(Scalar::Int(low), Scalar::Int(low + 5))
                }
                3 => Matcher::Prefix(pick_cased(rng, &["f", "p", "1"])),
                _ => Matcher::Exists,
            },
            Field::Text => match rng.random_range(0..4) {
                0 => Matcher::Eq(pick_cased(rng, &NEEDLES)),
                3 => Matcher::Exists,
                _ => Matcher::Contains(pick_cased(rng, &NEEDLES)),
            },
            _ => string_matcher(rng, values),
        })
        .collect();
    Condition {
        field,
        negated: rng.random_bool(0.25),
        matchers,
    }
}

/// A random search over a log of `events` events whose ids are `ids`.
pub fn random_search(rng: &mut StdRng, ids: &[String], events: usize) -> Search {
    let from = rng
        .random_bool(0.3)
        .then(|| T0.plus_ms(rng.random_range(0..60_000)));
    let to = rng
        .random_bool(0.3)
        .then(|| T0.plus_ms(rng.random_range(40_000..100_001)));
    Search {
        filter: Filter {
            conditions: (0..rng.random_range(0..=3))
                .map(|_| random_condition(rng, ids, events))
                .collect(),
        },
        from,
        to,
        order: [Order::Desc, Order::Asc][rng.random_range(0..2)],
        sort: [SortKey::OccurredAt, SortKey::Seq][rng.random_range(0..2)],
        limit: rng.random_range(1..9),
        cursor: None,
    }
}

/// The events `search` selects, in its order (brute force).
fn expected_order(search: &Search, stored: &[Event]) -> Vec<u64> {
    let mut selected: Vec<&Event> = stored.iter().filter(|e| selects(search, e)).collect();
    selected.sort_by_key(|e| match search.sort {
        SortKey::OccurredAt => (e.data.occurred_at.0, e.seq),
        SortKey::Seq => (0, e.seq),
    });
    if search.order == Order::Desc {
        selected.reverse();
    }
    selected.into_iter().map(|e| e.seq).collect()
}

/// Every page of `search`, following cursors, as seqs.
async fn walk(store: &dyn Store, org: &str, search: &Search, events: usize) -> Vec<u64> {
    let mut search = search.clone();
    let mut seqs = Vec::new();
    loop {
        let page = store.search(org, &search).await.expect("search");
        assert!(
            page.events.len() <= search.limit,
            "a page holds at most `limit` events"
        );
        seqs.extend(page.events.iter().map(|e| e.seq));
        match page.next_cursor {
            Some(cursor) => search.cursor = Some(cursor),
            None => return seqs,
        }
        assert!(seqs.len() <= events * 2, "the pages do not end");
    }
}

const FACET_FIELDS: [Field; 8] = [
    Field::Action,
    Field::Area,
    Field::Outcome,
    Field::ActorType,
    Field::ActorRole,
    Field::ResourceType,
    Field::Source,
    Field::Country,
];

fn expected_facets(
    search: &Search,
    stored: &[Event],
    field: &Field,
    limit: usize,
) -> Vec<FacetValue> {
    let mut counts: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for event in stored.iter().filter(|e| selects(search, e)) {
        if let Some(value) = string_field(field, &event.data) {
            *counts.entry(value).or_default() += 1;
        }
    }
    let mut facets: Vec<FacetValue> = counts
        .into_iter()
        .map(|(value, count)| FacetValue {
            value: value.to_owned(),
            count,
        })
        .collect();
    facets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    facets.truncate(limit);
    facets
}

pub async fn search_count_and_facets_match_a_model(store: &dyn Store) {
    for seed in 0..CASES {
        let mut rng = StdRng::seed_from_u64(seed);
        let org = store
            .create_organization(&format!("Model {seed}"))
            .await
            .expect("org")
            .id;
        let events: Vec<NewEvent> = (0..EVENTS).map(|i| random_event(&mut rng, i)).collect();
        for batch in events.chunks(EVENTS / 4) {
            store.append(&org, batch.to_vec()).await.expect("append");
        }
        let stored = store
            .events_by_seq(&org, 0, EVENTS as u64)
            .await
            .expect("read back");
        assert_eq!(stored.len(), EVENTS);
        answers_match_the_model(
            store,
            &org,
            &stored,
            &mut rng,
            SEARCHES,
            &format!("seed {seed}"),
        )
        .await;
    }
}

/// For `searches` random searches, the store's pages, count and facets over `org` equal a
/// brute-force evaluation over `stored` (the organization's events, as read back).
pub async fn answers_match_the_model(
    store: &dyn Store,
    org: &str,
    stored: &[Event],
    rng: &mut StdRng,
    searches: usize,
    case: &str,
) {
    let ids: Vec<String> = stored.iter().map(|e| e.data.id.clone()).collect();
    let events = stored.last().map_or(0, |e| e.seq as usize + 1);
    for n in 0..searches {
        let search = random_search(rng, &ids, events);
        let context = format!("{case}, search {n}: {search:?}");
        let expected = expected_order(&search, stored);
        assert_eq!(
            walk(store, org, &search, stored.len()).await,
            expected,
            "pages of {context}"
        );
        let count = store.count(org, &search).await.expect("count");
        assert_eq!(count, expected.len() as u64, "count of {context}");
        let field = &FACET_FIELDS[rng.random_range(0..FACET_FIELDS.len())];
        let limit = rng.random_range(1..6);
        let facets = store
            .facets(org, &search, field, limit)
            .await
            .expect("facets");
        assert_eq!(
            facets,
            expected_facets(&search, stored, field, limit),
            "facets of {} for {context}",
            field.name()
        );
    }
}
