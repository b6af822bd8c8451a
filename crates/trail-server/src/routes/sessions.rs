//! Web sessions: `POST /v1/auth/login` (email and password → an HttpOnly session cookie and a
//! CSRF token), `POST /v1/auth/logout`, and `GET /v1/me` (who the caller is, for any credential).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trail_core::{Millis, ids};
use trail_store::{Member, Session};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::audit::RequestMeta;
use crate::auth::{self, CSRF_COOKIE, Principal, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{extract, password};

use super::session_audit;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
    /// The organization to work in [default: the first of the user's organizations].
    organization_id: Option<String>,
}

/// One organization of a signed-in user, with their role there.
#[derive(Serialize, ToSchema)]
pub struct MembershipView {
    id: String,
    name: String,
    /// A built-in role (`owner` …) or a custom role's id.
    role: String,
    role_name: String,
    #[schema(value_type = Vec<String>)]
    permissions: Vec<crate::access::Permission>,
}

/// Sign in with email and password.
///
/// Sets the `trail_session` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) and the
/// `trail_csrf` cookie; the answer carries the same `csrf_token`, which every state-changing
/// request made with the session must send as `X-CSRF-Token`. Attempts are limited per account
/// and per address (429 with `Retry-After`).
#[utoipa::path(post, path = "/v1/auth/login", tag = "sessions", request_body = Login, security(()),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let req: Login = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let email = req.email.trim().to_owned();
    let ip = meta.ip.map(|ip| ip.to_string()).unwrap_or_default();
    if let Err(wait) = state.login_limiter.attempt(&email, &ip) {
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Too many sign-in attempts; try again in {} minutes.",
                wait.as_secs().div_ceil(60).max(1)
            ),
        );
        err.retry_after_secs = Some(wait.as_secs().max(1));
        return Err(err);
    }
    let user = state.store.find_user_by_email(&email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let given = req.password;
    let matches = tokio::task::spawn_blocking(move || password::verify(stored.as_deref(), &given))
        .await
        .map_err(ApiError::internal)?;
    let known = user.clone();
    let Some(user) = user.filter(|_| matches) else {
        state.login_limiter.failed(&email);
        tracing::info!(ip = %ip, "Failed sign-in");
        if let Some(user) = &known {
            session_audit::failed(&state, &meta, user).await;
        }
        return Err(ApiError::unauthorized("The email or password is wrong."));
    };
    state.login_limiter.succeeded(&email);
    let memberships = crate::auth::active_memberships(&state, &user.id).await?;
    if memberships.is_empty() {
        return Err(ApiError::forbidden(
            "This account is not an active member of any organization.",
        ));
    }
    let organization_id = match req.organization_id {
        Some(asked) => memberships
            .iter()
            .find(|m| m.organization_id == asked)
            .map(|m| m.organization_id.clone())
            .ok_or_else(|| ApiError::not_found("organization"))?,
        None => memberships[0].organization_id.clone(),
    };
    let (token, csrf) = (ids::new_secret(""), ids::new_secret(""));
    let now = state.clock.now();
    let ttl = state.settings.session_ttl;
    state
        .store
        .create_session(Session {
            token_hash: ids::secret_hash(&token),
            csrf_hash: ids::secret_hash(&csrf),
            user_id: user.id.clone(),
            organization_id: Some(organization_id.clone()),
            created_at: now,
            expires_at: now.plus_ms(ttl.as_millis() as i64),
        })
        .await?;
    tracing::info!(user_id = %user.id, "Signed in");
    session_audit::created(&state, &meta, &user, &memberships, &organization_id).await?;
    let secure = secure(&state, &headers);
    let body = json!({
        "user": user,
        "organizations": views(&state, &memberships).await?,
        "organization_id": organization_id,
        "csrf_token": csrf,
        "expires_at": now.plus_ms(ttl.as_millis() as i64),
    });
    let mut response = Json(body).into_response();
    let max_age = ttl.as_secs();
    set_cookie(
        &mut response,
        &format!(
            "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}"
        ),
    );
    set_cookie(
        &mut response,
        &format!("{CSRF_COOKIE}={csrf}; SameSite=Lax; Path=/; Max-Age={max_age}{secure}"),
    );
    Ok(response)
}

/// Sign out: ends the session and clears its cookies. Needs `X-CSRF-Token`.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "sessions",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Principal::Member(member) = &principal else {
        return Err(ApiError::forbidden(
            "Only a web session can sign out; revoke an API key instead.",
        ));
    };
    session_audit::ended(&state, &meta, &principal, member).await?;
    state
        .store
        .delete_session(member.session_hash, state.clock.now())
        .await?;
    let secure = secure(&state, &headers);
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(
        &mut response,
        &format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}"),
    );
    set_cookie(
        &mut response,
        &format!("{CSRF_COOKIE}=; SameSite=Lax; Path=/; Max-Age=0{secure}"),
    );
    Ok(response)
}

/// Who the caller is: a member (with their organizations and the permissions of the current
/// one), an API key (its scopes), a viewer token (its limits) or the operator.
#[utoipa::path(get, path = "/v1/me", tag = "sessions",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(match &principal {
        Principal::Operator => json!({"kind": "operator"}),
        Principal::Key(key) => {
            json!({"kind": "api_key", "api_key": key, "organization_id": key.organization_id})
        }
        Principal::Viewer(claims) => json!({
            "kind": "viewer_token",
            "organization_id": claims.org,
            "expires_at": Millis(claims.exp),
            "actor": claims.actor,
            "resource": claims.resource,
            "areas": claims.areas,
            "export": claims.export,
        }),
        Principal::Member(member) => json!({
            "kind": "member",
            "user": member.user,
            "organizations": views(&state, &member.memberships).await?,
            "organization_id": member.membership.as_ref().map(|m| &m.organization_id),
            "role": member.membership.as_ref().map(|m| &m.role),
            "role_name": member.role_name,
            "permissions": member.permissions,
            "actor_id": member.membership.as_ref().and_then(|m| m.actor_id.as_ref()),
        }),
    }))
}

async fn views(state: &AppState, memberships: &[Member]) -> ApiResult<Vec<MembershipView>> {
    let mut views = Vec::with_capacity(memberships.len());
    for m in memberships {
        let (permissions, role_name) = auth::role_permissions(state, m).await?;
        let name = state
            .store
            .get_organization(&m.organization_id)
            .await
            .map(|o| o.name)
            .unwrap_or_default();
        views.push(MembershipView {
            id: m.organization_id.clone(),
            name,
            role: m.role.clone(),
            role_name,
            permissions,
        });
    }
    Ok(views)
}

/// `; Secure` when the request came over HTTPS: Trail serves TLS itself, a proxy says so, or the
/// operator says cookies are always secure.
fn secure(state: &AppState, headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    if https || state.settings.cookies_always_secure() {
        "; Secure"
    } else {
        ""
    }
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}
