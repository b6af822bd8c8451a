//! Compiles a [`Search`] into the WHERE / ORDER BY / LIMIT of a query over `events e`, with every
//! user value bound as a parameter. Semantics are the SQLite backend's, clause for clause.

use trail_core::query::{Condition, Order, Search, SortKey};

use super::matchers::matcher_sql;
use super::sql::Sql;

/// `e.organization_id = … AND <time range> AND <conditions>`: the rows `search` selects,
/// regardless of order and cursor (what `count` and `facets` use).
pub(super) fn where_clause(organization_id: &str, search: &Search) -> Sql {
    let mut sql = Sql::default();
    sql.push("e.organization_id = ");
    sql.bind_text(organization_id);
    if let Some(from) = search.from {
        sql.push(" AND e.occurred_at >= ");
        sql.bind_int(from.0);
    }
    if let Some(to) = search.to {
        sql.push(" AND e.occurred_at < ");
        sql.bind_int(to.0);
    }
    for condition in &search.filter.conditions {
        sql.push(" AND ");
        condition_sql(condition, &mut sql);
    }
    sql
}

/// The page query's tail: the cursor bound, the order and `limit + 1` rows (to know whether more
/// follow).
pub(super) fn page_clause(search: &Search, sql: &mut Sql) {
    let (cmp, dir) = match search.order {
        Order::Desc => ("<", "DESC"),
        Order::Asc => (">", "ASC"),
    };
    match (search.sort, search.cursor) {
        (SortKey::OccurredAt, Some(cursor)) => {
            sql.push(&format!(" AND (e.occurred_at, e.seq) {cmp} ("));
            sql.bind_int(cursor.occurred_at.0);
            sql.push(", ");
            sql.bind_int(i64::try_from(cursor.seq).unwrap_or(i64::MAX));
            sql.push(")");
        }
        (SortKey::Seq, Some(cursor)) => {
            sql.push(&format!(" AND e.seq {cmp} "));
            sql.bind_int(i64::try_from(cursor.seq).unwrap_or(i64::MAX));
        }
        (_, None) => {}
    }
    match search.sort {
        SortKey::OccurredAt => {
            sql.push(&format!(" ORDER BY e.occurred_at {dir}, e.seq {dir}"));
        }
        SortKey::Seq => sql.push(&format!(" ORDER BY e.seq {dir}")),
    }
    sql.push(" LIMIT ");
    sql.bind_int(search.limit.max(1) as i64 + 1);
}

/// One condition: its matchers OR-ed. A negated condition also holds where the field is absent
/// (the OR is NULL there, and `coalesce` turns that into false before the NOT).
fn condition_sql(condition: &Condition, sql: &mut Sql) {
    sql.push(if condition.negated {
        "NOT coalesce(("
    } else {
        "(("
    });
    if condition.matchers.is_empty() {
        sql.push("false");
    }
    for (i, matcher) in condition.matchers.iter().enumerate() {
        if i > 0 {
            sql.push(") OR (");
        }
        matcher_sql(&condition.field, matcher, sql);
    }
    sql.push(if condition.negated { "), false)" } else { "))" });
}
