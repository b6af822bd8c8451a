//! `/v1/events`: ingest (one event, a JSON array or NDJSON; all-or-nothing; answered once durable)
//! and search (query language, structured filters, time range, keyset pagination), count, facets,
//! and one event by id; with `format`, a search streams every match as a CSV, JSON or NDJSON file.

use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trail_core::Millis;
use trail_core::cursor::Cursor;
use trail_core::event::Event;
use trail_core::export::ExportFormat;
use trail_core::merkle::InclusionProof;
use trail_core::query::{self, Field, Filter, Order, Search, SortKey, StructuredFilter};
use trail_core::time::time_bound;
use trail_core::validate::{self, BodyError};
use trail_store::{Appended, FACET_FIELDS, FacetValue};
use utoipa::{IntoParams, ToSchema};

use super::ErrorBody;
use crate::access;
use crate::access::Scope;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{exports, extract};

/// Names the organization when calling with the operator credential.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgParam {
    /// Required with the operator credential; an organization key may omit it.
    organization_id: Option<String>,
}

impl OrgParam {
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }
}

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
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestResponse>> {
    principal.require(Scope::EventsWrite)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id.as_deref())
        .await?;
    let limits = &state.settings.limits;
    let bytes = extract::body_bytes(&headers, body, limits.max_request_bytes).await?;
    let ndjson = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/x-ndjson") || ct.starts_with("application/jsonl")
        });

    let started = Instant::now();
    let inputs = validate::parse_body(&bytes, ndjson, limits).map_err(|err| match err {
        BodyError::TooManyEvents { count, max } => ApiError::payload_too_large(format!(
            "The request holds {count} events; at most {max} are allowed per request. Split it into smaller batches."
        )),
        BodyError::Invalid(errors) => ApiError::invalid_fields(errors),
    })?;
    let ids: Vec<Option<String>> = inputs.iter().map(|e| e.id.clone()).collect();
    let events = validate::validate_batch(inputs, limits, Millis::now())
        .map_err(ApiError::invalid_fields)?;
    let count = events.len();
    let appended = state.store.append(&org, events).await.map_err(|err| match err {
        trail_store::StoreError::IdConflict { id } => {
            let index = ids.iter().position(|i| i.as_deref() == Some(id.as_str())).unwrap_or(0);
            let mut api = ApiError::from_store(trail_store::StoreError::IdConflict { id: id.clone() }, "event");
            api.details = vec![serde_json::json!({"field": format!("events[{index}].id"), "rule": "unique", "id": id})];
            api
        }
        other => ApiError::from_store(other, "organization"),
    })?;
    metrics::counter!("trail_ingest_events_total").increment(count as u64);
    metrics::histogram!("trail_ingest_batch_events").record(count as f64);
    metrics::histogram!("trail_ingest_seconds").record(started.elapsed().as_secs_f64());
    Ok(Json(IngestResponse { events: appended }))
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
    /// Inclusive lower bound on `occurred_at`: RFC 3339, a date, or relative (`30d`, `12h`).
    from: Option<String>,
    /// Exclusive upper bound on `occurred_at`, same forms as `from`.
    to: Option<String>,
    /// Page size, 1–1000 (default 50).
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `desc` (newest first, default) or `asc`.
    #[param(value_type = Option<String>)]
    #[schema(value_type = Option<String>)]
    order: Option<Order>,
    /// `occurred_at` (default) or `seq` (the log's order; use with `order=asc` to poll without missing late events).
    #[param(value_type = Option<String>)]
    #[schema(value_type = Option<String>)]
    sort: Option<SortKey>,
    /// `csv`, `json` or `ndjson`: download every matching event as one file (streamed, no row
    /// cap; `limit` is ignored) instead of a page of JSON.
    #[param(value_type = Option<String>)]
    #[schema(value_type = Option<String>)]
    format: Option<ExportFormat>,
    /// POST only: structured `{"field", "op", "value"}` rows, ANDed with `q`.
    #[param(ignore)]
    #[schema(value_type = Option<Vec<Object>>)]
    filters: Option<Vec<StructuredFilter>>,
}

/// The filter of a query-language `q` ANDed with structured `filters`, relative values resolved
/// at `at`; a bad one is a 400 naming `q` or `filters`.
pub fn parse_filter(
    q: Option<&str>,
    filters: Option<&[StructuredFilter]>,
    at: Millis,
) -> ApiResult<Filter> {
    let mut filter = match q {
        Some(q) => query::parse(q, at).map_err(|e| ApiError::invalid_query("q", &e))?,
        None => Filter::default(),
    };
    if let Some(rows) = filters {
        let structured =
            query::from_structured(rows, at).map_err(|e| ApiError::invalid_query("filters", &e))?;
        filter = filter.and(structured);
    }
    Ok(filter)
}

impl SearchParams {
    /// The search these parameters describe (the export dialog's current view).
    pub fn to_search(&self, now: Millis) -> ApiResult<Search> {
        let filter = parse_filter(self.q.as_deref(), self.filters.as_deref(), now)?;
        let from = time_param("from", self.from.as_deref(), now)?;
        let to = time_param("to", self.to.as_deref(), now)?;
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(ApiError::invalid_field(
                "to",
                "after_from",
                "`to` must be later than `from`.",
            ));
        }
        let limit = self.limit.unwrap_or(query::DEFAULT_LIMIT);
        if !(1..=query::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid_field(
                "limit",
                "range",
                format!("`limit` must be between 1 and {}.", query::MAX_LIMIT),
            ));
        }
        let cursor = match &self.cursor {
            Some(token) => Some(Cursor::decode(token).ok_or_else(|| {
                ApiError::invalid_field("cursor", "cursor", "`cursor` is not one this server issued; pass `next_cursor` from the previous page.")
            })?),
            None => None,
        };
        Ok(Search {
            filter,
            from,
            to,
            order: self.order.unwrap_or_default(),
            sort: self.sort.unwrap_or_default(),
            limit,
            cursor,
        })
    }
}

fn time_param(name: &str, value: Option<&str>, now: Millis) -> ApiResult<Option<Millis>> {
    value
        .map(|v| {
            time_bound(name, v, now)
                .map_err(|e| ApiError::invalid_field(name, "time", e.to_string()))
        })
        .transpose()
}

#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    #[schema(value_type = Vec<Object>)]
    events: Vec<Event>,
    /// Pass as `cursor` for the next page; `null` when this is the last.
    next_cursor: Option<String>,
}

async fn run_search(
    state: &AppState,
    principal: &Principal,
    meta: &RequestMeta,
    params: &SearchParams,
) -> ApiResult<Response> {
    principal.require(Scope::EventsRead)?;
    let org = principal
        .organization(state, params.organization_id.as_deref())
        .await?;
    let mut search = params.to_search(Millis::now())?;
    access::narrow(principal, &mut search);
    if let Some(format) = params.format {
        // Taking the data out is an export: it needs that permission and is always recorded.
        principal.require(Scope::Exports)?;
        let entry = Entry::new("trail.events.exported", "Downloaded the activity log")
            .metadata("format", format.extension());
        let entry = [("q", &params.q), ("from", &params.from), ("to", &params.to)]
            .into_iter()
            .filter_map(|(key, value)| value.as_ref().map(|v| (key, v)))
            .fold(entry, |entry, (key, value)| {
                entry.metadata(key, value.clone())
            });
        audit::record(state, principal, meta, &org, entry).await?;
        return Ok(download(state, org, search, format));
    }
    // One audit event per search: later pages of it are not recorded again. The search and its
    // audit event run side by side; the results are served only once the event is durable.
    let recorded = async {
        if params.cursor.is_some() {
            return Ok(());
        }
        let mut entry = Entry::new("trail.events.searched", "Searched the activity log");
        for (key, value) in [("q", &params.q), ("from", &params.from), ("to", &params.to)] {
            if let Some(value) = value {
                entry = entry.metadata(key, value.clone());
            }
        }
        if let Some(filters) = &params.filters {
            entry = entry.metadata("filters", filters.len());
        }
        audit::read(state, principal, meta, &org, entry).await
    };
    let (page, recorded) = tokio::join!(state.store.search(&org, &search), recorded);
    recorded?;
    let page = page.map_err(|e| ApiError::from_store(e, "organization"))?;
    Ok(Json(SearchResponse {
        events: page.events,
        next_cursor: page.next_cursor.map(|c| c.encode()),
    })
    .into_response())
}

/// Every event of the search as one streamed file, `limit` aside.
fn download(state: &AppState, org: String, search: Search, format: ExportFormat) -> Response {
    let name = format!(
        "trail-{org}-{}.{}",
        Millis::now().to_rfc3339().replace([':', '.'], "-"),
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
        exports::stream::body(format, pages),
    )
        .into_response()
}

/// Search events, or with `format` download every match as CSV, JSON or NDJSON.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(SearchParams),
    responses((status = 200, body = SearchResponse, description = "A page of events, or with `format` the whole result as a file"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
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
    run_search(&state, &principal, &meta, &params).await
}

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
    run_search(&state, &principal, &meta, &params).await
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
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<CountResponse>> {
    principal.require(Scope::EventsRead)?;
    let params: SearchParams = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id.as_deref())
        .await?;
    let mut search = params.to_search(Millis::now())?;
    access::narrow(&principal, &mut search);
    let count = state
        .store
        .count(&org, &search)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    Ok(Json(CountResponse { count }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FacetParams {
    organization_id: Option<String>,
    /// One of `action`, `area`, `actor.id`, `actor.email`, `actor.role`, `actor.type`, `source`, `outcome`, `country`.
    field: Option<String>,
    /// How many values, 1–1000 (default 50).
    limit: Option<usize>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FacetResponse {
    field: String,
    #[schema(value_type = Vec<Object>)]
    values: Vec<FacetValue>,
}

/// Distinct values of a field with counts, most frequent first, among events matching `q`/`from`/`to`.
#[utoipa::path(get, path = "/v1/events/facets", tag = "events", params(FacetParams),
    responses((status = 200, body = FacetResponse), (status = 400, body = ErrorBody)))]
pub async fn facets(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<FacetResponse>> {
    principal.require(Scope::EventsRead)?;
    let params: FacetParams = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id.as_deref())
        .await?;
    let names: Vec<String> = FACET_FIELDS.iter().map(Field::name).collect();
    let name = params.field.ok_or_else(|| {
        ApiError::invalid_field(
            "field",
            "required",
            format!("`field` is required: one of {}.", names.join(", ")),
        )
    })?;
    let field = FACET_FIELDS
        .iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| {
            let nearest = names.iter().max_by(|a, b| {
                strsim::jaro_winkler(a, &name).total_cmp(&strsim::jaro_winkler(b, &name))
            });
            let hint = nearest
                .map(|n| format!(" Did you mean `{n}`?"))
                .unwrap_or_default();
            ApiError::invalid_field(
                "field",
                "one_of",
                format!(
                    "`{name}` cannot be faceted; use one of {}.{hint}",
                    names.join(", ")
                ),
            )
        })?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "range",
            "`limit` must be between 1 and 1000.",
        ));
    }
    let mut search = SearchParams {
        q: params.q,
        from: params.from,
        to: params.to,
        ..Default::default()
    }
    .to_search(Millis::now())?;
    access::narrow(&principal, &mut search);
    let values = state
        .store
        .facets(&org, &search, field, limit)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    Ok(Json(FacetResponse {
        field: name,
        values,
    }))
}

/// An event with its inclusion proof against the latest checkpoint (`null` until one covers it).
/// `proof` is not part of the leaf hash.
#[derive(Serialize)]
pub struct EventWithProof {
    #[serde(flatten)]
    event: Event,
    proof: Option<InclusionProof>,
}

/// One event by id, with its inclusion proof under `proof`.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "events", params(("id" = String, Path, description = "Event id"), OrgParam),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_event(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<EventWithProof>> {
    principal.require(Scope::EventsRead)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id.as_deref())
        .await?;
    let event = state
        .store
        .get_event(&org, &id)
        .await
        .map_err(|e| ApiError::from_store(e, "event"))?;
    let restrictions = access::restrictions(&principal);
    if !restrictions.is_empty() {
        // Someone allowed only some events learns nothing of the others: the same 404.
        let mut search = Search {
            filter: query::Filter {
                conditions: vec![query::Condition {
                    field: Field::Id,
                    negated: false,
                    matchers: vec![query::Matcher::Eq(event.data.id.clone())],
                }],
            },
            limit: 1,
            ..Search::default()
        };
        access::narrow(&principal, &mut search);
        if state.store.count(&org, &search).await? == 0 {
            return Err(ApiError::not_found("event"));
        }
    }
    let entry = Entry::new(
        "trail.event.viewed",
        format!("Viewed event {}", event.data.id),
    )
    .resource("event", &event.data.id, Some(&event.data.action));
    let (recorded, proof) = tokio::join!(
        audit::read(&state, &principal, &meta, &org, entry),
        super::log::proof_for_event(&state, &org, event.seq)
    );
    recorded?;
    Ok(Json(EventWithProof { event, proof }))
}
