//! The event queries behind `search`, `count`, `facets`, `get_event`, `events_by_seq` and `head`;
//! each is one statement, so it reads one snapshot and never waits for writers.

use deadpool_postgres::Client;
use trail_core::query::{Field, Search};

use super::columns::{EVENT_COLUMNS, read_event};
use super::error::db_error;
use super::filter::{page_clause, where_clause};
use super::matchers::string_columns;
use crate::{FacetValue, LogHead, Page, Result, StoreError};
use trail_core::event::Event;

pub(super) async fn search(
    client: &Client,
    organization_id: &str,
    search: &Search,
) -> Result<Page> {
    let mut sql = where_clause(organization_id, search);
    page_clause(search, &mut sql);
    let text = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE {}", sql.text);
    tracing::debug!(sql = %text, "Searching events");
    let rows = client.query(&text, &sql.params()).await.map_err(db_error)?;
    let events = rows
        .iter()
        .map(|row| read_event(row, organization_id))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(events, search.limit))
}

pub(super) async fn count(client: &Client, organization_id: &str, search: &Search) -> Result<u64> {
    let sql = where_clause(organization_id, search);
    let text = format!("SELECT count(*) FROM events e WHERE {}", sql.text);
    let row = client
        .query_one(&text, &sql.params())
        .await
        .map_err(db_error)?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Fields with a value of their own: the low-cardinality ones group by exact value, the
/// free-form ones (ids, names, e-mails) case-insensitively, as the SQLite backend does.
fn facet_column(field: &Field) -> Option<(&'static str, bool)> {
    let [column] = string_columns(field) else {
        return None;
    };
    let case_insensitive = matches!(
        field,
        Field::ActorId
            | Field::ActorName
            | Field::ActorEmail
            | Field::ResourceId
            | Field::ResourceName
    );
    Some((column, case_insensitive))
}

pub(super) async fn facets(
    client: &Client,
    organization_id: &str,
    search: &Search,
    field: &Field,
    limit: usize,
) -> Result<Vec<FacetValue>> {
    let Some((column, case_insensitive)) = facet_column(field) else {
        return Err(StoreError::Internal(format!(
            "`{}` cannot be faceted",
            field.name()
        )));
    };
    let mut sql = where_clause(organization_id, search);
    let (group, value, order) = match case_insensitive {
        true => (
            format!("lower(e.{column})"),
            format!("min(e.{column})"),
            format!("lower(min(e.{column})), min(e.{column})"),
        ),
        false => (
            format!("e.{column}"),
            format!("e.{column}"),
            format!("e.{column}"),
        ),
    };
    let limit = sql.param(i64::try_from(limit).unwrap_or(i64::MAX), "bigint");
    let text = format!(
        "SELECT {value} AS value, count(*) AS n FROM events e \
         WHERE {} AND e.{column} IS NOT NULL GROUP BY {group} \
         ORDER BY n DESC, {order} LIMIT {limit}",
        sql.text
    );
    let rows = client.query(&text, &sql.params()).await.map_err(db_error)?;
    Ok(rows
        .iter()
        .map(|row| FacetValue {
            value: row.get(0),
            count: row.get::<_, i64>(1) as u64,
        })
        .collect())
}

pub(super) async fn get_event(client: &Client, organization_id: &str, id: &str) -> Result<Event> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.organization_id = $1 AND e.id = $2"
        ))
        .await
        .map_err(db_error)?;
    match client
        .query_opt(&statement, &[&organization_id, &id])
        .await
        .map_err(db_error)?
    {
        Some(row) => read_event(&row, organization_id),
        None => Err(StoreError::NotFound),
    }
}

pub(super) async fn events_by_seq(
    client: &Client,
    organization_id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Event>> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.organization_id = $1 \
             AND e.seq >= $2 AND e.seq < $3 ORDER BY e.seq"
        ))
        .await
        .map_err(db_error)?;
    let [from, to] = [from, to].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let rows = client
        .query(&statement, &[&organization_id, &from, &to])
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| read_event(row, organization_id))
        .collect()
}

/// The committed head (`org_heads` moves in the same transaction as the events it counts).
pub(super) async fn head(client: &Client, organization_id: &str) -> Result<LogHead> {
    let statement = client
        .prepare_cached("SELECT next_seq, last_hash FROM org_heads WHERE organization_id = $1")
        .await
        .map_err(db_error)?;
    let row = client
        .query_opt(&statement, &[&organization_id])
        .await
        .map_err(db_error)?
        .ok_or(StoreError::NotFound)?;
    let last_hash: &[u8] = row.get(1);
    Ok(LogHead {
        size: row.get::<_, i64>(0) as u64,
        last_hash: hex::encode(last_hash),
    })
}
