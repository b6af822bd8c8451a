//! Who is calling: the operator credential, an API key or a viewer token (`Authorization: Bearer
//! …`), or a member signed in with the web session cookie; what they may do and which
//! organization a request is about.
//!
//! Isolation rule: a caller bound to an organization never learns whether another organization or
//! its events exist; naming another organization answers 404, never 403.
//!
//! Session requests that change state (any method but GET, HEAD, OPTIONS) must carry the
//! session's CSRF token in `X-CSRF-Token`; Bearer requests need none (a browser never adds them).

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use trail_core::ids;
use trail_store::{ApiKey, Member, StoreError, User};

use crate::access::{self, Permission, Scope};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::viewer_tokens::{self, ViewerClaims};

/// How often at most a key's `last_used_at` is written.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// The web session cookie (HttpOnly) and the cookie that carries its CSRF token to scripts.
pub const SESSION_COOKIE: &str = "trail_session";
pub const CSRF_COOKIE: &str = "trail_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The instance operator (`TRAIL_ADMIN_TOKEN`): may do anything, names organizations explicitly.
    Operator,
    /// An API key, of one organization or instance-level (`organization_id: None`).
    Key(Box<ApiKey>),
    /// A member signed in with a session cookie.
    Member(Box<MemberAccess>),
    /// A viewer token minted for an embedded Activity Logs page: read-only, one organization.
    Viewer(Box<ViewerClaims>),
}

/// A signed-in member and the membership this request works in.
#[derive(Clone)]
pub struct MemberAccess {
    pub user: User,
    /// The membership of the organization this request is about: the `organization_id` query
    /// parameter, else the session's organization, else the first. `None` when the request names
    /// an organization the user is not an active member of (every call then answers 404).
    pub membership: Option<Member>,
    /// The permissions of `membership`'s role.
    pub permissions: Vec<Permission>,
    /// The display name of `membership`'s role.
    pub role_name: String,
    /// Every active membership of the user.
    pub memberships: Vec<Member>,
    /// SHA-256 of the session cookie (logout ends it).
    pub session_hash: [u8; 32],
}

impl Principal {
    /// Fails with 403 unless the caller holds `scope` (an API-key scope: `events:write`,
    /// `events:read`, `exports`, `admin`; `admin` implies every scope). For members the scope maps
    /// onto permissions ([`access::permissions_satisfy`]): `events:read` is also satisfied by
    /// `events:read_own`, whose results [`access::narrow`] restricts.
    pub fn require(&self, scope: Scope) -> ApiResult<()> {
        match self {
            Principal::Operator => Ok(()),
            Principal::Key(key) if scope.granted_by(&key.scopes) => Ok(()),
            Principal::Key(_) => Err(ApiError::forbidden(format!(
                "This API key lacks the `{scope}` scope."
            ))),
            Principal::Member(member) => {
                member.membership()?;
                if scope.satisfied_by(&member.permissions) {
                    Ok(())
                } else {
                    Err(ApiError::forbidden(format!(
                        "Your role ({}) does not allow this (`{scope}`).",
                        member.role_name
                    )))
                }
            }
            Principal::Viewer(claims) => match scope {
                Scope::EventsRead => Ok(()),
                Scope::Exports if claims.export => Ok(()),
                _ => Err(ApiError::forbidden(format!(
                    "A viewer token is read-only and does not allow `{scope}`."
                ))),
            },
        }
    }

    /// Fails with 403 unless the caller holds `permission`. API keys need the scope that grants
    /// it ([`Permission::scope`]).
    pub fn require_permission(&self, permission: Permission) -> ApiResult<()> {
        match self {
            Principal::Operator => Ok(()),
            Principal::Key(_) => self.require(permission.scope()),
            Principal::Member(member) => {
                member.membership()?;
                if member.permissions.contains(&permission) {
                    Ok(())
                } else {
                    Err(ApiError::forbidden(format!(
                        "Your role ({}) lacks the `{permission}` permission.",
                        member.role_name
                    )))
                }
            }
            Principal::Viewer(_) => self.require(permission.scope()),
        }
    }

    /// Whether the caller acts for the whole instance rather than one organization.
    pub fn is_instance_level(&self) -> bool {
        match self {
            Principal::Operator => true,
            Principal::Key(key) => key.organization_id.is_none(),
            Principal::Member(_) | Principal::Viewer(_) => false,
        }
    }

    /// `web_ui` for session and viewer-token callers, `api` for the rest: the `source` of the
    /// audit events their requests record.
    pub fn source(&self) -> &'static str {
        match self {
            Principal::Member(_) | Principal::Viewer(_) => "web_ui",
            Principal::Operator | Principal::Key(_) => "api",
        }
    }

    /// The organization a request is about. A caller bound to an organization (an organization
    /// key, a viewer token, a member's membership) gets its own (naming another is a 404);
    /// instance-level callers must name an existing one.
    pub async fn organization(
        &self,
        state: &AppState,
        requested: Option<&str>,
    ) -> ApiResult<String> {
        let bound = match self {
            Principal::Key(key) => key.organization_id.as_deref(),
            Principal::Member(member) => Some(member.membership()?.organization_id.as_str()),
            Principal::Viewer(claims) => Some(claims.org.as_str()),
            Principal::Operator => None,
        };
        match (bound, requested) {
            (Some(own), None) => Ok(own.to_owned()),
            (Some(own), Some(asked)) if own == asked => Ok(own.to_owned()),
            (Some(_), Some(_)) => Err(ApiError::not_found("organization")),
            (None, None) => Err(ApiError::invalid_field(
                "organization_id",
                "required",
                "The operator credential must name the organization with `organization_id`.",
            )),
            (None, Some(asked)) => match state.store.get_organization(asked).await {
                Ok(org) => Ok(org.id),
                Err(err) => Err(ApiError::from_store(err, "organization")),
            },
        }
    }
}

impl std::fmt::Debug for MemberAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberAccess")
            .field("user", &self.user)
            .field("membership", &self.membership)
            .field("permissions", &self.permissions)
            .field("role_name", &self.role_name)
            .finish_non_exhaustive()
    }
}

impl MemberAccess {
    /// The membership this request works in, or 404.
    pub fn membership(&self) -> ApiResult<&Member> {
        self.membership
            .as_ref()
            .ok_or_else(|| ApiError::not_found("organization"))
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Already authenticated by a layer (the rate limiter) for this request.
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
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
            return bearer(state, token).await;
        }
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            return session(parts, state, &token).await;
        }
        Err(ApiError::unauthorized(
            "Send an API key as `Authorization: Bearer <key>`, or sign in.",
        ))
    }
}

pub(crate) async fn bearer(state: &AppState, token: &str) -> ApiResult<Principal> {
    if token.starts_with(viewer_tokens::PREFIX) {
        let claims = state
            .viewer_keys
            .verify(token, state.clock.now())
            .map_err(|why| ApiError::unauthorized(format!("This viewer token is {why}.")))?;
        return Ok(Principal::Viewer(Box::new(claims)));
    }
    let hash = ids::secret_hash(token);
    if constant_time_eq(&hash, &state.operator_hash) {
        return Ok(Principal::Operator);
    }
    let key = match state.store.find_api_key(hash).await {
        Ok(Some(key)) => key,
        Ok(None) => return Err(ApiError::unauthorized("This API key is not valid.")),
        Err(err) => return Err(ApiError::from_store(err, "API key")),
    };
    let now = state.clock.now();
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

async fn session(parts: &Parts, state: &AppState, token: &str) -> ApiResult<Principal> {
    let session_hash = ids::secret_hash(token);
    let now = state.clock.now();
    let session = match state.store.find_session(session_hash).await {
        Ok(Some(session)) if session.expires_at > now => session,
        Ok(Some(_)) => {
            return Err(ApiError::unauthorized(
                "Your session has expired; sign in again.",
            ));
        }
        Ok(None) => {
            return Err(ApiError::unauthorized(
                "This session is not valid; sign in again.",
            ));
        }
        Err(err) => return Err(ApiError::from_store(err, "session")),
    };
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(ids::secret_hash);
        if !sent.is_some_and(|sent| constant_time_eq(&sent, &session.csrf_hash)) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "Send the session's CSRF token (`csrf_token` from sign-in) in the `X-CSRF-Token` header.",
            ));
        }
    }
    let user = state
        .store
        .get_user(&session.user_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ApiError::unauthorized("This session is not valid; sign in again.")
            }
            other => ApiError::from_store(other, "user"),
        })?;
    let memberships = active_memberships(state, &user.id).await?;
    let requested = query_organization(parts.uri.query());
    let membership = match requested.as_deref().or(session.organization_id.as_deref()) {
        Some(org) => memberships
            .iter()
            .find(|m| m.organization_id == org)
            .cloned(),
        None => None,
    }
    .or_else(|| {
        requested
            .is_none()
            .then(|| memberships.first().cloned())
            .flatten()
    });
    let (permissions, role_name) = match &membership {
        Some(m) => role_permissions(state, m).await?,
        None => (Vec::new(), String::new()),
    };
    Ok(Principal::Member(Box::new(MemberAccess {
        user,
        membership,
        permissions,
        role_name,
        memberships,
        session_hash,
    })))
}

/// The permissions and display name of a membership's role (built-in or custom).
pub async fn role_permissions(
    state: &AppState,
    member: &Member,
) -> ApiResult<(Vec<Permission>, String)> {
    if let Some(role) = access::BuiltInRole::parse(&member.role) {
        return Ok((role.permissions().to_vec(), role.name().to_owned()));
    }
    match state
        .store
        .get_role(&member.organization_id, &member.role)
        .await
    {
        Ok(role) => Ok((access::parse_permissions(&role.permissions), role.name)),
        // A custom role that is gone grants nothing.
        Err(StoreError::NotFound) => Ok((Vec::new(), member.role.clone())),
        Err(err) => Err(ApiError::from_store(err, "role")),
    }
}

/// `organization_id` from a query string, if present.
fn query_organization(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "organization_id")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Compares digests without an early exit, so timing says nothing about how much matched.
pub fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The user's memberships that are not deactivated.
pub(crate) async fn active_memberships(state: &AppState, user_id: &str) -> ApiResult<Vec<Member>> {
    let all = state.store.memberships_of_user(user_id).await?;
    Ok(all.into_iter().filter(Member::is_active).collect())
}
