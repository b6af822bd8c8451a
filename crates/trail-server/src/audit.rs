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
//! Any route records with [`record`] (awaited: a change is acknowledged only once its audit
//! event is durable) or [`record_read`] (in the background, so a search never waits for it).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use serde_json::{Map, Value, json};
use trail_core::Millis;
use trail_core::event::EventInput;
use trail_core::validate;

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

/// Records an administrative change in `organization_id`'s log and waits until it is durable,
/// so a change is never acknowledged without its audit event. A failure is answered (503/500)
/// after logging what could not be recorded.
pub async fn record(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    organization_id: &str,
    entry: Entry,
) -> ApiResult<()> {
    if !state.settings.audit.record_changes {
        return Ok(());
    }
    let action = entry.action;
    append(state, principal, meta, organization_id, entry)
        .await
        .inspect_err(|err| {
            tracing::error!(organization_id, action, error = %err.message, "Could not record an audit event");
        })
}

/// Records a read (search, viewing an event, an export) in the background: the request does
/// not wait, and a failure is logged.
pub fn record_read(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    organization_id: &str,
    entry: Entry,
) {
    if !state.settings.audit.record_reads {
        return;
    }
    let (state, principal, meta, org) = (
        state.clone(),
        principal.clone(),
        meta.clone(),
        organization_id.to_owned(),
    );
    tokio::spawn(async move {
        let action = entry.action;
        if let Err(err) = append(&state, &principal, &meta, &org, entry).await {
            tracing::warn!(organization_id = %org, action, error = %err.message, "Could not record an audited read");
        }
    });
}

/// Records what Trail itself did (the retention job) and waits until it is durable. The actor is
/// `{"type": "system", "id": "trail"}` and the source `system`. Always recorded: such an event
/// explains a change to the log itself, so `audit` settings do not turn it off.
/// Records a change with an explicit `actor` (sign-in, before a session exists). Awaited like
/// [`record`].
pub async fn record_as(
    state: &AppState,
    actor: Value,
    meta: &RequestMeta,
    organization_id: &str,
    entry: Entry,
) -> ApiResult<()> {
    if !state.settings.audit.record_changes {
        return Ok(());
    }
    append_as(state, actor, "web_ui", meta, organization_id, entry).await
}

pub async fn record_system(state: &AppState, organization_id: &str, entry: Entry) -> ApiResult<()> {
    let actor = json!({"id": "trail", "type": "system", "name": "Trail"});
    append_as(
        state,
        actor,
        "system",
        &RequestMeta::default(),
        organization_id,
        entry,
    )
    .await
}

async fn append(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    organization_id: &str,
    entry: Entry,
) -> ApiResult<()> {
    append_as(
        state,
        actor(principal),
        principal.source(),
        meta,
        organization_id,
        entry,
    )
    .await
}

async fn append_as(
    state: &AppState,
    actor: Value,
    source: &str,
    meta: &RequestMeta,
    organization_id: &str,
    entry: Entry,
) -> ApiResult<()> {
    let mut event = json!({
        "action": entry.action,
        "area": AREA,
        "actor": actor,
        "source": source,
        "outcome": entry.outcome.unwrap_or("success"),
        "description": entry.description,
    });
    let mut context = Map::new();
    if let Some(ip) = meta.ip {
        context.insert("ip".into(), ip.to_string().into());
    }
    if let Some(agent) = &meta.user_agent {
        context.insert("user_agent".into(), agent.clone().into());
    }
    if !context.is_empty() {
        event["context"] = Value::Object(context);
    }
    if let Some(resource) = entry.resource {
        event["resource"] = resource;
    }
    if !entry.changes.is_empty() {
        event["changes"] = Value::Array(entry.changes);
    }
    if !entry.metadata.is_empty() {
        event["metadata"] = Value::Object(entry.metadata);
    }
    let input: EventInput = serde_json::from_value(event).map_err(ApiError::internal)?;
    let new = validate::validate_event(input, &state.settings.limits, Millis::now())
        .map_err(|errors| ApiError::internal(format!("invalid audit event: {errors:?}")))?;
    state
        .store
        .append(organization_id, vec![new])
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    Ok(())
}

/// The audit event's actor for a caller.
fn actor(principal: &Principal) -> Value {
    match principal {
        Principal::Operator => json!({"id": "operator", "type": "system", "name": "Operator"}),
        Principal::Key(key) => json!({"id": key.id, "type": "api_key", "name": key.name}),
        Principal::Member(member) => json!({
            "id": member.user.id,
            "type": "user",
            "name": member.user.name,
            "email": member.user.email,
            "role": member.role_name,
        }),
        Principal::Viewer(claims) => match &claims.viewer {
            Some(viewer) => {
                json!({"id": viewer.id, "type": "user", "name": viewer.name, "email": viewer.email, "role": "Viewer"})
            }
            None => {
                json!({"id": "viewer_token", "type": "user", "name": "Embedded viewer", "role": "Viewer"})
            }
        },
    }
}
