//! The service layer: what Trail does, independent of HTTP. Each service takes a typed
//! [`Caller`] (who, for which organization, from where) and typed input, checks nothing about
//! transport, and returns domain results or an [`ApiError`](crate::error::ApiError). Handlers in
//! `routes/` parse, call a service and render; the web app, stream workers and compatibility
//! routes call the same services (docs/architecture.md).
//!
//! - [`admin`]: the organization's settings and roles, changed with their audit events.
//! - [`exports`]: export jobs (create with its audit event, history, one, file, delete).
//! - [`ingest`]: validated, all-or-nothing appends to the log.
//! - [`search`]: narrowed, audited reads of the log (search, count, facets, one event,
//!   downloads).
//! - [`streams`]: SIEM stream destinations (create, change, pause, resume, replay, test) and
//!   their health.
//! - [`histogram`]: counts per time bucket; [`live`]: the live tail behind `/v1/events/stream`.
//! - administrative changes go through [`crate::audit::change`], which commits a change with its
//!   audit event.

pub mod admin;
pub mod event_types;
pub mod exports;
pub mod histogram;
pub mod ingest;
pub mod live;
pub mod search;
pub mod streams;

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

/// The scope or permission a route requires, as a type (`needs::MembersManage`), so that an
/// extractor can check it before the handler runs.
pub trait Required: Send + Sync + 'static {
    const NEED: Need;
}

/// The requirements routes name in their extractors.
pub mod needs {
    use super::{Need, Required};
    use crate::access::{Permission, Scope};

    macro_rules! needs {
        ($($(#[$doc:meta])* $name:ident => $need:expr;)*) => {$(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Required for $name {
                const NEED: Need = $need;
            }
        )*};
    }

    needs! {
        /// The `events:read` scope (or `events:read` / `events:read_own`).
        EventsRead => Need::Scope(Scope::EventsRead);
        /// The `exports` scope (or `events:export`).
        Exports => Need::Scope(Scope::Exports);
        /// `members:manage`.
        MembersManage => Need::Permission(Permission::MembersManage);
        /// `api_keys:manage`.
        ApiKeysManage => Need::Permission(Permission::ApiKeysManage);
        /// `settings:manage`.
        SettingsManage => Need::Permission(Permission::SettingsManage);
        /// `event_types:manage`.
        EventTypesManage => Need::Permission(Permission::EventTypesManage);
        /// `streams:manage`.
        StreamsManage => Need::Permission(Permission::StreamsManage);
    }
}

/// An authenticated caller that holds `N` (401/403 otherwise), not yet bound to an organization:
/// for routes that name the organization in their JSON body. The check runs before the body is
/// read; [`in_organization`](Authorized::in_organization) makes the [`Caller`].
#[derive(Debug, Clone)]
pub struct Authorized<N: Required> {
    pub principal: Principal,
    pub meta: RequestMeta,
    need: std::marker::PhantomData<N>,
}

impl<N: Required> Authorized<N> {
    /// Binds the caller to the organization `requested` names (or its own).
    pub async fn in_organization(
        self,
        state: &AppState,
        requested: Option<&str>,
    ) -> ApiResult<Caller> {
        let organization_id = self.principal.organization(state, requested).await?;
        Ok(Caller {
            principal: self.principal,
            organization_id,
            meta: self.meta,
        })
    }
}

impl<N: Required> axum::extract::FromRequestParts<AppState> for Authorized<N> {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        principal.check(N::NEED)?;
        let meta = match RequestMeta::from_request_parts(parts, state).await {
            Ok(meta) => meta,
            Err(never) => match never {},
        };
        Ok(Authorized {
            principal,
            meta,
            need: std::marker::PhantomData,
        })
    }
}

/// The caller of a route that names its organization in the query string (`organization_id`):
/// authenticated, holding `N`, bound to that organization (or its own). Rejections are the
/// usual 401/403/404 answers.
#[derive(Debug, Clone)]
pub struct OrgCaller<N: Required>(pub Caller, pub std::marker::PhantomData<N>);

/// The caller of a read route (`events:read`).
pub type ReadCaller = OrgCaller<needs::EventsRead>;

impl<N: Required> axum::extract::FromRequestParts<AppState> for OrgCaller<N> {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let authorized = Authorized::<N>::from_request_parts(parts, state).await?;
        let requested = parts.uri.query().and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "organization_id")
                .map(|(_, value)| value.into_owned())
        });
        let caller = authorized
            .in_organization(state, requested.as_deref())
            .await?;
        Ok(OrgCaller(caller, std::marker::PhantomData))
    }
}
