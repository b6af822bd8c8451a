//! The query semantics of every store, in memory: [`matches`] says whether one stored event
//! satisfies a filter, exactly as the SQL the stores compile (docs/query-language.md). It is the
//! oracle of the model-based tests (a store's search, count and facets must equal a brute-force
//! evaluation with it), and the verifier storage engine v2 applies to candidates its bitmap index
//! cannot decide alone (docs/storage.md).
//!
//! String matching ignores ASCII case. A negated condition holds where the field is absent.

mod index;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;
use trail_core::Millis;
use trail_core::event::{Event, EventData};
use trail_core::query::{CmpOp, Condition, Field, Filter, Matcher, Scalar, Search};

pub use self::index::{CASED, Candidates, MemoryIndex, Postings, evaluate, facetable, terms};
use self::index::{canonical_ip, metadata_text};

/// Whether `event` satisfies every condition of `filter`.
pub fn matches(filter: &Filter, event: &Event) -> bool {
    filter
        .conditions
        .iter()
        .all(|condition| condition_holds(condition, event))
}

/// Whether `event` is one `search` selects: its time range and its filter (order, cursor and
/// limit aside).
pub fn selects(search: &Search, event: &Event) -> bool {
    let at = event.data.occurred_at;
    search.from.is_none_or(|from| at >= from)
        && search.to.is_none_or(|to| at < to)
        && matches(&search.filter, event)
}

fn condition_holds(condition: &Condition, event: &Event) -> bool {
    let any = condition
        .matchers
        .iter()
        .any(|matcher| matcher_holds(&condition.field, matcher, event));
    any != condition.negated
}

/// The value a single-valued string field has in `data`.
pub fn string_field<'a>(field: &Field, data: &'a EventData) -> Option<&'a str> {
    let resource = data.resource.as_ref();
    match field {
        Field::Action => Some(&data.action),
        Field::Area => Some(&data.area),
        Field::Outcome => Some(data.outcome.as_str()),
        Field::ActorType => Some(&data.actor.kind),
        Field::ActorRole => data.actor.role.as_deref(),
        Field::ResourceType => resource.map(|r| r.kind.as_str()),
        Field::Source => data.source.as_deref(),
        Field::Country => data.country(),
        Field::ActorId => Some(&data.actor.id),
        Field::ActorName => data.actor.name.as_deref(),
        Field::ActorEmail => data.actor.email.as_deref(),
        Field::ResourceId => resource.and_then(|r| r.id.as_deref()),
        Field::ResourceName => resource.and_then(|r| r.name.as_deref()),
        _ => None,
    }
}

fn matcher_holds(field: &Field, matcher: &Matcher, event: &Event) -> bool {
    let data = &event.data;
    let any = |values: &[Option<&str>]| {
        values
            .iter()
            .flatten()
            .any(|value| string_matches(value, matcher))
    };
    match field {
        Field::Actor => {
            let local_part = match matcher {
                Matcher::Eq(local) => data
                    .actor
                    .email
                    .as_deref()
                    .is_some_and(|e| string_matches(e, &Matcher::Prefix(format!("{local}@")))),
                _ => false,
            };
            local_part
                || any(&[
                    Some(data.actor.id.as_str()),
                    data.actor.email.as_deref(),
                    data.actor.name.as_deref(),
                ])
        }
        Field::ActorIdOrEmail => any(&[Some(data.actor.id.as_str()), data.actor.email.as_deref()]),
        Field::Resource => {
            let resource = data.resource.as_ref();
            any(&[
                resource.and_then(|r| r.id.as_deref()),
                resource.and_then(|r| r.name.as_deref()),
            ])
        }
        Field::Target => match matcher {
            Matcher::Exists => !data.targets.is_empty(),
            _ => data
                .targets
                .iter()
                .flat_map(|t| [t.id.as_deref(), t.name.as_deref()])
                .flatten()
                .any(|value| string_matches(value, matcher)),
        },
        Field::Ip => ip_matches(data.ip(), matcher),
        Field::Id => id_matches(&data.id, matcher),
        Field::Seq => number_matches(event.seq as i64, matcher),
        Field::Occurred => number_matches(data.occurred_at.0, matcher),
        Field::Received => number_matches(event.received_at.0, matcher),
        Field::Metadata(key) => {
            metadata_matches(data.metadata.as_ref().and_then(|m| m.get(key)), matcher)
        }
        Field::Text => text_matches(data, matcher),
        single => string_field(single, data).is_some_and(|value| string_matches(value, matcher)),
    }
}

/// A present string value against one matcher, ignoring ASCII case.
pub(crate) fn string_matches(value: &str, matcher: &Matcher) -> bool {
    let value = value.to_ascii_lowercase();
    match matcher {
        Matcher::Eq(v) => value == v.to_ascii_lowercase(),
        Matcher::Prefix(p) => value.starts_with(&p.to_ascii_lowercase()),
        Matcher::Contains(s) => value.contains(&s.to_ascii_lowercase()),
        Matcher::Cmp(op, Scalar::Str(s)) => {
            compare(*op, value.as_str(), s.to_ascii_lowercase().as_str())
        }
        Matcher::Range(Scalar::Str(low), Scalar::Str(high)) => {
            value >= low.to_ascii_lowercase() && value < high.to_ascii_lowercase()
        }
        Matcher::Exists => true,
        _ => false,
    }
}

fn compare<T: PartialOrd + ?Sized>(op: CmpOp, value: &T, bound: &T) -> bool {
    match op {
        CmpOp::Gt => value > bound,
        CmpOp::Gte => value >= bound,
        CmpOp::Lt => value < bound,
        CmpOp::Lte => value <= bound,
    }
}

/// A query value as a number: an integer, or a time (RFC 3339) as epoch milliseconds.
pub(crate) fn number(scalar: &Scalar) -> Option<i64> {
    match scalar {
        Scalar::Int(i) => Some(*i),
        Scalar::Time(Millis(ms)) => Some(*ms),
        Scalar::Str(s) => s
            .parse()
            .ok()
            .or_else(|| Millis::parse_rfc3339(s).map(|m| m.0)),
    }
}

fn number_matches(value: i64, matcher: &Matcher) -> bool {
    match matcher {
        Matcher::Eq(v) => number(&Scalar::Str(v.clone())) == Some(value),
        Matcher::Cmp(op, scalar) => number(scalar).is_some_and(|n| compare(*op, &value, &n)),
        Matcher::Range(low, high) => match (number(low), number(high)) {
            (Some(low), Some(high)) => value >= low && value < high,
            _ => false,
        },
        Matcher::Exists => true,
        _ => false,
    }
}

/// Only canonically spelled addresses are indexed (and so matched) as addresses.
fn ip_matches(ip: Option<&str>, matcher: &Matcher) -> bool {
    let Some(text) = ip else { return false };
    let addr = canonical_ip(text);
    let lowered = text.to_ascii_lowercase();
    match matcher {
        Matcher::Eq(v) => match (v.parse::<IpAddr>(), addr) {
            (Ok(wanted), Some(addr)) => IpNet::from(wanted.to_canonical()).contains(&addr),
            _ => false,
        },
        Matcher::Cidr(net) => addr.is_some_and(|addr| net.contains(&addr)),
        Matcher::Prefix(p) => addr.is_some() && lowered.starts_with(&p.to_ascii_lowercase()),
        Matcher::Contains(s) => addr.is_some() && lowered.contains(&s.to_ascii_lowercase()),
        Matcher::Exists => addr.is_some(),
        _ => false,
    }
}

/// Server ids (`evt_<32 hex>`) ignore case; a client's id is compared exactly.
fn id_matches(id: &str, matcher: &Matcher) -> bool {
    let lowered = id.to_ascii_lowercase();
    match matcher {
        Matcher::Eq(v) => {
            let wanted = v.to_ascii_lowercase();
            if is_server_id(&wanted) {
                lowered == wanted
            } else {
                id == v
            }
        }
        Matcher::Prefix(p) => lowered.starts_with(&p.to_ascii_lowercase()),
        Matcher::Contains(s) => lowered.contains(&s.to_ascii_lowercase()),
        Matcher::Exists => true,
        _ => false,
    }
}

fn is_server_id(id: &str) -> bool {
    id.strip_prefix("evt_").is_some_and(|h| {
        h.len() == 32
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A metadata value: numbers compare as numbers with a number or time, everything else as its
/// JSON text (strings unquoted) ignoring case; `null` is absent.
fn metadata_matches(value: Option<&Value>, matcher: &Matcher) -> bool {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return false;
    };
    let numeric = || value.as_f64();
    match matcher {
        Matcher::Exists => true,
        Matcher::Cmp(op, scalar @ (Scalar::Int(_) | Scalar::Time(_))) => {
            let bound = number(scalar).unwrap_or_default() as f64;
            numeric().is_some_and(|n| compare(*op, &n, &bound))
        }
        Matcher::Range(low @ (Scalar::Int(_) | Scalar::Time(_)), high) => {
            let low = number(low).unwrap_or_default() as f64;
            let high = number(high).unwrap_or(i64::MAX) as f64;
            numeric().is_some_and(|n| n >= low && n < high)
        }
        other => metadata_text(value).is_some_and(|text| string_matches(&text, other)),
    }
}

/// A bare word: every token of the needle must be a word of the event's searchable text (the last
/// one may be the start of a word), and the text must contain the needle itself.
fn text_matches(data: &EventData, matcher: &Matcher) -> bool {
    let needle = match matcher {
        Matcher::Eq(s) | Matcher::Prefix(s) | Matcher::Contains(s) => s.to_ascii_lowercase(),
        Matcher::Exists => return true,
        _ => return false,
    };
    let haystack = data.searchable_text().to_ascii_lowercase();
    let words: Vec<&str> = words(&haystack).collect();
    let tokens: Vec<&str> = words_of(&needle);
    if let Some((last, rest)) = tokens.split_last()
        && !(rest.iter().all(|t| words.contains(t)) && words.iter().any(|w| w.starts_with(last)))
    {
        return false;
    }
    haystack.contains(&needle)
}

/// The words of a (lower-cased) text, as the full-text index splits it: runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

fn words_of(text: &str) -> Vec<&str> {
    words(text).collect()
}
