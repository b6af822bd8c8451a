//! The planner's index side: the terms an event is indexed under, and a filter turned into roaring
//! bitmap operations over any [`Postings`] (a run of storage engine v2, the in-memory tail). The
//! answer is either exact or a superset of the matches that [`matches`](super::matches) then
//! checks event by event (free-text phrases, time and numeric comparisons).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use roaring::RoaringBitmap;
use serde_json::Value;
use trail_core::event::{Event, EventData};
use trail_core::query::{CmpOp, Condition, Field, Filter, Matcher, Scalar};

use super::{number, string_field, string_matches, words};

/// The single-valued string fields and their term names.
const STRING_FIELDS: [(Field, &str); 13] = [
    (Field::Action, "action"),
    (Field::Area, "area"),
    (Field::Outcome, "outcome"),
    (Field::ActorType, "actor.type"),
    (Field::ActorRole, "actor.role"),
    (Field::ResourceType, "resource.type"),
    (Field::Source, "source"),
    (Field::Country, "country"),
    (Field::ActorId, "actor.id"),
    (Field::ActorName, "actor.name"),
    (Field::ActorEmail, "actor.email"),
    (Field::ResourceId, "resource.id"),
    (Field::ResourceName, "resource.name"),
];

/// The term name of a single-valued string field: the fields facets count.
pub fn facetable(field: &Field) -> Option<&'static str> {
    term_name(field)
}

fn term_name(field: &Field) -> Option<&'static str> {
    STRING_FIELDS
        .iter()
        .find(|(f, _)| f == field)
        .map(|(_, name)| *name)
}

/// The prefix of a term that keeps a string field's value as sent, when that is not lower case.
pub const CASED: &str = "case.";

/// A canonically spelled address (only those are matched as addresses).
pub(super) fn canonical_ip(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .filter(|addr| addr.to_string() == text)
}

/// Every term `data` is indexed under, `name=value` with the value ASCII lower-cased, and for a
/// single-valued string field whose value is not lower case, also `case.name=Value` as sent.
pub fn terms(data: &EventData) -> Vec<String> {
    let mut out = Vec::with_capacity(32);
    for (field, name) in &STRING_FIELDS {
        if let Some(value) = string_field(field, data) {
            let lowered = value.to_ascii_lowercase();
            if lowered != value {
                // The spelling as sent, for facets (which count exact values): only when it
                // differs from the lower-cased term.
                out.push(format!("{CASED}{name}={value}"));
            }
            out.push(format!("{name}={lowered}"));
        }
    }
    if !data.targets.is_empty() {
        out.push("has=targets".to_owned());
    }
    for target in &data.targets {
        for value in [&target.id, &target.name].into_iter().flatten() {
            out.push(format!("target={}", value.to_ascii_lowercase()));
        }
    }
    if let Some(addr) = data.ip().and_then(canonical_ip) {
        out.push(format!("ip={addr}"));
        if let IpAddr::V4(v4) = addr {
            let o = v4.octets();
            out.push(format!("ip/8={}", o[0]));
            out.push(format!("ip/16={}.{}", o[0], o[1]));
            out.push(format!("ip/24={}.{}.{}", o[0], o[1], o[2]));
        }
    }
    out.push(format!("id={}", data.id.to_ascii_lowercase()));
    for (key, value) in data.metadata.iter().flatten() {
        if let Some(text) = metadata_text(value) {
            out.push(format!("m.{key}={}", text.to_ascii_lowercase()));
        }
    }
    let text = data.searchable_text().to_ascii_lowercase();
    out.extend(words(&text).map(|w| format!("w={w}")));
    out.sort_unstable();
    out.dedup();
    out
}

/// A metadata value as the query language compares it: strings unquoted, other values as their
/// JSON text; `null` is absent.
pub(super) fn metadata_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Sorted term postings: what a run of the index (or the in-memory tail) offers the planner.
pub trait Postings {
    /// Every position of the run.
    fn all(&self) -> RoaringBitmap;
    /// The union of the bitmaps of the terms starting with `prefix` whose remainder satisfies `keep`.
    fn union_where(&self, prefix: &str, keep: &dyn Fn(&str) -> bool) -> RoaringBitmap;

    /// One exact term.
    fn term(&self, term: &str) -> RoaringBitmap {
        let (prefix, value) = term.split_once('=').expect("terms are name=value");
        self.union_where(&format!("{prefix}="), &|v| v == value)
    }
}

/// The in-memory postings of a set of events, positions being their `seq`.
#[derive(Debug, Default)]
pub struct MemoryIndex {
    terms: BTreeMap<String, RoaringBitmap>,
    all: RoaringBitmap,
}

impl MemoryIndex {
    pub fn add(&mut self, event: &Event) {
        let position = u32::try_from(event.seq).expect("a tail's seqs fit 32 bits");
        self.all.insert(position);
        for term in terms(&event.data) {
            self.terms.entry(term).or_default().insert(position);
        }
    }
}

impl Postings for MemoryIndex {
    fn all(&self) -> RoaringBitmap {
        self.all.clone()
    }

    fn term(&self, term: &str) -> RoaringBitmap {
        self.terms.get(term).cloned().unwrap_or_default()
    }

    fn union_where(&self, prefix: &str, keep: &dyn Fn(&str) -> bool) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        for (term, bitmap) in self.terms.range(prefix.to_owned()..) {
            let Some(value) = term.strip_prefix(prefix) else {
                break;
            };
            if keep(value) {
                out |= bitmap;
            }
        }
        out
    }
}

/// Positions that may match, and whether they are exactly the matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates {
    pub positions: RoaringBitmap,
    pub exact: bool,
}

/// `filter` over `postings`: the AND of its conditions' bitmaps.
pub fn evaluate(filter: &Filter, postings: &dyn Postings) -> Candidates {
    let mut out = Candidates {
        positions: postings.all(),
        exact: true,
    };
    for condition in &filter.conditions {
        let found = condition_bitmap(condition, postings);
        out.positions &= found.positions;
        out.exact &= found.exact;
    }
    out
}

fn condition_bitmap(condition: &Condition, postings: &dyn Postings) -> Candidates {
    let mut union = Candidates {
        positions: RoaringBitmap::new(),
        exact: true,
    };
    for matcher in &condition.matchers {
        match matcher_bitmap(&condition.field, matcher, postings) {
            Some(found) => {
                union.positions |= found.positions;
                union.exact &= found.exact;
            }
            None => {
                union = Candidates {
                    positions: postings.all(),
                    exact: false,
                };
                break;
            }
        }
    }
    match (condition.negated, union.exact) {
        (false, _) => union,
        (true, true) => Candidates {
            positions: postings.all() - union.positions,
            exact: true,
        },
        (true, false) => Candidates {
            positions: postings.all(),
            exact: false,
        },
    }
}

fn exact(positions: RoaringBitmap) -> Option<Candidates> {
    Some(Candidates {
        positions,
        exact: true,
    })
}

fn superset(positions: RoaringBitmap) -> Option<Candidates> {
    Some(Candidates {
        positions,
        exact: false,
    })
}

/// One matcher's positions; `None` when the index cannot narrow it at all.
fn matcher_bitmap(field: &Field, matcher: &Matcher, postings: &dyn Postings) -> Option<Candidates> {
    let strings =
        |name: &str| postings.union_where(&format!("{name}="), &|v| string_matches(v, matcher));
    match field {
        Field::Actor => {
            let mut found = strings("actor.id") | strings("actor.email") | strings("actor.name");
            if let Matcher::Eq(local) = matcher {
                let prefix = Matcher::Prefix(format!("{local}@"));
                found |= postings.union_where("actor.email=", &|v| string_matches(v, &prefix));
            }
            exact(found)
        }
        Field::ActorIdOrEmail => exact(strings("actor.id") | strings("actor.email")),
        Field::Resource => exact(strings("resource.id") | strings("resource.name")),
        Field::Target => match matcher {
            Matcher::Exists => exact(postings.term("has=targets")),
            _ => exact(strings("target")),
        },
        Field::Ip => ip_bitmap(matcher, postings),
        Field::Id => match matcher {
            Matcher::Eq(v) if !super::is_server_id(&v.to_ascii_lowercase()) => {
                // A client's id is compared exactly; the lower-cased term may hold other spellings.
                superset(postings.term(&format!("id={}", v.to_ascii_lowercase())))
            }
            Matcher::Exists => exact(postings.all()),
            Matcher::Eq(_) | Matcher::Prefix(_) | Matcher::Contains(_) => exact(strings("id")),
            _ => exact(RoaringBitmap::new()),
        },
        Field::Seq => seq_bitmap(matcher, postings),
        Field::Occurred | Field::Received => None,
        Field::Metadata(key) => {
            let name = format!("m.{key}");
            match matcher {
                Matcher::Cmp(_, Scalar::Int(_) | Scalar::Time(_))
                | Matcher::Range(Scalar::Int(_) | Scalar::Time(_), _) => {
                    superset(postings.union_where(&format!("{name}="), &|_| true))
                }
                _ => exact(strings(&name)),
            }
        }
        Field::Text => text_bitmap(matcher, postings),
        single => term_name(single).and_then(|name| exact(strings(name))),
    }
}

fn ip_bitmap(matcher: &Matcher, postings: &dyn Postings) -> Option<Candidates> {
    let addresses = |keep: &dyn Fn(IpAddr, &str) -> bool| {
        postings.union_where("ip=", &|v| {
            canonical_ip(v).is_some_and(|addr| keep(addr, v))
        })
    };
    match matcher {
        Matcher::Eq(v) => match v.parse::<IpAddr>() {
            Ok(wanted) => exact(postings.term(&format!("ip={}", wanted.to_canonical()))),
            Err(_) => exact(RoaringBitmap::new()),
        },
        Matcher::Cidr(IpNet::V4(net)) if matches!(net.prefix_len(), 8 | 16 | 24) => {
            let octets = net.network().octets();
            let len = usize::from(net.prefix_len() / 8);
            let value: Vec<String> = octets[..len].iter().map(u8::to_string).collect();
            exact(postings.term(&format!("ip/{}={}", net.prefix_len(), value.join("."))))
        }
        Matcher::Cidr(net) => exact(addresses(&|addr, _| net.contains(&addr))),
        Matcher::Prefix(_) | Matcher::Contains(_) => {
            exact(addresses(&|_, text| string_matches(text, matcher)))
        }
        Matcher::Exists => exact(addresses(&|_, _| true)),
        _ => exact(RoaringBitmap::new()),
    }
}

fn seq_bitmap(matcher: &Matcher, postings: &dyn Postings) -> Option<Candidates> {
    let all = postings.all();
    // Bounds clamped to the positions present, so that an open range stays small.
    let (first, last) = (
        i64::from(all.min().unwrap_or(0)),
        i64::from(all.max().unwrap_or(0)),
    );
    let range = |low: i64, high: i64| -> RoaringBitmap {
        let (low, high) = (low.max(first), high.min(last + 1));
        let mut bounds = RoaringBitmap::new();
        if low < high {
            bounds.insert_range(low as u32..high as u32);
        }
        &all & bounds
    };
    let found = match matcher {
        Matcher::Eq(v) => match number(&Scalar::Str(v.clone())) {
            Some(n) => range(n, n.saturating_add(1)),
            None => RoaringBitmap::new(),
        },
        Matcher::Cmp(op, scalar) => match number(scalar) {
            Some(n) => match op {
                CmpOp::Gt => range(n.saturating_add(1), i64::MAX),
                CmpOp::Gte => range(n, i64::MAX),
                CmpOp::Lt => range(i64::MIN, n),
                CmpOp::Lte => range(i64::MIN, n.saturating_add(1)),
            },
            None => RoaringBitmap::new(),
        },
        Matcher::Range(low, high) => match (number(low), number(high)) {
            (Some(low), Some(high)) => range(low, high),
            _ => RoaringBitmap::new(),
        },
        Matcher::Exists => all.clone(),
        _ => RoaringBitmap::new(),
    };
    exact(found)
}

/// A bare word: events holding each of its words (the last as a word prefix), then checked for the
/// exact substring.
fn text_bitmap(matcher: &Matcher, postings: &dyn Postings) -> Option<Candidates> {
    let needle = match matcher {
        Matcher::Eq(s) | Matcher::Prefix(s) | Matcher::Contains(s) => s.to_ascii_lowercase(),
        Matcher::Exists => return exact(postings.all()),
        _ => return exact(RoaringBitmap::new()),
    };
    let tokens: Vec<&str> = words(&needle).collect();
    let (last, rest) = tokens.split_last()?;
    let mut found = postings.union_where("w=", &|w| w.starts_with(last));
    for token in rest {
        found &= postings.term(&format!("w={token}"));
    }
    superset(found)
}
