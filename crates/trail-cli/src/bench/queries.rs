//! The search mix: realistic Activity Logs filters (one or two indexed fields each, over the last
//! 90 days, newest 50 first), as Trail query syntax trees and as the baseline's SQL.

use trail_core::Millis;
use trail_core::query::{Condition, Field, Filter, Matcher, Order, Search, SortKey};

/// How a term matches.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Eq,
    Prefix,
    Cidr,
}

/// One query of the mix: its text in the query language and its terms (field name, op, value).
pub struct Query {
    pub text: &'static str,
    pub terms: &'static [(&'static str, Op, &'static str)],
}

use Op::{Cidr, Eq, Prefix};

#[rustfmt::skip]
pub const MIX: [Query; 24] = [
    Query { text: "action:user.login_failed", terms: &[("action", Eq, "user.login_failed")] },
    Query { text: "action:scan.completed", terms: &[("action", Eq, "scan.completed")] },
    Query { text: "action:member.role_changed", terms: &[("action", Eq, "member.role_changed")] },
    Query { text: "action:vulnerability.found", terms: &[("action", Eq, "vulnerability.found")] },
    Query { text: "action:scan.*", terms: &[("action", Prefix, "scan.")] },
    Query { text: "area:members", terms: &[("area", Eq, "members")] },
    Query { text: "actor.id:usr_0016", terms: &[("actor.id", Eq, "usr_0016")] },
    Query { text: "actor.email:alice.kim@demo-inc.com", terms: &[("actor.email", Eq, "alice.kim@demo-inc.com")] },
    Query { text: "actor.id:usr_0042 action:runbook.executed", terms: &[("actor.id", Eq, "usr_0042"), ("action", Eq, "runbook.executed")] },
    Query { text: "actor.role:Owner", terms: &[("actor.role", Eq, "Owner")] },
    Query { text: "actor.type:api_key", terms: &[("actor.type", Eq, "api_key")] },
    Query { text: "source:background_task", terms: &[("source", Eq, "background_task")] },
    Query { text: "source:api action:scan.started", terms: &[("source", Eq, "api"), ("action", Eq, "scan.started")] },
    Query { text: "country:TR", terms: &[("country", Eq, "TR")] },
    Query { text: "country:JP action:user.login", terms: &[("country", Eq, "JP"), ("action", Eq, "user.login")] },
    Query { text: "country:US outcome:failure", terms: &[("country", Eq, "US"), ("outcome", Eq, "failure")] },
    Query { text: "ip:100.66.0.0/16", terms: &[("ip", Cidr, "100.66.0.0/16")] },
    Query { text: "ip:203.0.113.0/24 action:user.login", terms: &[("ip", Cidr, "203.0.113.0/24"), ("action", Eq, "user.login")] },
    Query { text: "resource.type:runbook", terms: &[("resource.type", Eq, "runbook")] },
    Query { text: "resource.type:assistant action:assistant.deleted", terms: &[("resource.type", Eq, "assistant"), ("action", Eq, "assistant.deleted")] },
    Query { text: "resource.id:tgt_0002", terms: &[("resource.id", Eq, "tgt_0002")] },
    Query { text: "outcome:failure", terms: &[("outcome", Eq, "failure")] },
    Query { text: "outcome:failure source:web_ui", terms: &[("outcome", Eq, "failure"), ("source", Eq, "web_ui")] },
    Query { text: "actor.type:system action:scan.started", terms: &[("actor.type", Eq, "system"), ("action", Eq, "scan.started")] },
];

/// The filters' field names, their syntax-tree field and the baseline column.
const FIELDS: [(&str, Field, &str); 11] = [
    ("action", Field::Action, "action"),
    ("area", Field::Area, "area"),
    ("actor.id", Field::ActorId, "actor_id"),
    ("actor.email", Field::ActorEmail, "actor_email"),
    ("actor.role", Field::ActorRole, "actor_role"),
    ("actor.type", Field::ActorType, "actor_type"),
    ("resource.type", Field::ResourceType, "resource_type"),
    ("resource.id", Field::ResourceId, "resource_id"),
    ("source", Field::Source, "source"),
    ("outcome", Field::Outcome, "outcome"),
    ("ip", Field::Ip, "ip"),
];

fn field(name: &str) -> (Field, &'static str) {
    if name == "country" {
        return (Field::Country, "country");
    }
    let (_, field, column) = FIELDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .expect("the mix names only known fields");
    (field.clone(), column)
}

impl Query {
    /// The syntax tree `trail_core::query::parse` makes of `text`.
    pub fn filter(&self) -> Filter {
        let conditions = self
            .terms
            .iter()
            .map(|(name, op, value)| Condition {
                field: field(name).0,
                negated: false,
                matchers: vec![match op {
                    Op::Eq => Matcher::Eq((*value).to_owned()),
                    Op::Prefix => Matcher::Prefix((*value).to_owned()),
                    Op::Cidr => Matcher::Cidr(value.parse().expect("the mix's networks parse")),
                }],
            })
            .collect();
        Filter { conditions }
    }

    /// The Activity Logs page's request: this filter over the last 90 days, newest 50 first.
    pub fn search(&self, now: Millis) -> Search {
        Search {
            filter: self.filter(),
            from: Some(ninety_days_before(now)),
            to: None,
            order: Order::Desc,
            sort: SortKey::OccurredAt,
            limit: 50,
            cursor: None,
        }
    }

    /// The baseline's `WHERE` clause and its text parameters. A network is matched the naive way,
    /// as a text prefix of its whole octets (`100.66.%`).
    pub fn sql_where(&self) -> (String, Vec<String>) {
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        for (name, op, value) in self.terms {
            let column = field(name).1;
            match op {
                Op::Eq => {
                    clauses.push(format!("{column} = ?"));
                    values.push((*value).to_owned());
                }
                Op::Prefix => {
                    clauses.push(format!("{column} LIKE ?"));
                    values.push(format!("{value}%"));
                }
                Op::Cidr => {
                    let (addr, bits) = value.split_once('/').unwrap_or((value, "32"));
                    let octets = bits.parse::<usize>().unwrap_or(32) / 8;
                    let prefix: Vec<&str> = addr.split('.').take(octets).collect();
                    clauses.push(format!("{column} LIKE ?"));
                    values.push(format!("{}.%", prefix.join(".")));
                }
            }
        }
        (clauses.join(" AND "), values)
    }
}

pub fn ninety_days_before(now: Millis) -> Millis {
    now.plus_ms(-90 * 86_400_000)
}
