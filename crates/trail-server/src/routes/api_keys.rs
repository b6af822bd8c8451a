//! `/v1/api-keys`: create (the secret is shown once), list (never the secret), revoke. Keys belong to
//! one organization, or to the instance when the operator creates one without `organization_id`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use trail_core::{Millis, ids};
use trail_store::{API_KEY_SCOPES, ApiKey};
use trail_store::{Change, Changed};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access::Permission;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::extract::OrgParam;
use crate::state::AppState;

/// Every secret starts with this, so that secret scanners can spot leaked keys.
pub const SECRET_PREFIX: &str = "trail_";
const SHOWN_PREFIX_LEN: usize = 12;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// Omit with the operator credential to create an instance-level key.
    organization_id: Option<String>,
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    name: String,
    /// Any of `events:write`, `events:read`, `exports`, `admin`.
    #[schema(value_type = Vec<super::values::ScopeValue>, inline)]
    scopes: Vec<String>,
    /// RFC 3339; the key stops working then.
    #[schema(value_type = Option<String>)]
    expires_at: Option<Millis>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The only time the secret is shown.
    secret: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    key: ApiKey,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    #[schema(value_type = Vec<Object>)]
    api_keys: Vec<ApiKey>,
}

/// Create an API key; the answer carries `secret`, which is never shown again.
#[utoipa::path(post, path = "/v1/api-keys", tag = "administration", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    principal.require_permission(Permission::ApiKeysManage)?;
    let req: CreateApiKey = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let organization_id = match (&principal, req.organization_id.as_deref()) {
        (p, None) if p.is_instance_level() => None,
        (p, requested) => Some(p.organization(&state, requested).await?),
    };
    let name = extract::name("name", &req.name, 200)?;
    extract::one_or_more_of("scopes", &req.scopes, &API_KEY_SCOPES, "scope")?;
    let now = state.clock.now();
    if req.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::invalid_field(
            "expires_at",
            "in_past",
            "`expires_at` must be in the future.",
        ));
    }
    let mut scopes = req.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let secret = ids::new_secret(SECRET_PREFIX);
    let key = ApiKey {
        id: ids::new_api_key_id(),
        organization_id,
        name: name.to_owned(),
        scopes,
        prefix: secret.chars().take(SHOWN_PREFIX_LEN).collect(),
        secret_hash: ids::secret_hash(&secret),
        created_at: now,
        expires_at: req.expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    let created = match key.organization_id.clone() {
        // An organization's key is created together with its audit event.
        Some(org) => {
            let entry = Entry::new(
                "trail.api_key.created",
                format!("Created API key {}", key.name),
            )
            .resource("api_key", &key.id, Some(&key.name))
            .metadata("scopes", key.scopes.clone())
            .metadata("expires_at", key.expires_at.map(|t| t.to_rfc3339()));
            let change = Change::CreateApiKey(key.clone());
            audit::change(&state, &principal, &meta, &org, change, |_| Some(entry))
                .await
                .map(|_| ())
        }
        None => state.store.create_api_key(key.clone()).await.map(|_| ()),
    };
    created.map_err(|e| ApiError::from_store(e, "organization"))?;
    tracing::info!(key_id = %key.id, organization_id = ?key.organization_id, scopes = ?key.scopes, "API key created");
    Ok((StatusCode::CREATED, Json(CreatedApiKey { secret, key })))
}

/// List API keys (secrets are never shown again).
#[utoipa::path(get, path = "/v1/api-keys", tag = "administration", params(OrgParam),
    responses((status = 200, body = ApiKeyList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ApiKeyList>> {
    principal.require_permission(Permission::ApiKeysManage)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = scope_of(&state, &principal, params).await?;
    let api_keys = state.store.list_api_keys(org.as_deref()).await?;
    Ok(Json(ApiKeyList { api_keys }))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "administration", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ApiKey>> {
    principal.require_permission(Permission::ApiKeysManage)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = scope_of(&state, &principal, params).await?;
    let at = state.clock.now();
    let key = match &org {
        Some(org) => {
            let change = Change::RevokeApiKey { id: id.clone(), at };
            audit::change(
                &state,
                &principal,
                &meta,
                org,
                change,
                |changed| match changed {
                    Changed::ApiKey(key) => Some(
                        Entry::new(
                            "trail.api_key.revoked",
                            format!("Revoked API key {}", key.name),
                        )
                        .resource("api_key", &key.id, Some(&key.name)),
                    ),
                    _ => None,
                },
            )
            .await
            .and_then(|changed| match changed {
                Changed::ApiKey(key) => Ok(key),
                other => Err(trail_store::StoreError::Internal(format!(
                    "revoking answered {other:?}"
                ))),
            })
        }
        None => state.store.revoke_api_key(None, &id, at).await,
    }
    .map_err(|e| ApiError::from_store(e, "API key"))?;
    tracing::info!(key_id = %key.id, "API key revoked");
    Ok(Json(key))
}

/// The organization whose keys a call is about (`None`: the instance-level keys).
async fn scope_of(
    state: &AppState,
    principal: &Principal,
    params: OrgParam,
) -> ApiResult<Option<String>> {
    let requested = params.organization_id();
    if principal.is_instance_level() && requested.is_none() {
        return Ok(None);
    }
    Ok(Some(principal.organization(state, requested).await?))
}
