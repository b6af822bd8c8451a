//! Compiles a [`Search`] into the WHERE / ORDER BY / LIMIT of a query over `events e`, with every
//! user value bound as a parameter.

use rusqlite::types::Value;
use trail_core::query::{Condition, Order, Search, SortKey};

use super::matchers::matcher_sql;

/// SQL text with its positional (`?`) parameters, in order.
#[derive(Default)]
pub(super) struct Sql {
    pub text: String,
    pub params: Vec<Value>,
}

impl Sql {
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    pub fn bind(&mut self, value: impl Into<Value>) {
        self.text.push('?');
        self.params.push(value.into());
    }
}

/// What a compiled condition needs to know about the organization.
pub(super) struct Scope<'a> {
    pub org: i64,
    /// The organization's dictionary: `dict[id]` is the value of `id`.
    pub dict: &'a [String],
}

/// `e.org = ? AND <time range> AND <conditions>`: the rows `search` selects, regardless of order
/// and cursor (what `count` and `facets` use).
pub(super) fn where_clause(scope: &Scope<'_>, search: &Search) -> Sql {
    let mut sql = Sql::default();
    sql.push("e.org = ");
    sql.bind(scope.org);
    if let Some(from) = search.from {
        sql.push(" AND e.occurred_at >= ");
        sql.bind(from.0);
    }
    if let Some(to) = search.to {
        sql.push(" AND e.occurred_at < ");
        sql.bind(to.0);
    }
    for condition in &search.filter.conditions {
        sql.push(" AND ");
        condition_sql(scope, condition, &mut sql);
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
            sql.bind(cursor.occurred_at.0);
            sql.push(", ");
            sql.bind(cursor.seq as i64);
            sql.push(")");
        }
        (SortKey::Seq, Some(cursor)) => {
            sql.push(&format!(" AND e.seq {cmp} "));
            sql.bind(cursor.seq as i64);
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
    sql.bind(search.limit.max(1) as i64 + 1);
}

/// One condition: its matchers OR-ed. A negated condition also holds where the field is absent
/// (the OR is NULL there, and `coalesce` turns that into false before the NOT).
fn condition_sql(scope: &Scope<'_>, condition: &Condition, sql: &mut Sql) {
    sql.push(if condition.negated {
        "NOT coalesce(("
    } else {
        "(("
    });
    if condition.matchers.is_empty() {
        sql.push("0");
    }
    for (i, matcher) in condition.matchers.iter().enumerate() {
        if i > 0 {
            sql.push(") OR (");
        }
        matcher_sql(scope, &condition.field, matcher, sql);
    }
    sql.push(if condition.negated { "), 0)" } else { "))" });
}
