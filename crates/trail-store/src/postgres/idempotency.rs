//! Remembered answers of the compatibility routes on PostgreSQL: the statements behind
//! `idempotent_answer` and `remember_answer`.

use deadpool_postgres::Client;
use trail_core::Millis;

use super::admin::get_organization;
use super::error::db_error;
use crate::{IdempotentAnswer, Result, StoreError};

pub(super) async fn answer(
    client: &Client,
    organization_id: &str,
    scope: &str,
    key: &str,
    since: Millis,
) -> Result<Option<IdempotentAnswer>> {
    get_organization(client, organization_id).await?;
    let row = client
        .query_opt(
            "SELECT request_hash, status, body, created_at FROM idempotent_answers \
             WHERE organization_id = $1 AND scope = $2 AND key = $3 AND created_at >= $4",
            &[&organization_id, &scope, &key, &since.0],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map(|r| IdempotentAnswer {
        organization_id: organization_id.to_owned(),
        scope: scope.to_owned(),
        key: key.to_owned(),
        request_hash: r.get(0),
        status: u16::try_from(r.get::<_, i32>(1)).unwrap_or(500),
        body: r.get(2),
        created_at: Millis(r.get(3)),
    }))
}

pub(super) async fn remember(
    client: &mut Client,
    answer: &IdempotentAnswer,
    forget_before: Millis,
) -> Result<()> {
    let tx = client.transaction().await.map_err(db_error)?;
    get_organization(&tx, &answer.organization_id).await?;
    tx.execute(
        "DELETE FROM idempotent_answers WHERE organization_id = $1 AND created_at < $2",
        &[&answer.organization_id, &forget_before.0],
    )
    .await
    .map_err(db_error)?;
    let inserted = tx
        .execute(
            "INSERT INTO idempotent_answers \
             (organization_id, scope, key, request_hash, status, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                &answer.organization_id,
                &answer.scope,
                &answer.key,
                &answer.request_hash,
                &i32::from(answer.status),
                &answer.body,
                &answer.created_at.0,
            ],
        )
        .await
        .map_err(db_error)?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "The idempotency key `{}` is already in use.",
            answer.key
        )));
    }
    tx.commit().await.map_err(db_error)
}
