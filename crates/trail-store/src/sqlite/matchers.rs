//! One matcher on one field → an SQL predicate over `events e`. String matching is ASCII
//! case-insensitive: text columns are declared `COLLATE NOCASE` (so `=` and prefix ranges use
//! their indexes), dictionary columns are matched in Rust against the organization's dictionary.

use std::net::IpAddr;

use ipnet::IpNet;
use trail_core::query::{CmpOp, Field, Matcher, Scalar};

use super::columns::{id_key, ip_bytes};
use super::fts_rowid;
use super::search::{Scope, Sql};
use crate::plan::{number, string_matches};

/// The column of a dictionary-encoded field.
pub(super) fn dict_column(field: &Field) -> Option<&'static str> {
    Some(match field {
        Field::Action => "action",
        Field::Area => "area",
        Field::Outcome => "outcome",
        Field::ActorType => "actor_type",
        Field::ActorRole => "actor_role",
        Field::ResourceType => "resource_type",
        Field::Source => "source",
        Field::Country => "country",
        _ => return None,
    })
}

/// The text columns a field reads.
pub(super) fn text_columns(field: &Field) -> &'static [&'static str] {
    match field {
        Field::Actor => &["actor_id", "actor_email", "actor_name"],
        Field::ActorId => &["actor_id"],
        Field::ActorName => &["actor_name"],
        Field::ActorEmail => &["actor_email"],
        Field::ActorIdOrEmail => &["actor_id", "actor_email"],
        Field::Resource => &["resource_id", "resource_name"],
        Field::ResourceId => &["resource_id"],
        Field::ResourceName => &["resource_name"],
        _ => &[],
    }
}

/// What a bare word is checked against once the full-text index has narrowed the candidates.
const TEXT_HAYSTACK: &str = "lower(coalesce((SELECT value FROM dict WHERE org = e.org AND id = e.action), '') \
    || char(10) || e.actor_id || char(10) || coalesce(e.actor_name, '') || char(10) \
    || coalesce(e.actor_email, '') || char(10) || coalesce(e.resource_id, '') || char(10) \
    || coalesce(e.resource_name, '') || char(10) || coalesce(json_extract(e.body, '$.d'), '') \
    || char(10) || coalesce(json_extract(e.body, '$.m'), ''))";

const ID_TEXT: &str =
    "lower(CASE WHEN typeof(e.id) = 'blob' THEN 'evt_' || hex(e.id) ELSE e.id END)";

const METADATA_TEXT: &str = "CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
    ELSE CAST(j.value AS TEXT) END";

pub(super) fn matcher_sql(scope: &Scope<'_>, field: &Field, matcher: &Matcher, sql: &mut Sql) {
    if let Some(column) = dict_column(field) {
        return dict_sql(scope, column, matcher, sql);
    }
    let columns = text_columns(field);
    match (columns, matcher) {
        ([], _) => {}
        ([_, _, ..], Matcher::Eq(_) | Matcher::Prefix(_)) => {
            return union_sql(scope, field, columns, matcher, sql);
        }
        _ => {
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                string_sql(&format!("e.{column}"), matcher, sql);
            }
            return;
        }
    }
    match field {
        Field::Target => target_sql(scope, matcher, sql),
        Field::Ip => ip_sql(matcher, sql),
        Field::Id => id_sql(matcher, sql),
        Field::Seq => number_sql("e.seq", matcher, sql),
        Field::Occurred => number_sql("e.occurred_at", matcher, sql),
        Field::Received => number_sql("(e.occurred_at + e.received_delta)", matcher, sql),
        Field::Metadata(key) => metadata_sql(key, matcher, sql),
        Field::Text => text_sql(scope, matcher, sql),
        _ => sql.push("0"),
    }
}

/// A field over several indexed columns (`actor`, `resource`): the union of one index lookup per
/// column, so that each uses its own index.
fn union_sql(scope: &Scope<'_>, field: &Field, columns: &[&str], matcher: &Matcher, sql: &mut Sql) {
    sql.push("e.seq IN (");
    let local_part = match (field, matcher) {
        (Field::Actor, Matcher::Eq(local)) => Some(Matcher::Prefix(format!("{local}@"))),
        _ => None,
    };
    let lookups = columns
        .iter()
        .map(|column| (*column, matcher))
        .chain(local_part.as_ref().map(|m| ("actor_email", m)));
    for (i, (column, matcher)) in lookups.enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT seq FROM events WHERE org = ");
        sql.bind(scope.org);
        sql.push(" AND ");
        string_sql(column, matcher, sql);
    }
    sql.push(")");
}

/// Matches the dictionary in Rust and compares the column with the matching ids.
fn dict_sql(scope: &Scope<'_>, column: &str, matcher: &Matcher, sql: &mut Sql) {
    if matches!(matcher, Matcher::Exists) {
        return sql.push(&format!("e.{column} IS NOT NULL"));
    }
    let ids: Vec<i64> = (0..scope.dict.len())
        .filter(|id| string_matches(&scope.dict[*id], matcher))
        .map(|id| id as i64)
        .collect();
    match ids.as_slice() {
        [] => sql.push("0"),
        [id] => {
            sql.push(&format!("e.{column} = "));
            sql.bind(*id);
        }
        ids => {
            sql.push(&format!("e.{column} IN ("));
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*id);
            }
            sql.push(")");
        }
    }
}

/// A string matcher on a `COLLATE NOCASE` expression.
fn string_sql(column: &str, matcher: &Matcher, sql: &mut Sql) {
    match matcher {
        Matcher::Eq(v) => {
            sql.push(&format!("{column} = "));
            sql.bind(v.clone());
        }
        Matcher::Prefix(p) => prefix_range(column, p, sql),
        Matcher::Contains(s) => {
            sql.push(&format!("instr(lower({column}), "));
            sql.bind(s.to_ascii_lowercase());
            sql.push(") > 0");
        }
        Matcher::Exists => sql.push(&format!("{column} IS NOT NULL")),
        Matcher::Cmp(op, Scalar::Str(s)) => {
            sql.push(&format!("{column} {} ", cmp_sql(*op)));
            sql.bind(s.clone());
        }
        Matcher::Range(Scalar::Str(low), Scalar::Str(high)) => {
            sql.push(&format!("{column} >= "));
            sql.bind(low.clone());
            sql.push(&format!(" AND {column} < "));
            sql.bind(high.clone());
        }
        _ => sql.push("0"),
    }
}

/// `column` starts with `prefix` (ASCII case-insensitively), as an index range:
/// `[lower(prefix), successor)` under NOCASE, which compares ASCII-lowercased bytes.
fn prefix_range(column: &str, prefix: &str, sql: &mut Sql) {
    let low = prefix.to_ascii_lowercase();
    sql.push(&format!("{column} >= "));
    sql.bind(low.clone());
    if let Some(high) = nocase_successor(&low) {
        sql.push(&format!(" AND {column} < "));
        sql.bind(high);
    }
}

/// The least string greater, under NOCASE, than every string starting with `low` (lowercase);
/// `None` when there is none. Under NOCASE `A`..=`Z` never occur, so `@` is followed by `[`.
pub(super) fn nocase_successor(low: &str) -> Option<String> {
    let mut chars: Vec<char> = low.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(if next.is_ascii_uppercase() { '[' } else { next });
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn cmp_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Gt => ">",
        CmpOp::Gte => ">=",
        CmpOp::Lt => "<",
        CmpOp::Lte => "<=",
    }
}

/// `seq` and times.
fn number_sql(column: &str, matcher: &Matcher, sql: &mut Sql) {
    match matcher {
        Matcher::Eq(v) => match number(&Scalar::Str(v.clone())) {
            Some(n) => {
                sql.push(&format!("{column} = "));
                sql.bind(n);
            }
            None => sql.push("0"),
        },
        Matcher::Cmp(op, scalar) => match number(scalar) {
            Some(n) => {
                sql.push(&format!("{column} {} ", cmp_sql(*op)));
                sql.bind(n);
            }
            None => sql.push("0"),
        },
        Matcher::Range(low, high) => match (number(low), number(high)) {
            (Some(low), Some(high)) => {
                sql.push(&format!("{column} >= "));
                sql.bind(low);
                sql.push(&format!(" AND {column} < "));
                sql.bind(high);
            }
            _ => sql.push("0"),
        },
        Matcher::Exists => sql.push("1"),
        _ => sql.push("0"),
    }
}

fn target_sql(scope: &Scope<'_>, matcher: &Matcher, sql: &mut Sql) {
    if matches!(matcher, Matcher::Exists) {
        return sql.push("json_extract(e.body, '$.t') IS NOT NULL");
    }
    sql.push("e.seq IN (SELECT t.seq FROM event_targets t WHERE t.org = ");
    sql.bind(scope.org);
    sql.push(" AND ");
    string_sql("t.value", matcher, sql);
    sql.push(")");
}

fn ip_sql(matcher: &Matcher, sql: &mut Sql) {
    let network = match matcher {
        Matcher::Eq(v) => match v.parse::<IpAddr>() {
            Ok(addr) => IpNet::from(addr.to_canonical()),
            Err(_) => return sql.push("0"),
        },
        Matcher::Cidr(net) => *net,
        Matcher::Prefix(p) => {
            sql.push("instr(trail_ip_text(e.ip), ");
            sql.bind(p.to_ascii_lowercase());
            return sql.push(") = 1");
        }
        Matcher::Contains(s) => {
            sql.push("instr(trail_ip_text(e.ip), ");
            sql.bind(s.to_ascii_lowercase());
            return sql.push(") > 0");
        }
        Matcher::Exists => return sql.push("e.ip IS NOT NULL"),
        _ => return sql.push("0"),
    };
    let (low, high) = (ip_bytes(network.network()), ip_bytes(network.broadcast()));
    // Both bounds have the family's length, and so must the address: a 16-byte address whose
    // first 4 bytes fall in an IPv4 range is not in it.
    let length = low.len() as i64;
    sql.push("e.ip BETWEEN ");
    sql.bind(low);
    sql.push(" AND ");
    sql.bind(high);
    sql.push(" AND length(e.ip) = ");
    sql.bind(length);
}

fn id_sql(matcher: &Matcher, sql: &mut Sql) {
    match matcher {
        Matcher::Eq(v) => {
            let lowered = v.to_ascii_lowercase();
            let server_spelling = matches!(id_key(&lowered), rusqlite::types::Value::Blob(_));
            sql.push("e.id = ");
            sql.bind(id_key(if server_spelling { &lowered } else { v }));
        }
        Matcher::Prefix(p) => {
            sql.push(&format!("instr({ID_TEXT}, "));
            sql.bind(p.to_ascii_lowercase());
            sql.push(") = 1");
        }
        Matcher::Contains(s) => {
            sql.push(&format!("instr({ID_TEXT}, "));
            sql.bind(s.to_ascii_lowercase());
            sql.push(") > 0");
        }
        Matcher::Exists => sql.push("1"),
        _ => sql.push("0"),
    }
}

fn metadata_sql(key: &str, matcher: &Matcher, sql: &mut Sql) {
    sql.push("EXISTS (SELECT 1 FROM json_each(e.body, '$.m') j WHERE j.key = ");
    sql.bind(key.to_owned());
    sql.push(" AND ");
    match matcher {
        Matcher::Exists => sql.push("j.type <> 'null'"),
        Matcher::Cmp(op, scalar @ (Scalar::Int(_) | Scalar::Time(_))) => {
            sql.push(&format!(
                "j.type IN ('integer', 'real') AND j.value {} ",
                cmp_sql(*op)
            ));
            sql.bind(number(scalar).unwrap_or_default());
        }
        Matcher::Range(low @ (Scalar::Int(_) | Scalar::Time(_)), high) => {
            sql.push("j.type IN ('integer', 'real') AND j.value >= ");
            sql.bind(number(low).unwrap_or_default());
            sql.push(" AND j.value < ");
            sql.bind(number(high).unwrap_or(i64::MAX));
        }
        other => string_sql(&format!("({METADATA_TEXT} COLLATE NOCASE)"), other, sql),
    }
    sql.push(")");
}

/// A bare word: the full-text index narrows to events holding its tokens (the last one as a
/// prefix), then the exact, case-insensitive substring is checked.
fn text_sql(scope: &Scope<'_>, matcher: &Matcher, sql: &mut Sql) {
    let needle = match matcher {
        Matcher::Eq(s) | Matcher::Prefix(s) | Matcher::Contains(s) => s.to_ascii_lowercase(),
        Matcher::Exists => return sql.push("1"),
        _ => return sql.push("0"),
    };
    let tokens: Vec<&str> = needle
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    if let Some((last, rest)) = tokens.split_last() {
        let mut query: Vec<String> = rest.iter().map(|t| format!("\"{t}\"")).collect();
        query.push(format!("\"{last}\"*"));
        sql.push("e.seq IN (SELECT rowid - ");
        sql.bind(fts_rowid(scope.org, 0));
        sql.push(" FROM events_fts WHERE events_fts MATCH ");
        sql.bind(query.join(" AND "));
        sql.push(" AND rowid >= ");
        sql.bind(fts_rowid(scope.org, 0));
        sql.push(" AND rowid < ");
        sql.bind(fts_rowid(scope.org + 1, 0));
        sql.push(") AND ");
    }
    sql.push(&format!("instr({TEXT_HAYSTACK}, "));
    sql.bind(needle);
    sql.push(") > 0");
}
