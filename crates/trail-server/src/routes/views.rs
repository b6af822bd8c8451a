//! `/v1/views`: saved views of the Activity log — named filters (query, toolbar filters, time
//! range), personal to whoever made them or shared with the organization, one of them the
//! owner's default. Creating, changing and deleting a view is recorded in the organization's
//! log (`trail.view.created`, `trail.view.updated`, `trail.view.deleted`).
//!
//! Anyone who may read the organization's events may keep views; viewer tokens are read-only and
//! may not. A personal view of someone else is a 404; a shared view may be changed or deleted by
//! its owner or by whoever manages members.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use trail_core::Millis;
use trail_store::{Change, SavedView};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access::{Permission, Scope};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::extract::OrgParam;
use crate::state::AppState;

const MAX_NAME_CHARS: usize = 200;
const MAX_FILTERS_BYTES: usize = 8 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewBody {
    /// Required with the operator credential.
    organization_id: Option<String>,
    /// 1–200 characters (required to create).
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    name: Option<String>,
    /// Shown to every member of the organization [default: false, personal].
    shared: Option<bool>,
    /// Opened when the owner opens the Activity log; at most one per owner [default: false].
    is_default: Option<bool>,
    /// The view's filters as one JSON object of at most 8 KiB, e.g. `{"q": "actor:alice",
    /// "action": "member.*", "range": "30d"}` (the web app's URL state).
    #[schema(value_type = Option<Object>)]
    filters: Option<Map<String, Value>>,
}

#[derive(Serialize, ToSchema)]
pub struct ViewAnswer {
    id: String,
    name: String,
    shared: bool,
    /// Whether this is the caller's default view.
    is_default: bool,
    #[schema(value_type = Object)]
    filters: Value,
    /// Who made it: a user id, an API key id or `operator`.
    owner: String,
    /// Whether the caller may change or delete it.
    editable: bool,
    #[schema(value_type = String)]
    created_at: Millis,
    #[schema(value_type = String)]
    updated_at: Millis,
}

#[derive(Serialize, ToSchema)]
pub struct ViewList {
    views: Vec<ViewAnswer>,
}

/// Who owns the views a caller makes.
fn owner(principal: &Principal) -> ApiResult<String> {
    principal.require(Scope::EventsRead)?;
    match principal {
        Principal::Operator => Ok("operator".into()),
        Principal::Key(key) => Ok(key.id.clone()),
        Principal::Member(member) => Ok(member.user.id.clone()),
        Principal::Viewer(_) => Err(ApiError::forbidden(
            "A viewer token is read-only and cannot keep saved views.",
        )),
    }
}

fn may_edit(principal: &Principal, me: &str, view: &SavedView) -> bool {
    view.owner == me
        || principal
            .require_permission(Permission::MembersManage)
            .is_ok()
}

fn answer(principal: &Principal, me: &str, view: SavedView) -> ViewAnswer {
    ViewAnswer {
        editable: may_edit(principal, me, &view),
        is_default: view.is_default && view.owner == me,
        filters: serde_json::from_str(&view.filters).unwrap_or(Value::Object(Map::new())),
        id: view.id,
        name: view.name,
        shared: view.shared,
        owner: view.owner,
        created_at: view.created_at,
        updated_at: view.updated_at,
    }
}

fn check(body: &ViewBody) -> ApiResult<()> {
    if let Some(name) = &body.name {
        let chars = name.trim().chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(ApiError::invalid_field(
                "name",
                "length",
                format!("`name` must be 1–{MAX_NAME_CHARS} characters."),
            ));
        }
    }
    if let Some(filters) = &body.filters
        && serde_json::to_vec(filters).map_or(0, |v| v.len()) > MAX_FILTERS_BYTES
    {
        return Err(ApiError::invalid_field(
            "filters",
            "size",
            format!("`filters` must be at most {MAX_FILTERS_BYTES} bytes of JSON."),
        ));
    }
    Ok(())
}

/// A view the caller may see, else 404.
async fn visible(state: &AppState, org: &str, id: &str, me: &str) -> ApiResult<SavedView> {
    match state.store.get_view(org, id).await {
        Ok(view) if view.shared || view.owner == me => Ok(view),
        Ok(_) | Err(trail_store::StoreError::NotFound) => Err(ApiError::not_found("view")),
        Err(err) => Err(ApiError::from_store(err, "view")),
    }
}

/// The organization's shared views and the caller's own, by name.
#[utoipa::path(get, path = "/v1/views", tag = "events", params(OrgParam),
    responses((status = 200, body = ViewList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ViewList>> {
    let me = owner(&principal)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    let views = state.store.list_views(&org, &me).await?;
    Ok(Json(ViewList {
        views: views
            .into_iter()
            .map(|v| answer(&principal, &me, v))
            .collect(),
    }))
}

/// Save the current filters as a view.
#[utoipa::path(post, path = "/v1/views", tag = "events", request_body = ViewBody,
    responses((status = 201, body = ViewAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<ViewAnswer>)> {
    let me = owner(&principal)?;
    let body: ViewBody = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    check(&body)?;
    let org = principal
        .organization(&state, body.organization_id.as_deref())
        .await?;
    let name = body
        .name
        .as_deref()
        .map(str::trim)
        .ok_or_else(|| ApiError::invalid_field("name", "required", "`name` is required."))?;
    let now = state.clock.now();
    let view = SavedView {
        organization_id: org.clone(),
        id: trail_core::ids::new_view_id(),
        name: name.to_owned(),
        owner: me.clone(),
        shared: body.shared.unwrap_or(false),
        is_default: body.is_default.unwrap_or(false),
        filters: Value::Object(body.filters.unwrap_or_default()).to_string(),
        created_at: now,
        updated_at: now,
    };
    let entry = Entry::new("trail.view.created", format!("Saved the view {name:?}"))
        .resource("view", &view.id, Some(name))
        .metadata("shared", view.shared)
        .metadata("filters", filters_json(&view.filters));
    put_view(&state, &principal, &meta, &org, &view, entry).await?;
    Ok((StatusCode::CREATED, Json(answer(&principal, &me, view))))
}

/// One view.
#[utoipa::path(get, path = "/v1/views/{id}", tag = "events", params(("id" = String, Path), OrgParam),
    responses((status = 200, body = ViewAnswer), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ViewAnswer>> {
    let me = owner(&principal)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    let view = visible(&state, &org, &id, &me).await?;
    Ok(Json(answer(&principal, &me, view)))
}

/// Rename a view, share or unshare it, make it the default, or replace its filters.
#[utoipa::path(patch, path = "/v1/views/{id}", tag = "events", params(("id" = String, Path)), request_body = ViewBody,
    responses((status = 200, body = ViewAnswer), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<ViewAnswer>> {
    let me = owner(&principal)?;
    let body: ViewBody = extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    check(&body)?;
    let org = principal
        .organization(&state, body.organization_id.as_deref())
        .await?;
    let old = visible(&state, &org, &id, &me).await?;
    if !may_edit(&principal, &me, &old) {
        return Err(ApiError::forbidden(
            "Only the view's owner or someone who manages members may change a shared view.",
        ));
    }
    let mut view = old.clone();
    if let Some(name) = &body.name {
        view.name = name.trim().to_owned();
    }
    if let Some(shared) = body.shared {
        view.shared = shared;
    }
    if let Some(is_default) = body.is_default {
        view.is_default = is_default;
    }
    if let Some(filters) = body.filters {
        view.filters = Value::Object(filters).to_string();
    }
    view.updated_at = state.clock.now();
    let mut entry = Entry::new(
        "trail.view.updated",
        format!("Changed the view {:?}", view.name),
    )
    .resource("view", &view.id, Some(&view.name));
    if old.name != view.name {
        entry = entry.change("name", old.name.clone(), view.name.clone());
    }
    if old.shared != view.shared {
        entry = entry.change("shared", old.shared, view.shared);
    }
    if old.is_default != view.is_default {
        entry = entry.change("is_default", old.is_default, view.is_default);
    }
    if old.filters != view.filters {
        entry = entry.change(
            "filters",
            filters_json(&old.filters),
            filters_json(&view.filters),
        );
    }
    put_view(&state, &principal, &meta, &org, &view, entry).await?;
    Ok(Json(answer(&principal, &me, view)))
}

/// Delete a view.
#[utoipa::path(delete, path = "/v1/views/{id}", tag = "events", params(("id" = String, Path), OrgParam),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    let me = owner(&principal)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    let view = visible(&state, &org, &id, &me).await?;
    if !may_edit(&principal, &me, &view) {
        return Err(ApiError::forbidden(
            "Only the view's owner or someone who manages members may delete a shared view.",
        ));
    }
    let entry = Entry::new(
        "trail.view.deleted",
        format!("Deleted the view {:?}", view.name),
    )
    .resource("view", &view.id, Some(&view.name));
    audit::change(
        &state,
        &principal,
        &meta,
        &org,
        Change::DeleteView { id },
        move |_| Some(entry),
    )
    .await
    .map_err(|e| ApiError::from_store(e, "view"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores a created or changed view together with its audit event.
async fn put_view(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    org: &str,
    view: &SavedView,
    entry: Entry,
) -> ApiResult<()> {
    audit::change(
        state,
        principal,
        meta,
        org,
        Change::PutView(view.clone()),
        move |_| Some(entry),
    )
    .await
    .map(|_| ())
    .map_err(|e| ApiError::from_store(e, "view"))
}

/// A view's stored filters as JSON, for its audit event.
fn filters_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_default()
}
