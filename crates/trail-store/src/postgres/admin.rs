//! Organizations, API keys and instance settings: the statements behind the administrative parts
//! of the `Store` trait.

use deadpool_postgres::{Client, GenericClient};
use tokio_postgres::Row;
use trail_core::Millis;
use trail_core::event::GENESIS_PREV;

use super::error::{conflict_or, db_error};
use crate::{ApiKey, Organization, Result, StoreError};

/// Touches closer together than this are coalesced into the first.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// The `organization_id` of instance-level (operator) keys.
const INSTANCE: &str = "";

/// Creates the organization and its empty log head in one transaction.
pub(super) async fn create_organization(client: &mut Client, org: &Organization) -> Result<()> {
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute(
        "INSERT INTO organizations (organization_id, name, created_at) VALUES ($1, $2, $3)",
        &[&org.id, &org.name, &org.created_at.0],
    )
    .await
    .map_err(|e| conflict_or(e, "an organization with this id already exists"))?;
    let genesis = hex::decode(GENESIS_PREV).expect("the genesis hash is hex");
    tx.execute(
        "INSERT INTO org_heads (organization_id, next_seq, last_hash) VALUES ($1, 0, $2)",
        &[&org.id, &genesis],
    )
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

const ORG_COLUMNS: &str = "SELECT organization_id, name, created_at FROM organizations";

fn read_org(row: &Row) -> Organization {
    Organization {
        id: row.get(0),
        name: row.get(1),
        created_at: Millis(row.get(2)),
    }
}

pub(super) async fn get_organization(
    client: &impl GenericClient,
    id: &str,
) -> Result<Organization> {
    let statement = client
        .prepare_cached(&format!("{ORG_COLUMNS} WHERE organization_id = $1"))
        .await
        .map_err(db_error)?;
    let row = client
        .query_opt(&statement, &[&id])
        .await
        .map_err(db_error)?;
    row.as_ref().map(read_org).ok_or(StoreError::NotFound)
}

pub(super) async fn list_organizations(client: &impl GenericClient) -> Result<Vec<Organization>> {
    let sql = format!("{ORG_COLUMNS} ORDER BY created_at, organization_id");
    let rows = client.query(&sql, &[]).await.map_err(db_error)?;
    Ok(rows.iter().map(read_org).collect())
}

/// The key's `organization_id` column, after checking that the organization exists.
async fn owner(client: &impl GenericClient, organization_id: Option<&str>) -> Result<String> {
    match organization_id {
        None => Ok(INSTANCE.to_owned()),
        Some(id) => get_organization(client, id).await.map(|org| org.id),
    }
}

pub(super) async fn create_api_key(client: &impl GenericClient, key: &ApiKey) -> Result<()> {
    let owner = owner(client, key.organization_id.as_deref()).await?;
    let millis = |m: Option<Millis>| m.map(|m| m.0);
    client
        .execute(
            "INSERT INTO api_keys (organization_id, id, name, scopes, prefix, secret_hash, \
             created_at, expires_at, last_used_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &owner,
                &key.id,
                &key.name,
                &key.scopes,
                &key.prefix,
                &&key.secret_hash[..],
                &key.created_at.0,
                &millis(key.expires_at),
                &millis(key.last_used_at),
                &millis(key.revoked_at),
            ],
        )
        .await
        .map(drop)
        .map_err(|e| conflict_or(e, "an API key with this id or secret already exists"))
}

const KEY_FIELDS: &str = "organization_id, id, name, scopes, prefix, secret_hash, created_at, \
    expires_at, last_used_at, revoked_at";

fn read_key(row: &Row) -> ApiKey {
    let organization_id: String = row.get(0);
    let secret_hash: &[u8] = row.get(5);
    let millis = |i| row.get::<_, Option<i64>>(i).map(Millis);
    ApiKey {
        organization_id: (organization_id != INSTANCE).then_some(organization_id),
        id: row.get(1),
        name: row.get(2),
        scopes: row.get(3),
        prefix: row.get(4),
        secret_hash: secret_hash.try_into().unwrap_or([0; 32]),
        created_at: Millis(row.get(6)),
        expires_at: millis(7),
        last_used_at: millis(8),
        revoked_at: millis(9),
    }
}

pub(super) async fn find_api_key(
    client: &impl GenericClient,
    secret_hash: &[u8; 32],
) -> Result<Option<ApiKey>> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {KEY_FIELDS} FROM api_keys WHERE secret_hash = $1"
        ))
        .await
        .map_err(db_error)?;
    let row = client
        .query_opt(&statement, &[&&secret_hash[..]])
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(read_key))
}

pub(super) async fn list_api_keys(
    client: &impl GenericClient,
    organization_id: Option<&str>,
) -> Result<Vec<ApiKey>> {
    let owner = owner(client, organization_id).await?;
    let sql = format!(
        "SELECT {KEY_FIELDS} FROM api_keys WHERE organization_id = $1 ORDER BY created_at, id"
    );
    let rows = client.query(&sql, &[&owner]).await.map_err(db_error)?;
    Ok(rows.iter().map(read_key).collect())
}

pub(super) async fn revoke_api_key(
    client: &impl GenericClient,
    organization_id: Option<&str>,
    id: &str,
    at: Millis,
) -> Result<ApiKey> {
    let owner = owner(client, organization_id).await?;
    let sql = format!(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) \
         WHERE organization_id = $1 AND id = $2 RETURNING {KEY_FIELDS}"
    );
    let row = client
        .query_opt(&sql, &[&owner, &id, &at.0])
        .await
        .map_err(db_error)?;
    row.as_ref().map(read_key).ok_or(StoreError::NotFound)
}

pub(super) async fn touch_api_key(client: &impl GenericClient, id: &str, at: Millis) -> Result<()> {
    let statement = client
        .prepare_cached(
            "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 \
             AND (last_used_at IS NULL OR last_used_at <= $2::bigint - $3::bigint)",
        )
        .await
        .map_err(db_error)?;
    client
        .execute(&statement, &[&id, &at.0, &TOUCH_INTERVAL_MS])
        .await
        .map(drop)
        .map_err(db_error)
}

pub(super) async fn get_instance_setting(
    client: &impl GenericClient,
    key: &str,
) -> Result<Option<String>> {
    let row = client
        .query_opt(
            "SELECT value FROM instance_settings WHERE key = $1",
            &[&key],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map(|r| r.get(0)))
}

pub(super) async fn init_instance_setting(
    client: &impl GenericClient,
    key: &str,
    value: &str,
) -> Result<bool> {
    client
        .execute(
            "INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )
        .await
        .map(|inserted| inserted == 1)
        .map_err(db_error)
}

pub(super) async fn put_instance_setting(
    client: &impl GenericClient,
    key: &str,
    value: &str,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO instance_settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
        .await
        .map(drop)
        .map_err(db_error)
}
