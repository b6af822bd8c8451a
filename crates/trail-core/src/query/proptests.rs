//! Property tests of the query language: parsing never panics, errors point inside the query, and
//! every filter the grammar can express prints as text that parses back to it.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use proptest::prelude::*;

use super::ast::{CmpOp, Condition, Field, Filter, Matcher, Scalar};
use super::parse;
use super::values::canonical_net;
use crate::Millis;
use crate::validate::ACTOR_TYPES;

fn now() -> Millis {
    Millis::parse_rfc3339("2026-11-21T12:00:00Z").unwrap()
}

/// Any non-empty string, quotes, backslashes, stars and whitespace included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.@-]{1,12}",
        "[a-z \"\\\\*,:.<>-]{1,8}",
        proptest::collection::vec(any::<char>(), 1..8).prop_map(String::from_iter),
    ]
}

fn string_field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Action),
        Just(Field::Area),
        Just(Field::Actor),
        Just(Field::ActorId),
        Just(Field::ActorName),
        Just(Field::ActorEmail),
        Just(Field::ActorRole),
        Just(Field::Resource),
        Just(Field::ResourceType),
        Just(Field::ResourceId),
        Just(Field::ResourceName),
        Just(Field::Target),
        Just(Field::Source),
        Just(Field::Id),
        "[a-zA-Z0-9_.-]{1,10}".prop_map(Field::Metadata),
    ]
}

/// Prefix, contains and presence matchers, with values cased as the field stores them.
fn loose(fold: fn(&str) -> String) -> impl Strategy<Value = Matcher> {
    prop_oneof![
        text().prop_map(move |s| Matcher::Prefix(fold(&s))),
        text().prop_map(move |s| Matcher::Contains(fold(&s))),
        Just(Matcher::Exists),
    ]
}

fn vocabulary(words: &'static [&'static str]) -> impl Strategy<Value = Matcher> {
    prop::sample::select(words).prop_map(|w| Matcher::Eq(w.to_owned()))
}

fn ip_matcher() -> impl Strategy<Value = Matcher> {
    let v4 = any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from(n)));
    let v6 = any::<u128>().prop_map(|n| IpAddr::V6(Ipv6Addr::from(n)));
    let addr = prop_oneof![v4, v6];
    prop_oneof![
        addr.clone()
            .prop_map(|a| Matcher::Eq(a.to_canonical().to_string())),
        (addr, 0u8..=128).prop_map(|(a, len)| {
            let len = if a.is_ipv4() { len % 33 } else { len };
            Matcher::Cidr(canonical_net(IpNet::new(a, len).unwrap()))
        }),
        Just(Matcher::Exists),
    ]
}

fn op() -> impl Strategy<Value = CmpOp> {
    prop::sample::select(vec![CmpOp::Gt, CmpOp::Gte, CmpOp::Lt, CmpOp::Lte])
}

/// Mostly 1970 to 2100; sometimes any time from year 0000 to 9999.
fn instant() -> impl Strategy<Value = Millis> {
    prop_oneof![
        4 => (0i64..4_102_444_800_000).prop_map(Millis),
        1 => (-62_167_219_200_000i64..253_402_128_000_000).prop_map(Millis),
    ]
}

/// Bounded matchers (which the parser ORs into one condition) and comparison lists (which it never merges).
fn bounds(
    bounded: BoxedStrategy<Matcher>,
    cmp: BoxedStrategy<Matcher>,
) -> impl Strategy<Value = Vec<Matcher>> {
    prop_oneof![
        prop::collection::vec(prop_oneof![bounded, Just(Matcher::Exists)], 1..4),
        prop::collection::vec(cmp, 1..3),
    ]
}

fn time_matchers() -> impl Strategy<Value = Vec<Matcher>> {
    let range = (instant(), 1i64..1_000_000_000)
        .prop_map(|(a, len)| Matcher::Range(Scalar::Time(a), Scalar::Time(a.plus_ms(len))));
    let cmp = (op(), instant()).prop_map(|(op, at)| Matcher::Cmp(op, Scalar::Time(at)));
    bounds(range.boxed(), cmp.boxed())
}

fn seq_matchers() -> impl Strategy<Value = Vec<Matcher>> {
    let range = (0i64..i64::MAX, 1i64..1_000).prop_map(|(a, len)| {
        let a = a.min(i64::MAX - len);
        Matcher::Range(Scalar::Int(a), Scalar::Int(a + len))
    });
    let cmp = (op(), 0i64..=i64::MAX).prop_map(|(op, n)| Matcher::Cmp(op, Scalar::Int(n)));
    bounds(range.boxed(), cmp.boxed())
}

fn same(s: &str) -> String {
    s.to_owned()
}

fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn matchers<S: Strategy<Value = Matcher>>(s: S) -> impl Strategy<Value = Vec<Matcher>> {
    prop::collection::vec(s, 1..4)
}

fn condition() -> impl Strategy<Value = Condition> {
    let field_matchers = prop_oneof![
        string_field().prop_flat_map(|field| {
            let eq = text().prop_map(Matcher::Eq);
            (Just(field), matchers(prop_oneof![eq, loose(same)]))
        }),
        matchers(prop_oneof!["[A-Z]{2}".prop_map(Matcher::Eq), loose(upper)])
            .prop_map(|m| (Field::Country, m)),
        matchers(prop_oneof![
            vocabulary(&["success", "failure"]),
            loose(lower)
        ])
        .prop_map(|m| (Field::Outcome, m)),
        matchers(prop_oneof![vocabulary(&ACTOR_TYPES), loose(lower)])
            .prop_map(|m| (Field::ActorType, m)),
        matchers(ip_matcher()).prop_map(|m| (Field::Ip, m)),
        (
            prop_oneof![Just(Field::Occurred), Just(Field::Received)],
            time_matchers()
        ),
        seq_matchers().prop_map(|m| (Field::Seq, m)),
        text().prop_map(|s| (Field::Text, vec![Matcher::Contains(s)])),
    ];
    (field_matchers, any::<bool>()).prop_map(|((field, matchers), negated)| Condition {
        field,
        negated,
        matchers,
    })
}

/// Filters as the parser builds them: at most one mergeable condition per field and sign.
fn filter() -> impl Strategy<Value = Filter> {
    prop::collection::vec(condition(), 0..6).prop_map(|conditions| {
        let mut seen = HashSet::new();
        let conditions = conditions
            .into_iter()
            .filter(|c| {
                let never_merged = c.field == Field::Text
                    || c.matchers.iter().all(|m| matches!(m, Matcher::Cmp(..)));
                never_merged || seen.insert((c.field.clone(), c.negated))
            })
            .collect();
        Filter { conditions }
    })
}

/// Text that looks like queries: field names, operators, quotes, stars and separators.
fn query_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(Field::NAMES.to_vec()).prop_map(|n| format!("{n}:")),
        Just("-".to_owned()),
        Just(" ".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        prop::sample::select(vec!["*", ",", "..", ">=", "<", ">", "/", ":", "é"])
            .prop_map(str::to_owned),
        "[a-z0-9.]{1,6}",
        Just("2026-11-05".to_owned()),
        Just("30d".to_owned()),
        Just("10.0.0.0/8".to_owned()),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parse_never_panics(q in any::<String>()) {
        let _ = parse(&q, now());
    }

    #[test]
    fn printed_filters_parse_back(filter in filter()) {
        let text = filter.to_string();
        prop_assert_eq!(parse(&text, now()), Ok(filter), "text: {}", text);
    }

    #[test]
    fn error_columns_point_inside_the_query(q in prop_oneof![any::<String>(), query_like()]) {
        if let Err(err) = parse(&q, now()) {
            let len = q.chars().count();
            prop_assert!((1..=len + 1).contains(&err.column), "{} in {:?}", err, q);
        }
    }

    #[test]
    fn canonical_text_is_stable(q in query_like()) {
        if let Ok(filter) = parse(&q, now()) {
            let text = filter.to_string();
            prop_assert_eq!(parse(&text, now()), Ok(filter.clone()), "text: {}", text);
            prop_assert_eq!(parse(&text, now()).unwrap().to_string(), text);
        }
    }
}
