//! The Retraced publisher API, at `/publisher/v1/…` and `/auditlog/publisher/v1/…` (the
//! client's default endpoint ends in `/auditlog`): create one event, bulk events, viewer tokens
//! and the GraphQL search. Authorization is `token=<key>` (or `Token token=<key>`) with an
//! organization's Trail API key; the project id is that organization's id, and a key of another
//! organization is a 401. The client ignores error bodies (it throws on any non-2xx status), so
//! errors keep Trail's own shape, which names the field.

pub mod events;
pub mod graphql;
pub mod hash;
pub mod query;

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::RequestMeta;
use crate::auth::{self, Principal};
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::services::admin::viewer_tokens::{self, NewViewerToken};
use crate::services::{Caller, ingest};
use crate::state::AppState;
use crate::viewer_tokens::ViewerIdentity;

pub fn router() -> Router<AppState> {
    let routes = Router::new()
        .route("/publisher/v1/project/{project}/event", post(create_event))
        .route(
            "/publisher/v1/project/{project}/event/bulk",
            post(create_bulk),
        )
        .route(
            "/publisher/v1/project/{project}/viewertoken",
            get(viewer_token),
        )
        .route("/publisher/v1/project/{project}/graphql", post(search));
    routes.clone().nest("/auditlog", routes)
}

/// Whether a request publishes events (rate-limited as ingest).
pub fn is_ingest(method: &axum::http::Method, path: &str) -> bool {
    let path = path.strip_prefix("/auditlog").unwrap_or(path);
    method == axum::http::Method::POST
        && path.starts_with("/publisher/v1/project/")
        && (path.ends_with("/event") || path.ends_with("/event/bulk"))
}

/// The caller of a project's route: an API key of the organization `project` names.
async fn project_caller(state: &AppState, headers: &HeaderMap, project: &str) -> ApiResult<Caller> {
    let key = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once("token=").map(|(_, key)| key.trim()))
        .filter(|key| !key.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized("Send the API key as `Authorization: token=<key>`.")
        })?;
    let principal = auth::bearer(state, key).await?;
    let organization_id = match &principal {
        Principal::Key(api_key) => api_key.organization_id.clone(),
        _ => None,
    };
    match organization_id {
        Some(org) if super::links::names(state, &org, project).await? => Ok(Caller {
            organization_id: org,
            principal,
            meta: RequestMeta::default(),
        }),
        _ => Err(ApiError::unauthorized(
            "This key is not an API key of this project's organization.",
        )),
    }
}

async fn create_event(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let caller = project_caller(&state, &headers, &project).await?;
    let bytes =
        extract::body_bytes(&headers, body, state.settings.limits.max_request_bytes).await?;
    let event: events::RetracedEvent = extract::json(&bytes)?;
    let prepared = events::prepare(event, "").map_err(ApiError::invalid_fields)?;
    ingest::append_events(&state, &caller, vec![prepared.input]).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": prepared.id, "hash": prepared.hash})),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct Bulk {
    events: Vec<events::RetracedEvent>,
}

async fn create_bulk(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let caller = project_caller(&state, &headers, &project).await?;
    let bytes =
        extract::body_bytes(&headers, body, state.settings.limits.max_request_bytes).await?;
    let bulk: Bulk = extract::json(&bytes)?;
    let max = state.settings.limits.max_events_per_request;
    if bulk.events.is_empty() || bulk.events.len() > max {
        return Err(ApiError::invalid_field(
            "events",
            "count",
            format!("`events` must hold 1 to {max} events."),
        ));
    }
    let mut prepared = Vec::with_capacity(bulk.events.len());
    let mut errors = Vec::new();
    for (i, event) in bulk.events.into_iter().enumerate() {
        match events::prepare(event, &format!("events[{i}].")) {
            Ok(p) => prepared.push(p),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let answers: Vec<Value> = prepared
        .iter()
        .map(|p| json!({"id": p.id, "hash": p.hash}))
        .collect();
    ingest::append_events(
        &state,
        &caller,
        prepared.into_iter().map(|p| p.input).collect(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Value::Array(answers))).into_response())
}

#[derive(Debug, Deserialize)]
struct ViewerParams {
    group_id: Option<String>,
    actor_id: Option<String>,
    is_admin: Option<String>,
    #[allow(dead_code)]
    view_log_action: Option<String>,
}

/// A Trail viewer token for the project's organization, which opens `/embed?token=…`. The
/// group must be the project itself: Trail scopes viewer tokens to an organization (and
/// optionally an actor), not to a Retraced group inside it, so a token for one group would show
/// the others'.
async fn viewer_token(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let caller = project_caller(&state, &headers, &project).await?;
    let params: ViewerParams = extract::query(raw.as_deref())?;
    let group = params.group_id.unwrap_or_default();
    if group != project && group != caller.organization_id {
        return Err(ApiError::forbidden(
            "Trail's viewer tokens show a whole project: pass the project id as `group_id` (use one project per customer).",
        ));
    }
    let actor = params
        .actor_id
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            ApiError::invalid_field("actor_id", "required", "`actor_id` is required.")
        })?;
    let new = NewViewerToken {
        export: params.is_admin.as_deref() == Some("true"),
        viewer: Some(ViewerIdentity {
            id: actor,
            name: None,
            email: None,
        }),
        ..NewViewerToken::default()
    };
    let (token, _) = viewer_tokens::mint(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(json!({"token": token}))).into_response())
}

#[derive(Debug, Deserialize)]
struct GraphqlBody {
    query: String,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

fn schema() -> &'static graphql::SearchSchema {
    static SCHEMA: OnceLock<graphql::SearchSchema> = OnceLock::new();
    SCHEMA.get_or_init(graphql::schema)
}

/// `POST …/graphql`: a GraphQL error answers 400, since the client reads any 2xx as data.
async fn search(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let caller = project_caller(&state, &headers, &project).await?;
    let bytes = extract::body_bytes(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let body: GraphqlBody = extract::json(&bytes)?;
    let mut request =
        async_graphql::Request::new(body.query).data(graphql::Scope { state, caller });
    if let Some(variables) = body.variables {
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(name) = body.operation_name {
        request = request.operation_name(name);
    }
    let response = schema().execute(request).await;
    let status = if response.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let json = serde_json::to_value(&response).map_err(ApiError::internal)?;
    Ok((status, Json(json)).into_response())
}
