//! `/v1/events`: ingest (one event, a JSON array or NDJSON; all-or-nothing; answered once durable)
//! and search (query language, structured filters, time range, keyset pagination), count, facets,
//! and one event by id; with `format`, a search streams every match as a CSV, JSON or NDJSON file.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, LINK};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trail_core::Millis;

use trail_core::catalogue::compiled::Catalogue;
use trail_core::catalogue::title_case;
use trail_core::export::ExportFormat;
use trail_core::merkle::InclusionProof;
use trail_core::query::{Order, Search, SortKey, StructuredFilter};
use trail_store::{Appended, FacetValue};
use utoipa::{IntoParams, ToSchema};

use super::{ErrorBody, values};
use crate::access::Scope;
use crate::audit::RequestMeta;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::OrgParam;
use crate::services::event_types::display::Shown;
use crate::services::ingest;
use crate::services::search::{self, SearchInput};
use crate::services::{Caller, ReadCaller};
use crate::state::AppState;
use crate::{exports, extract};

#[derive(Serialize, ToSchema)]
pub struct IngestResponse {
    /// One entry per event, in request order.
    #[schema(value_type = Vec<Object>)]
    events: Vec<Appended>,
}

/// Ingest events.
///
/// The body is one event object, a JSON array of them, or NDJSON (`Content-Type:
/// application/x-ndjson`). All-or-nothing: if any event is invalid nothing is stored. Answers only
/// after the batch is durable. A client-chosen `id` makes the write idempotent.
#[utoipa::path(post, path = "/v1/events", tag = "events", params(OrgParam),
    request_body(content = Object, description = "One event, a JSON array of events, or NDJSON"),
    responses(
        (status = 200, description = "Stored durably", body = IngestResponse),
        (status = 400, description = "Invalid events; details name each field", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A client-chosen id was reused with a different body", body = ErrorBody),
        (status = 413, description = "Too many bytes or events in one request", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ))]
pub async fn ingest(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestResponse>> {
    principal.require(Scope::EventsWrite)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let caller = Caller::resolve(
        &state,
        principal,
        meta,
        params.organization_id(),
        Scope::EventsWrite,
    )
    .await?;
    let bytes =
        extract::body_bytes(&headers, body, state.settings.limits.max_request_bytes).await?;
    let ndjson = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/x-ndjson") || ct.starts_with("application/jsonl")
        });
    let events = ingest::append(
        &state,
        &caller,
        ingest::Body {
            bytes: &bytes,
            ndjson,
        },
    )
    .await?;
    Ok(Json(IngestResponse { events }))
}

/// Search parameters, shared by the GET query string and the POST body.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Required with the operator credential.
    pub(crate) organization_id: Option<String>,
    /// Query language, e.g. `actor:alice action:member.* -source:api`.
    q: Option<String>,
    /// Inclusive lower bound on `occurred_at`: RFC 3339, a date, `now`, or relative (`30d`, `12h`).
    #[param(min_length = 1)]
    #[schema(min_length = 1)]
    from: Option<String>,
    /// Exclusive upper bound on `occurred_at`, same forms as `from`.
    #[param(min_length = 1)]
    #[schema(min_length = 1)]
    to: Option<String>,
    /// Page size, 1–1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    #[schema(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    #[schema(min_length = 1)]
    cursor: Option<String>,
    /// `desc` (newest first, default) or `asc`.
    #[param(value_type = Option<values::OrderValue>, inline)]
    #[schema(value_type = Option<values::OrderValue>, inline)]
    order: Option<Order>,
    /// `occurred_at` (default) or `seq` (the log's order; use with `order=asc` to poll without missing late events).
    #[param(value_type = Option<values::SortValue>, inline)]
    #[schema(value_type = Option<values::SortValue>, inline)]
    sort: Option<SortKey>,
    /// `csv`, `json` or `ndjson`: download every matching event as one file (streamed, no row
    /// cap; `limit` is ignored) instead of a page of JSON.
    #[param(value_type = Option<values::FormatValue>, inline)]
    #[schema(value_type = Option<values::FormatValue>, inline)]
    format: Option<ExportFormat>,
    /// POST only: structured `{"field", "op", "value"}` rows, ANDed with `q`.
    #[param(ignore)]
    #[schema(value_type = Option<Vec<Object>>)]
    filters: Option<Vec<StructuredFilter>>,
}

impl SearchParams {
    /// The service's input for these parameters.
    pub fn input(&self) -> SearchInput {
        SearchInput {
            q: self.q.clone(),
            filters: self.filters.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            limit: self.limit,
            cursor: self.cursor.clone(),
            order: self.order,
            sort: self.sort,
        }
    }

    /// The search these parameters describe (the export dialog's current view).
    pub fn to_search(&self, now: Millis) -> ApiResult<Search> {
        self.input().to_search(now)
    }
}

#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    /// Each event's hashed fields, with `display` (label, area, sentence) beside them.
    #[schema(value_type = Vec<Object>)]
    events: Vec<Shown>,
    /// Pass as `cursor` for the next page; `null` when this is the last.
    next_cursor: Option<String>,
}

async fn run_search(
    state: &AppState,
    principal: Principal,
    meta: RequestMeta,
    params: &SearchParams,
) -> ApiResult<Response> {
    let caller = Caller::resolve(
        state,
        principal,
        meta,
        params.organization_id.as_deref(),
        Scope::EventsRead,
    )
    .await?;
    let input = params.input();
    let catalogue = search::catalogue(state, &caller.organization_id).await?;
    if let Some(format) = params.format {
        let search = search::download(state, &caller, &input, format.extension()).await?;
        return Ok(download(
            state,
            caller.organization_id,
            search,
            format,
            catalogue,
        ));
    }
    let page = search::page(state, &caller, &input).await?;
    let next_cursor = page.next_cursor.map(|c| c.encode());
    let mut response = Json(SearchResponse {
        events: Shown::all(&catalogue, page.events),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        response.extensions_mut().insert(NextCursor(cursor));
    }
    Ok(response)
}

/// Every event of the search as one streamed file, `limit` aside.
fn download(
    state: &AppState,
    org: String,
    search: Search,
    format: ExportFormat,
    catalogue: Arc<Catalogue>,
) -> Response {
    let name = format!(
        "trail-{org}-{}.{}",
        state.clock.now().to_rfc3339().replace([':', '.'], "-"),
        format.extension()
    );
    let pages = exports::stream::pages(state.store.clone(), org, search);
    (
        [
            (CONTENT_TYPE, format.content_type().to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        exports::stream::body(format, pages, catalogue),
    )
        .into_response()
}

/// Search events, or with `format` download every match as CSV, JSON or NDJSON.
///
/// A page with more after it carries `Link: </v1/events?…&cursor=…>; rel="next"`. A SIEM that
/// polls uses `sort=seq&order=asc`: the log's order, in which an event that arrives late (an old
/// `occurred_at`) still comes after everything already read, so following the cursor never
/// skips one.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(SearchParams),
    responses((status = 200, body = SearchResponse, description = "A page of events, or with `format` the whole result as a file",
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when more events follow"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn search_get(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let params: SearchParams = extract::query(raw.as_deref())?;
    if params.filters.is_some() {
        return Err(ApiError::invalid_field(
            "filters",
            "post_only",
            "Structured `filters` are accepted by POST /v1/events/search.",
        ));
    }
    let mut response = run_search(&state, principal, meta, &params).await?;
    if let Some(link) = next_link(raw.as_deref().unwrap_or(""), &response) {
        response.headers_mut().insert(LINK, link);
    }
    Ok(response)
}

/// `Link: </v1/events?…&cursor=…>; rel="next"` for a page that has a `next_cursor`: the same
/// query with the cursor replaced, so that a poller (a SIEM with `sort=seq&order=asc`) follows
/// links and never builds URLs. Read from the JSON answer's `next_cursor`.
fn next_link(raw: &str, response: &Response) -> Option<axum::http::HeaderValue> {
    let cursor = response.extensions().get::<NextCursor>()?.0.clone();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        if key != "cursor" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("cursor", &cursor);
    axum::http::HeaderValue::from_str(&format!("</v1/events?{}>; rel=\"next\"", query.finish()))
        .ok()
}

/// The `next_cursor` of a page, carried to the handler that adds the `Link` header.
#[derive(Clone)]
struct NextCursor(String);

/// Search events with a JSON body (may carry structured `filters`).
#[utoipa::path(post, path = "/v1/events/search", tag = "events", request_body = SearchParams,
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn search_post(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let params: SearchParams =
        extract::json_body(&headers, body, state.settings.limits.max_request_bytes).await?;
    run_search(&state, principal, meta, &params).await
}

#[derive(Serialize, ToSchema)]
pub struct CountResponse {
    count: u64,
}

/// Count matching events (what "Export N records" shows). Same parameters as search; `limit` and `cursor` are ignored.
#[utoipa::path(get, path = "/v1/events/count", tag = "events", params(SearchParams),
    responses((status = 200, body = CountResponse), (status = 400, body = ErrorBody)))]
pub async fn count(
    State(state): State<AppState>,
    caller: ReadCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<CountResponse>> {
    let params: SearchParams = extract::query(raw.as_deref())?;
    let count = search::count(&state, &caller.0, &params.input()).await?;
    Ok(Json(CountResponse { count }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FacetParams {
    #[allow(
        dead_code,
        reason = "read by the `ReadCaller` extractor; kept so that the parameter is documented and accepted"
    )]
    organization_id: Option<String>,
    /// One of `action`, `area`, `actor.id`, `actor.email`, `actor.role`, `actor.type`, `source`, `outcome`, `country`.
    #[param(value_type = values::FacetFieldValue, inline, required = true)]
    field: Option<String>,
    /// How many values, 1–1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    q: Option<String>,
    #[param(min_length = 1)]
    from: Option<String>,
    #[param(min_length = 1)]
    to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FacetResponse {
    field: String,
    /// `{"value", "count"}`, and for `action` (and `area`) the catalogue's `label`, `area` and
    /// `area_label`, so that a drop-down can group actions by area.
    #[schema(value_type = Vec<Object>)]
    values: Vec<FacetShown>,
}

#[derive(Serialize)]
pub struct FacetShown {
    #[serde(flatten)]
    value: FacetValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    area: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    area_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalogued: Option<bool>,
}

/// Distinct values of a field with counts, most frequent first, among events matching `q`/`from`/`to`.
#[utoipa::path(get, path = "/v1/events/facets", tag = "events", params(FacetParams),
    responses((status = 200, body = FacetResponse), (status = 400, body = ErrorBody)))]
pub async fn facets(
    State(state): State<AppState>,
    caller: ReadCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<FacetResponse>> {
    let params: FacetParams = extract::query(raw.as_deref())?;
    let input = SearchInput {
        q: params.q,
        from: params.from,
        to: params.to,
        ..SearchInput::default()
    };
    let name = params.field;
    let values = search::facets(&state, &caller.0, &input, name.as_deref(), params.limit).await?;
    let catalogue = search::catalogue(&state, &caller.0.organization_id).await?;
    let values = values
        .into_iter()
        .map(|value| match name.as_deref() {
            Some("action") => {
                let (label, area, catalogued) = catalogue.label_of(&value.value);
                FacetShown {
                    label: Some(label),
                    area_label: Some(title_case(&area)),
                    area: Some(area),
                    catalogued: Some(catalogued),
                    value,
                }
            }
            Some("area") => FacetShown {
                label: Some(title_case(&value.value)),
                area: None,
                area_label: None,
                catalogued: None,
                value,
            },
            _ => FacetShown {
                value,
                label: None,
                area: None,
                area_label: None,
                catalogued: None,
            },
        })
        .collect();
    Ok(Json(FacetResponse {
        field: name.unwrap_or_default(),
        values,
    }))
}

/// An event with its inclusion proof against the latest checkpoint (`null` until one covers it).
/// `proof` is not part of the leaf hash.
#[derive(Serialize)]
pub struct EventWithProof {
    #[serde(flatten)]
    event: Shown,
    proof: Option<InclusionProof>,
}

/// One event by id, with its inclusion proof under `proof`.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "events", params(("id" = String, Path, description = "Event id"), OrgParam),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_event(
    State(state): State<AppState>,
    caller: ReadCaller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<EventWithProof>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let caller = caller.0;
    let event = search::event(&state, &caller, &id).await?;
    let proof = super::log::proof_for_event(&state, &caller.organization_id, event.seq).await;
    let catalogue = search::catalogue(&state, &caller.organization_id).await?;
    Ok(Json(EventWithProof {
        event: Shown::new(&catalogue, event),
        proof,
    }))
}
