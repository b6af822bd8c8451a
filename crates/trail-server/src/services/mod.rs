//! The service layer: what Trail does, independent of HTTP. Each service takes a typed
//! [`Caller`] (who, for which organization, from where) and typed input, checks nothing about
//! transport, and returns domain results or an [`ApiError`](crate::error::ApiError). Handlers in
//! `routes/` parse, call a service and render; the web app, stream workers and compatibility
//! routes call the same services (docs/architecture.md).
//!
//! - [`ingest`]: validated, all-or-nothing appends to the log.
//! - [`search`]: narrowed, audited reads of the log (search, count, facets, one event,
//!   downloads).
//! - administrative changes go through [`crate::audit::change`], which commits a change with its
//!   audit event.

pub mod ingest;
pub mod search;

use crate::access::{Permission, Scope};
use crate::audit::RequestMeta;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::state::AppState;

/// What a service call needs the caller to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Scope(Scope),
    Permission(Permission),
}

impl From<Scope> for Need {
    fn from(scope: Scope) -> Need {
        Need::Scope(scope)
    }
}

impl From<Permission> for Need {
    fn from(permission: Permission) -> Need {
        Need::Permission(permission)
    }
}

/// An authenticated caller bound to one organization: the principal (for permissions, narrowing
/// and the audit actor), the organization every call is about, and where the request came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub organization_id: String,
    pub meta: RequestMeta,
}

impl Caller {
    /// Checks that `principal` holds `need` (403), then resolves the organization it works in
    /// (`requested` names one; 404 for one it may not see). This is the preamble every
    /// organization-scoped handler used to write out.
    pub async fn resolve(
        state: &AppState,
        principal: Principal,
        meta: RequestMeta,
        requested: Option<&str>,
        need: impl Into<Need>,
    ) -> ApiResult<Caller> {
        principal.check(need.into())?;
        let organization_id = principal.organization(state, requested).await?;
        Ok(Caller {
            principal,
            organization_id,
            meta,
        })
    }

    /// Fails with 403 unless the caller also holds `need`.
    pub fn require(&self, need: impl Into<Need>) -> ApiResult<()> {
        self.principal.check(need.into())
    }
}

impl Principal {
    /// [`require`](Principal::require) or [`require_permission`](Principal::require_permission).
    pub fn check(&self, need: Need) -> ApiResult<()> {
        match need {
            Need::Scope(scope) => self.require(scope),
            Need::Permission(permission) => self.require_permission(permission),
        }
    }
}

/// The caller of a read route: authenticated, holding the `events:read` scope (or a permission
/// that satisfies it), bound to the organization that `organization_id` in the query string
/// names (or its own). Rejections are the usual 401/403/404 answers.
#[derive(Debug, Clone)]
pub struct ReadCaller(pub Caller);

impl axum::extract::FromRequestParts<AppState> for ReadCaller {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let meta = match RequestMeta::from_request_parts(parts, state).await {
            Ok(meta) => meta,
            Err(never) => match never {},
        };
        let requested = parts.uri.query().and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "organization_id")
                .map(|(_, value)| value.into_owned())
        });
        Caller::resolve(
            state,
            principal,
            meta,
            requested.as_deref(),
            Scope::EventsRead,
        )
        .await
        .map(ReadCaller)
    }
}
