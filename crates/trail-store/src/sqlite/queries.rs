//! The event queries, each run on a reader connection inside one read transaction (one snapshot).

use rusqlite::{Connection, OptionalExtension, params};
use trail_core::event::{Event, GENESIS_PREV};
use trail_core::query::{Field, Search};

use super::columns::id_key;
use super::matchers::{dict_column, text_columns};
use super::read::{Readers, query_all};
use super::rows::{EVENT_COLUMNS, read_event};
use super::schema::internal;
use super::search::{Scope, Sql, page_clause, where_clause};
use crate::{FacetValue, LogHead, Page, Result, StoreError};

/// Compiles `search` for the organization and hands the WHERE clause to `run`, all in one snapshot.
fn with_where<T>(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    search: &Search,
    run: impl FnOnce(i64, Sql) -> Result<T>,
) -> Result<T> {
    let tx = conn.unchecked_transaction().map_err(internal)?;
    let org = readers.org_key(&tx, organization_id)?;
    let sql = readers.with_dict(&tx, org, |dict| where_clause(&Scope { org, dict }, search))?;
    run(org, sql)
}

pub(super) fn search(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    search: &Search,
) -> Result<Page> {
    with_where(readers, conn, organization_id, search, |_, mut sql| {
        page_clause(search, &mut sql);
        let text = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE {}", sql.text);
        tracing::debug!(sql = %text, "Searching events");
        let events = query_all(conn, &text, &sql.params, |row| {
            read_event(row, organization_id)
        })?;
        Ok(Page::from_overfetch(events, search.limit))
    })
}

pub(super) fn count(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    search: &Search,
) -> Result<u64> {
    with_where(readers, conn, organization_id, search, |_, sql| {
        let text = format!("SELECT count(*) FROM events e WHERE {}", sql.text);
        let counts = query_all(conn, &text, &sql.params, |row| row.get::<_, i64>(0))?;
        Ok(counts.first().copied().unwrap_or(0) as u64)
    })
}

pub(super) fn facets(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    search: &Search,
    field: &Field,
    limit: usize,
) -> Result<Vec<FacetValue>> {
    let (column, dict) = match (dict_column(field), text_columns(field)) {
        (Some(column), _) => (column, true),
        (None, [column]) => (*column, false),
        _ => {
            return Err(StoreError::Internal(format!(
                "`{}` cannot be faceted",
                field.name()
            )));
        }
    };
    with_where(readers, conn, organization_id, search, |org, sql| {
        let value = match dict {
            true => "(SELECT value FROM dict WHERE org = ? AND id = g.v)",
            false => "g.v",
        };
        let text = format!(
            "SELECT {value} AS value, g.n FROM (SELECT e.{column} AS v, count(*) AS n \
             FROM events e WHERE {} AND e.{column} IS NOT NULL GROUP BY e.{column}) g \
             ORDER BY g.n DESC, value LIMIT ?",
            sql.text
        );
        let mut params = Vec::with_capacity(sql.params.len() + 2);
        if dict {
            params.push(org.into());
        }
        params.extend(sql.params);
        params.push((limit as i64).into());
        query_all(conn, &text, &params, |row| {
            Ok(FacetValue {
                value: row.get(0)?,
                count: row.get::<_, i64>(1)? as u64,
            })
        })
    })
}

pub(super) fn get_event(
    readers: &Readers,
    conn: &Connection,
    organization_id: &str,
    id: &str,
) -> Result<Event> {
    let tx = conn.unchecked_transaction().map_err(internal)?;
    let org = readers.org_key(&tx, organization_id)?;
    let text = format!("SELECT {EVENT_COLUMNS} FROM events e WHERE e.org = ? AND e.id = ?");
    tx.prepare_cached(&text)
        .and_then(|mut s| {
            s.query_row(params![org, id_key(id)], |row| {
                read_event(row, organization_id)
            })
            .optional()
        })
        .map_err(internal)?
        .ok_or(StoreError::NotFound)
}

pub(super) fn head(readers: &Readers, conn: &Connection, organization_id: &str) -> Result<LogHead> {
    let tx = conn.unchecked_transaction().map_err(internal)?;
    let org = readers.org_key(&tx, organization_id)?;
    Ok(match super::tree::last_leaf(&tx, org)? {
        Some((seq, hash)) => LogHead {
            size: seq + 1,
            last_hash: hex::encode(hash),
        },
        None => LogHead {
            size: 0,
            last_hash: GENESIS_PREV.to_owned(),
        },
    })
}
