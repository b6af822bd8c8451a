//! Remembered answers of the compatibility routes on SQLite: the statements behind
//! `idempotent_answer` and `remember_answer`.

use rusqlite::{Connection, OptionalExtension, params};
use trail_core::Millis;

use super::schema::internal;
use super::views::org_key;
use crate::{IdempotentAnswer, Result, StoreError};

pub(super) fn answer(
    conn: &Connection,
    organization_id: &str,
    scope: &str,
    key: &str,
    since: Millis,
) -> Result<Option<IdempotentAnswer>> {
    let org = org_key(conn, organization_id)?;
    conn.prepare_cached(
        "SELECT request_hash, status, body, created_at FROM idempotent_answers \
         WHERE org = ? AND scope = ? AND key = ? AND created_at >= ?",
    )
    .and_then(|mut s| {
        s.query_row(params![org, scope, key, since.0], |r| {
            Ok(IdempotentAnswer {
                organization_id: organization_id.to_owned(),
                scope: scope.to_owned(),
                key: key.to_owned(),
                request_hash: r.get(0)?,
                status: r.get(1)?,
                body: r.get(2)?,
                created_at: Millis(r.get(3)?),
            })
        })
        .optional()
    })
    .map_err(internal)
}

pub(super) fn remember(
    conn: &Connection,
    answer: &IdempotentAnswer,
    forget_before: Millis,
) -> Result<()> {
    let org = org_key(conn, &answer.organization_id)?;
    conn.execute(
        "DELETE FROM idempotent_answers WHERE org = ? AND created_at < ?",
        params![org, forget_before.0],
    )
    .map_err(internal)?;
    let inserted = conn
        .execute(
            "INSERT INTO idempotent_answers (org, scope, key, request_hash, status, body, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org, scope, key) DO NOTHING",
            params![
                org,
                answer.scope,
                answer.key,
                answer.request_hash,
                answer.status,
                answer.body,
                answer.created_at.0
            ],
        )
        .map_err(internal)?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "The idempotency key `{}` is already in use.",
            answer.key
        )));
    }
    Ok(())
}
