//! One matcher on one field → an SQL predicate over `events e`. String matching is ASCII
//! case-insensitive: string columns are `COLLATE "C"`, so `lower(column)` folds ASCII only and
//! uses the `lower(…)` indexes; values are ASCII-lowercased in Rust before they are bound.

use std::net::IpAddr;

use trail_core::query::{CmpOp, Field, Matcher, Scalar};

use super::columns::is_server_id;
use super::sql::Sql;
use super::text::tsquery;
use crate::plan::number;

/// The string columns a field reads (`Actor` and `Resource` read several).
pub(super) fn string_columns(field: &Field) -> &'static [&'static str] {
    match field {
        Field::Action => &["action"],
        Field::Area => &["area"],
        Field::Outcome => &["outcome"],
        Field::ActorType => &["actor_type"],
        Field::ActorRole => &["actor_role"],
        Field::ResourceType => &["resource_type"],
        Field::Source => &["source"],
        Field::Country => &["country"],
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

/// What a bare word is checked against once the full-text index has narrowed the candidates
/// (the same text, in the same order, as the SQLite backend's).
const TEXT_HAYSTACK: &str = "lower((e.action || chr(10) || e.actor_id || chr(10) \
    || coalesce(e.actor_name, '') || chr(10) || coalesce(e.actor_email, '') || chr(10) \
    || coalesce(e.resource_id, '') || chr(10) || coalesce(e.resource_name, '') || chr(10) \
    || coalesce(e.data ->> 'description', '') || chr(10) \
    || coalesce((e.data -> 'metadata')::text, '')) COLLATE \"C\")";

pub(super) fn matcher_sql(field: &Field, matcher: &Matcher, sql: &mut Sql) {
    let columns = string_columns(field);
    if !columns.is_empty() {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            let column = format!("e.{column}");
            string_sql(&format!("lower({column})"), &column, matcher, sql);
        }
        if let (Field::Actor, Matcher::Eq(local_part)) = (field, matcher) {
            sql.push(" OR ");
            let prefix = Matcher::Prefix(format!("{local_part}@"));
            string_sql("lower(e.actor_email)", "e.actor_email", &prefix, sql);
        }
        return;
    }
    match field {
        Field::Target => target_sql(matcher, sql),
        Field::Ip => ip_sql(matcher, sql),
        Field::Id => id_sql(matcher, sql),
        Field::Seq => number_sql("e.seq", matcher, sql),
        Field::Occurred => number_sql("e.occurred_at", matcher, sql),
        Field::Received => number_sql("e.received_at", matcher, sql),
        Field::Metadata(key) => metadata_sql(key, matcher, sql),
        Field::Text => text_sql(matcher, sql),
        _ => sql.push("false"),
    }
}

/// A string matcher on `lowered` (an ASCII-lowercased, `"C"`-collated expression); `raw` is the
/// expression itself, for `Exists`.
fn string_sql(lowered: &str, raw: &str, matcher: &Matcher, sql: &mut Sql) {
    match matcher {
        Matcher::Eq(v) => {
            sql.push(&format!("{lowered} = "));
            sql.bind_text(v.to_ascii_lowercase());
        }
        Matcher::Prefix(p) => prefix_range(lowered, &p.to_ascii_lowercase(), sql),
        Matcher::Contains(s) => {
            sql.push(&format!("strpos({lowered}, "));
            sql.bind_text(s.to_ascii_lowercase());
            sql.push(") > 0");
        }
        Matcher::Exists => sql.push(&format!("{raw} IS NOT NULL")),
        Matcher::Cmp(op, Scalar::Str(s)) => {
            sql.push(&format!("{lowered} {} ", cmp_sql(*op)));
            sql.bind_text(s.to_ascii_lowercase());
        }
        Matcher::Range(Scalar::Str(low), Scalar::Str(high)) => {
            sql.push(&format!("{lowered} >= "));
            sql.bind_text(low.to_ascii_lowercase());
            sql.push(&format!(" AND {lowered} < "));
            sql.bind_text(high.to_ascii_lowercase());
        }
        _ => sql.push("false"),
    }
}

/// `lowered` starts with `low`, as an index range `[low, successor)` in byte order.
fn prefix_range(lowered: &str, low: &str, sql: &mut Sql) {
    sql.push(&format!("{lowered} >= "));
    sql.bind_text(low);
    if let Some(high) = successor(low) {
        sql.push(&format!(" AND {lowered} < "));
        sql.bind_text(high);
    }
}

/// The least string greater than every string starting with `low`; `None` when there is none.
fn successor(low: &str) -> Option<String> {
    let mut chars: Vec<char> = low.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32) {
            chars.push(next);
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
    let bounds = match matcher {
        Matcher::Eq(v) => number(&Scalar::Str(v.clone())).map(|n| vec![("=", n)]),
        Matcher::Cmp(op, scalar) => number(scalar).map(|n| vec![(cmp_sql(*op), n)]),
        Matcher::Range(low, high) => number(low)
            .zip(number(high))
            .map(|(low, high)| vec![(">=", low), ("<", high)]),
        Matcher::Exists => return sql.push("true"),
        _ => None,
    };
    let Some(bounds) = bounds else {
        return sql.push("false");
    };
    for (i, (op, n)) in bounds.into_iter().enumerate() {
        if i > 0 {
            sql.push(" AND ");
        }
        sql.push(&format!("{column} {op} "));
        sql.bind_int(n);
    }
}

fn target_sql(matcher: &Matcher, sql: &mut Sql) {
    match matcher {
        Matcher::Exists => sql.push("(e.data -> 'targets') IS NOT NULL"),
        // Containment uses the GIN index on `target_keys` (already ASCII-lowercased).
        Matcher::Eq(v) => {
            sql.push("e.target_keys @> ARRAY[");
            sql.bind_text(v.to_ascii_lowercase());
            sql.push("]");
        }
        other => {
            sql.push("EXISTS (SELECT 1 FROM unnest(e.target_keys) AS t(v) WHERE ");
            string_sql("t.v", "t.v", other, sql);
            sql.push(")");
        }
    }
}

fn ip_sql(matcher: &Matcher, sql: &mut Sql) {
    match matcher {
        Matcher::Eq(v) => match v.parse::<IpAddr>() {
            Ok(addr) => {
                sql.push("e.ip = ");
                sql.bind(addr.to_canonical(), "inet");
            }
            Err(_) => sql.push("false"),
        },
        Matcher::Cidr(net) => {
            // Another family never matches: `<<=` is false across IPv4 and IPv6.
            sql.push("e.ip <<= ");
            sql.bind(net.trunc().to_string(), "text::cidr");
        }
        Matcher::Prefix(p) => {
            sql.push("starts_with(host(e.ip), ");
            sql.bind_text(p.to_ascii_lowercase());
            sql.push(")");
        }
        Matcher::Contains(s) => {
            sql.push("strpos(host(e.ip), ");
            sql.bind_text(s.to_ascii_lowercase());
            sql.push(") > 0");
        }
        Matcher::Exists => sql.push("e.ip IS NOT NULL"),
        _ => sql.push("false"),
    }
}

fn id_sql(matcher: &Matcher, sql: &mut Sql) {
    match matcher {
        // Server ids match however they are cased; client ids exactly.
        Matcher::Eq(v) => {
            let lowered = v.to_ascii_lowercase();
            sql.push("e.id = ");
            sql.bind_text(if is_server_id(&lowered) {
                lowered
            } else {
                v.clone()
            });
        }
        Matcher::Prefix(p) => {
            sql.push("starts_with(lower(e.id), ");
            sql.bind_text(p.to_ascii_lowercase());
            sql.push(")");
        }
        Matcher::Contains(s) => {
            sql.push("strpos(lower(e.id), ");
            sql.bind_text(s.to_ascii_lowercase());
            sql.push(") > 0");
        }
        Matcher::Exists => sql.push("true"),
        _ => sql.push("false"),
    }
}

/// A top-level key of `metadata`: numbers compare as numbers, everything else as its text
/// (strings unquoted, other values as JSON); a JSON `null` counts as absent.
fn metadata_sql(key: &str, matcher: &Matcher, sql: &mut Sql) {
    let key = sql.param(key.to_owned(), "text");
    let value = format!("(e.data -> 'metadata' -> {key})");
    let kind = format!("json_typeof({value})");
    let numeric = format!("(e.data -> 'metadata' ->> {key})::numeric");
    sql.push("coalesce(");
    match matcher {
        Matcher::Exists => sql.push(&format!("{kind} <> 'null'")),
        Matcher::Cmp(op, scalar @ (Scalar::Int(_) | Scalar::Time(_))) => {
            sql.push(&format!(
                "CASE WHEN {kind} = 'number' THEN {numeric} {} ",
                cmp_sql(*op)
            ));
            sql.bind_int(number(scalar).unwrap_or_default());
            sql.push(" END");
        }
        Matcher::Range(low @ (Scalar::Int(_) | Scalar::Time(_)), high) => {
            sql.push(&format!("CASE WHEN {kind} = 'number' THEN {numeric} >= "));
            sql.bind_int(number(low).unwrap_or_default());
            sql.push(&format!(" AND {numeric} < "));
            sql.bind_int(number(high).unwrap_or(i64::MAX));
            sql.push(" END");
        }
        other => {
            let text = format!(
                "(CASE {kind} WHEN 'string' THEN e.data -> 'metadata' ->> {key} \
                 WHEN 'null' THEN NULL ELSE {value}::text END COLLATE \"C\")"
            );
            string_sql(&format!("lower({text})"), &text, other, sql);
        }
    }
    sql.push(", false)");
}

/// A bare word: the `words` index narrows to events holding its tokens (the last one as a
/// prefix), then the exact, case-insensitive substring is checked.
fn text_sql(matcher: &Matcher, sql: &mut Sql) {
    let needle = match matcher {
        Matcher::Eq(s) | Matcher::Prefix(s) | Matcher::Contains(s) => s.to_ascii_lowercase(),
        Matcher::Exists => return sql.push("true"),
        _ => return sql.push("false"),
    };
    if let Some(query) = tsquery(&needle) {
        sql.push("e.words @@ ");
        sql.bind(query, "text::tsquery");
        sql.push(" AND ");
    }
    sql.push(&format!("strpos({TEXT_HAYSTACK}, "));
    sql.bind_text(needle);
    sql.push(") > 0");
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn successors_bound_every_string_with_the_prefix() {
        assert_eq!(successor("abc").as_deref(), Some("abd"));
        assert_eq!(successor("a@").as_deref(), Some("aA"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(successor(""), None);
    }
}
