//! The auditors are audited: reading the log and every administrative change are recorded as
//! ordinary events in the organization's own log, with the caller as actor, `source` `web_ui`
//! (session or viewer token) or `api`, and the client's address.
//!
//! Actions live in the `trail` area: `trail.events.searched`, `trail.event.viewed`,
//! `trail.member.added`, `trail.member.updated`, `trail.role.created`, `trail.role.deleted`,
//! `trail.api_key.created`, `trail.api_key.revoked`, `trail.viewer_token.created`; later routes
//! (exports, streams, settings) add theirs the same way. Trail's own jobs record with
//! [`record_system`] (`trail.retention.purged`).
//!
//! A change and its audit event commit in one store transaction ([`change`], over
//! `Store::apply_audited`; docs/decisions.md "Atomic audit"). A read is served only once its
//! audit event is durable ([`read`], admitted through the bounded [`reads::ReadGate`]). An audit
//! event is never refused for what the caller sent: [`sanitize`] truncates or summarises it.
//! [`record`] appends an event that goes with no stored change (issuing a viewer token).

mod build;
pub mod reads;
pub mod sanitize;

pub use build::{Actor, build_event};

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use serde_json::{Map, Value, json};
use trail_store::{Change, Changed, StoreError};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The area of every audit event Trail writes itself.
pub const AREA: &str = "trail";

/// Where a request came from, for audit events.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestMeta {
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(512).collect()),
        })
    }
}

/// One audit event: the action (`trail.member.added`), what it was done to, and its details.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub action: &'static str,
    /// `{"type", "id", "name"}` of the thing acted on.
    pub resource: Option<Value>,
    /// `[{"field", "old", "new"}]`.
    pub changes: Vec<Value>,
    pub description: String,
    pub metadata: Map<String, Value>,
    /// `success` unless set (a failed sign-in is a `failure`).
    pub outcome: Option<&'static str>,
}

impl Entry {
    pub fn new(action: &'static str, description: impl Into<String>) -> Entry {
        Entry {
            action,
            description: description.into(),
            ..Entry::default()
        }
    }

    pub fn resource(mut self, kind: &str, id: &str, name: Option<&str>) -> Entry {
        self.resource = Some(json!({"type": kind, "id": id, "name": name}));
        self
    }

    pub fn change(mut self, field: &str, old: impl Into<Value>, new: impl Into<Value>) -> Entry {
        self.changes
            .push(json!({"field": field, "old": old.into(), "new": new.into()}));
        self
    }

    pub fn metadata(mut self, key: &str, value: impl Into<Value>) -> Entry {
        self.metadata.insert(key.to_owned(), value.into());
        self
    }
}

/// Applies `change` to `organization_id` and records the audit event `entry_of` builds from what
/// it became, in one transaction: both are stored or neither ([`Store::apply_audited`]).
/// `entry_of` returning `None` records nothing (the change changed nothing). With
/// `audit.record_changes` off only the change is applied.
///
/// [`Store::apply_audited`]: trail_store::Store::apply_audited
pub async fn change(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    organization_id: &str,
    change: Change,
    entry_of: impl FnOnce(&Changed) -> Option<Entry> + Send + 'static,
) -> Result<Changed, StoreError> {
    let actor = Actor::of(principal, meta);
    change_as(
        state,
        actor,
        organization_id,
        change,
        entry_of,
        state.settings.audit.record_changes,
    )
    .await
}

/// [`change`] done by Trail itself (the retention job): actor `{"type": "system", "id":
/// "trail"}`, source `system`, always recorded whatever the `audit` settings say.
pub async fn system_change(
    state: &AppState,
    organization_id: &str,
    change: Change,
    entry_of: impl FnOnce(&Changed) -> Option<Entry> + Send + 'static,
) -> Result<Changed, StoreError> {
    change_as(
        state,
        Actor::system(),
        organization_id,
        change,
        entry_of,
        true,
    )
    .await
}

async fn change_as(
    state: &AppState,
    actor: Actor,
    organization_id: &str,
    change: Change,
    entry_of: impl FnOnce(&Changed) -> Option<Entry> + Send + 'static,
    recorded: bool,
) -> Result<Changed, StoreError> {
    let (limits, now) = (state.settings.limits.clone(), state.clock.now());
    let audit: trail_store::AuditOf = Box::new(move |changed| {
        if !recorded {
            return Ok(None);
        }
        entry_of(changed)
            .map(|entry| build_event(&actor, entry, &limits, now))
            .transpose()
    });
    state
        .store
        .apply_audited(organization_id, change, audit)
        .await
        .inspect_err(|err| {
            if matches!(err, StoreError::Internal(_) | StoreError::Unavailable(_)) {
                tracing::error!(organization_id, error = %err, "Could not apply a change with its audit event");
            }
        })
        .map(|done| done.changed)
}

/// Records an event done by `actor` that goes with no stored change (signing in, before a session
/// exists) and waits until it is durable. Off with `audit.record_changes`.
pub async fn record_as(
    state: &AppState,
    actor: Actor,
    organization_id: &str,
    entry: Entry,
) -> ApiResult<()> {
    change_as(
        state,
        actor,
        organization_id,
        Change::Nothing,
        |_| Some(entry),
        state.settings.audit.record_changes,
    )
    .await
    .map(drop)
    .map_err(|e| ApiError::from_store(e, "organization"))
}

/// Records an event that goes with no stored change (issuing a viewer token) and waits until it
/// is durable.
pub async fn record(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    organization_id: &str,
    entry: Entry,
) -> ApiResult<()> {
    change(
        state,
        principal,
        meta,
        organization_id,
        Change::Nothing,
        |_| Some(entry),
    )
    .await
    .map(drop)
    .map_err(|e| ApiError::from_store(e, "organization"))
}

/// Records an audited read (a search, viewing an event, a download) and waits until it is
/// durable: a read whose audit event cannot be recorded is not served. Admission goes through
/// the bounded [`reads::ReadGate`]; when it is full the read answers 503 with `Retry-After`.
/// With `audit.record_reads` off nothing is recorded.
pub async fn read(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    organization_id: &str,
    entry: Entry,
) -> ApiResult<()> {
    if !state.settings.audit.record_reads {
        return Ok(());
    }
    let action = entry.action;
    let _admitted = state.read_gate.admit()?;
    let event = build_event(
        &Actor::of(principal, meta),
        entry,
        &state.settings.limits,
        state.clock.now(),
    )
    .map_err(ApiError::internal)?;
    match state.store.append(organization_id, vec![event]).await {
        Ok(_) => Ok(()),
        Err(err) => {
            metrics::counter!("trail_audit_reads_refused_total").increment(1);
            tracing::error!(organization_id, action, actor = %principal_name(principal), error = %err, "Could not record an audited read; not serving it");
            Err(match err {
                StoreError::NotFound => ApiError::not_found("organization"),
                _ => ApiError::unavailable(
                    "The read could not be recorded in the audit log; retry shortly.",
                ),
            })
        }
    }
}

/// Who a caller is, for logs.
fn principal_name(principal: &Principal) -> String {
    match principal {
        Principal::Operator => "operator".into(),
        Principal::Key(key) => format!("key:{}", key.id),
        Principal::Member(member) => format!("user:{}", member.user.id),
        Principal::Viewer(claims) => format!("viewer_token:{}", claims.org),
    }
}
