//! Events and helpers the conformance tests share: a builder with sensible defaults, a small
//! varied data set for search tests, and shortcuts that fail the test with context.

use ipnet::IpNet;
use serde_json::json;
use trail_core::Millis;
use trail_core::event::{Actor, Context, EventData, Location, NewEvent, Outcome, Resource};
use trail_core::ids;
use trail_core::query::{Condition, Field, Filter, Matcher, Search};

use crate::Store;

/// 2026-01-01T00:00:00Z: every fixture time is relative to it.
pub const T0: Millis = Millis(1_767_225_600_000);

/// A minimal valid event with a server id: `user.login` by `usr_1`.
pub fn event(action: &str) -> NewEvent {
    let area = action.split('.').next().unwrap_or_default().to_owned();
    NewEvent {
        data: EventData {
            trail: None,
            id: ids::new_event_id(),
            action: action.to_owned(),
            area,
            occurred_at: T0,
            actor: Actor {
                id: "usr_1".into(),
                kind: "user".into(),
                name: None,
                email: None,
                role: None,
            },
            resource: None,
            targets: Vec::new(),
            source: None,
            outcome: Outcome::Success,
            reason: None,
            description: None,
            context: None,
            changes: Vec::new(),
            metadata: None,
        },
        received_at: T0.plus_ms(10),
        client_id: false,
        occurred_at_defaulted: false,
    }
}

/// `event(action)` with a client-chosen id.
pub fn client_event(id: &str, action: &str) -> NewEvent {
    let mut new = event(action);
    new.data.id = id.to_owned();
    new.client_id = true;
    new
}

/// `event` occurring `ms` after [`T0`] (received 10 ms later).
pub fn at(mut new: NewEvent, ms: i64) -> NewEvent {
    new.data.occurred_at = T0.plus_ms(ms);
    new.received_at = T0.plus_ms(ms + 10);
    new
}

fn resource(kind: &str, id: Option<&str>, name: Option<&str>) -> Resource {
    Resource {
        kind: kind.into(),
        id: id.map(Into::into),
        name: name.map(Into::into),
    }
}

fn actor(
    id: &str,
    kind: &str,
    name: Option<&str>,
    email: Option<&str>,
    role: Option<&str>,
) -> Actor {
    Actor {
        id: id.into(),
        kind: kind.into(),
        name: name.map(Into::into),
        email: email.map(Into::into),
        role: role.map(Into::into),
    }
}

fn context(ip: Option<&str>, country: Option<&str>) -> Option<Context> {
    Some(Context {
        ip: ip.map(Into::into),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        request_id: None,
        location: country.map(|c| Location {
            country: Some(c.into()),
            region: None,
            city: Some("Somewhere".into()),
        }),
    })
}

/// Five varied events with client ids `e1`..`e5` (seq 0..4, occurring 1..5 s after [`T0`]).
pub fn dataset() -> Vec<NewEvent> {
    let mut e1 = at(client_event("e1", "member.invited"), 1000);
    let d = &mut e1.data;
    d.area = "members".into();
    d.actor = actor(
        "usr_1",
        "user",
        Some("Alice Kim"),
        Some("alice@example.com"),
        Some("Admin"),
    );
    d.resource = Some(resource("member", Some("usr_77"), Some("Bob Ray")));
    d.targets = vec![resource("team", Some("team_3"), Some("Platform"))];
    d.source = Some("web_ui".into());
    d.context = context(Some("203.0.113.7"), Some("DE"));
    d.description = Some("Alice Kim invited Bob Ray".into());
    d.metadata = json!({"plan": "enterprise", "seats": 10, "trial": false})
        .as_object()
        .cloned();

    let mut e2 = at(client_event("e2", "member.role_changed"), 2000);
    let d = &mut e2.data;
    d.area = "members".into();
    d.actor = actor(
        "usr_2",
        "user",
        Some("Carol Diaz"),
        Some("carol@example.org"),
        Some("Member"),
    );
    d.resource = Some(resource("member", Some("usr_1"), Some("Alice Kim")));
    d.source = Some("api".into());
    d.outcome = Outcome::Failure;
    d.reason = Some("not allowed".into());
    d.context = context(Some("10.1.2.3"), Some("US"));
    d.description = Some("role changed from Developer to Admin".into());
    d.metadata = json!({"plan": "free"}).as_object().cloned();

    let mut e3 = at(client_event("e3", "scan.started"), 3000);
    let d = &mut e3.data;
    d.area = "scans".into();
    d.actor = actor("svc_scanner", "service", None, None, None);
    d.resource = Some(resource("scan", Some("scan_9"), None));
    d.context = context(Some("2001:db8::5"), None);

    let mut e4 = at(client_event("e4", "user.login"), 4000);
    let d = &mut e4.data;
    d.actor = actor(
        "usr_1",
        "user",
        Some("Alice Kim"),
        Some("alice@example.com"),
        None,
    );
    d.source = Some("web_ui".into());
    d.outcome = Outcome::Failure;
    d.context = context(Some("10.200.0.1"), Some("DE"));
    d.description = Some("Login failed: bad password".into());
    d.metadata = json!({"mfa": true}).as_object().cloned();

    let mut e5 = at(client_event("e5", "api_key.created"), 5000);
    let d = &mut e5.data;
    d.actor = actor("key_5", "api_key", Some("CI key"), None, None);
    d.resource = Some(resource("api_key", Some("key_6"), Some("Deploy")));
    d.targets = vec![
        resource("service", Some("svc_1"), Some("Billing")),
        resource("team", Some("team_3"), Some("Platform")),
    ];
    d.source = Some("background_task".into());
    d.description = Some("Created key Deploy".into());

    vec![e1, e2, e3, e4, e5]
}

/// A new organization holding [`dataset`].
pub async fn org_with_dataset(store: &dyn Store) -> String {
    let org = store
        .create_organization("Acme")
        .await
        .expect("create org")
        .id;
    store.append(&org, dataset()).await.expect("append dataset");
    org
}

/// Matcher shortcuts.
pub fn eq(v: &str) -> Matcher {
    Matcher::Eq(v.into())
}

pub fn prefix(v: &str) -> Matcher {
    Matcher::Prefix(v.into())
}

pub fn contains(v: &str) -> Matcher {
    Matcher::Contains(v.into())
}

pub fn cidr(v: &str) -> Matcher {
    Matcher::Cidr(v.parse::<IpNet>().expect("network"))
}

/// The ids of every event of [`dataset`].
pub const ALL: [&str; 5] = ["e1", "e2", "e3", "e4", "e5"];

/// One condition.
pub fn cond(field: Field, negated: bool, matchers: Vec<Matcher>) -> Condition {
    Condition {
        field,
        negated,
        matchers,
    }
}

/// A search for `conditions` returning up to 1000 events.
pub fn search_for(conditions: Vec<Condition>) -> Search {
    Search {
        filter: Filter { conditions },
        limit: 1000,
        ..Search::default()
    }
}

/// The sorted ids of every event matching `search`.
pub async fn matching_ids(store: &dyn Store, org: &str, search: &Search) -> Vec<String> {
    let page = store.search(org, search).await.expect("search");
    assert!(page.next_cursor.is_none(), "fixtures fit one page");
    let mut ids: Vec<String> = page.events.into_iter().map(|e| e.data.id).collect();
    ids.sort();
    ids
}

/// Asserts that the one condition `field [negated] matchers` selects exactly `expected`.
pub async fn assert_matches(store: &dyn Store, org: &str, condition: Condition, expected: &[&str]) {
    let description = format!("{condition:?}");
    let search = search_for(vec![condition]);
    let ids = matching_ids(store, org, &search).await;
    assert_eq!(ids, expected, "{description}");
    let count = store.count(org, &search).await.expect("count");
    assert_eq!(count, expected.len() as u64, "count of {description}");
}
