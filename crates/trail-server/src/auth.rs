//! Who is calling: the operator credential or an API key, from `Authorization: Bearer …`; what they
//! may do (scopes) and which organization a request is about.
//!
//! Isolation rule: an organization key never learns whether another organization or its events
//! exist; naming another organization answers 404, never 403.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use trail_core::{Millis, ids};
use trail_store::{ApiKey, StoreError};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How often at most a key's `last_used_at` is written.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The instance operator (`TRAIL_ADMIN_TOKEN`): may do anything, names organizations explicitly.
    Operator,
    /// An API key, of one organization or instance-level (`organization_id: None`).
    Key(Box<ApiKey>),
}

impl Principal {
    /// Fails with 403 unless the caller holds `scope` (`admin` implies every scope).
    pub fn require(&self, scope: &str) -> ApiResult<()> {
        match self {
            Principal::Operator => Ok(()),
            Principal::Key(key) if key.scopes.iter().any(|s| s == scope || s == "admin") => Ok(()),
            Principal::Key(_) => Err(ApiError::forbidden(format!(
                "This API key lacks the `{scope}` scope."
            ))),
        }
    }

    /// Whether the caller acts for the whole instance rather than one organization.
    pub fn is_instance_level(&self) -> bool {
        match self {
            Principal::Operator => true,
            Principal::Key(key) => key.organization_id.is_none(),
        }
    }

    /// The organization a request is about. An organization key is bound to its own (naming
    /// another is a 404); instance-level callers must name an existing one.
    pub async fn organization(
        &self,
        state: &AppState,
        requested: Option<&str>,
    ) -> ApiResult<String> {
        match (self, requested) {
            (Principal::Key(key), None) if key.organization_id.is_some() => {
                Ok(key.organization_id.clone().unwrap_or_default())
            }
            (Principal::Key(key), Some(asked)) if key.organization_id.is_some() => {
                if key.organization_id.as_deref() == Some(asked) {
                    Ok(asked.to_owned())
                } else {
                    Err(ApiError::not_found("organization"))
                }
            }
            (_, None) => Err(ApiError::invalid_field(
                "organization_id",
                "required",
                "The operator credential must name the organization with `organization_id`.",
            )),
            (_, Some(asked)) => match state.store.get_organization(asked).await {
                Ok(org) => Ok(org.id),
                Err(err) => Err(ApiError::from_store(err, "organization")),
            },
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("Send an API key as `Authorization: Bearer <key>`.")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("The Authorization header must be `Bearer <key>`.")
            })?;
        let hash = ids::secret_hash(token);
        if constant_time_eq(&hash, &state.operator_hash) {
            return Ok(Principal::Operator);
        }
        let key = match state.store.find_api_key(hash).await {
            Ok(Some(key)) => key,
            Ok(None) => return Err(ApiError::unauthorized("This API key is not valid.")),
            Err(err) => return Err(ApiError::from_store(err, "API key")),
        };
        let now = Millis::now();
        if key.revoked_at.is_some() {
            return Err(ApiError::unauthorized("This API key has been revoked."));
        }
        if key.expires_at.is_some_and(|at| at <= now) {
            return Err(ApiError::unauthorized("This API key has expired."));
        }
        if key
            .last_used_at
            .is_none_or(|at| now.0 - at.0 >= TOUCH_INTERVAL_MS)
        {
            let store = state.store.clone();
            let id = key.id.clone();
            tokio::spawn(async move {
                if let Err(err) = store.touch_api_key(&id, now).await
                    && !matches!(err, StoreError::Unavailable(_))
                {
                    tracing::warn!(key_id = %id, error = %err, "Could not record API key use");
                }
            });
        }
        Ok(Principal::Key(Box::new(key)))
    }
}

/// Compares digests without an early exit, so timing says nothing about how much matched.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
