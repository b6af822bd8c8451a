//! Reading the log as a caller may: every read is narrowed to what the caller may see
//! ([`access::narrow`]) and recorded in the organization's log before it is served
//! ([`audit::read`]). Used by `GET/POST /v1/events`, count, facets, one event, downloads and
//! export specs; the web app, stream workers and compatibility routes use it the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use trail_core::Millis;
use trail_core::catalogue::{self, compiled::Catalogue};
use trail_core::cursor::Cursor;
use trail_core::event::Event;
use trail_core::query::{self, Field, Filter, Order, Search, SortKey, StructuredFilter};
use trail_core::time::time_bound;
use trail_store::{FacetValue, Page};

use super::Caller;
use crate::access::{self, Scope};
use crate::audit::{self, Entry};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Fields that may be faceted over HTTP (a server policy: the store facets any field).
pub const FACET_FIELDS: [Field; 9] = [
    Field::Action,
    Field::Area,
    Field::ActorId,
    Field::ActorEmail,
    Field::ActorRole,
    Field::ActorType,
    Field::Source,
    Field::Outcome,
    Field::Country,
];

/// A search as a caller asks it, values as typed (`from=30d`); [`to_search`](Self::to_search)
/// resolves it at one instant.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    pub q: Option<String>,
    pub filters: Option<Vec<StructuredFilter>>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub order: Option<Order>,
    pub sort: Option<SortKey>,
}

impl SearchInput {
    /// The search this input describes, relative times resolved at `now`; a bad part is a 400
    /// naming its parameter.
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

    /// An audit entry recording what was asked (`q`, `from`, `to`, how many `filters`).
    pub fn entry(&self, action: &'static str, description: &str) -> Entry {
        let mut entry = Entry::new(action, description);
        for (key, value) in [("q", &self.q), ("from", &self.from), ("to", &self.to)] {
            if let Some(value) = value {
                entry = entry.metadata(key, value.clone());
            }
        }
        if let Some(filters) = &self.filters {
            entry = entry.metadata("filters", filters.len());
        }
        entry
    }
}

/// The filter of a query-language `q` ANDed with structured `filters`, relative values resolved
/// at `at`; a bad one is a 400 naming `q` or `filters`.
pub fn parse_filter(
    q: Option<&str>,
    filters: Option<&[StructuredFilter]>,
    at: Millis,
) -> ApiResult<Filter> {
    let limits = query::Complexity::default();
    let too_complex = |param: &str, e: query::complexity::Exceeded| {
        let mut err = ApiError::invalid_query(param, &e.error);
        if let Some(detail) = err.details.first_mut().and_then(|d| d.as_object_mut()) {
            detail.insert("rule".into(), "complexity".into());
            detail.insert("limit".into(), e.limit.into());
            detail.insert("max".into(), e.max.into());
            detail.insert("given".into(), e.given.into());
        }
        err
    };
    let mut filter = match q {
        Some(q) => {
            limits.check_text(q).map_err(|e| too_complex("q", e))?;
            query::parse(q, at).map_err(|e| ApiError::invalid_query("q", &e))?
        }
        None => Filter::default(),
    };
    if let Some(rows) = filters {
        limits
            .check_rows(rows.len())
            .map_err(|e| too_complex("filters", e))?;
        let structured =
            query::from_structured(rows, at).map_err(|e| ApiError::invalid_query("filters", &e))?;
        filter = filter.and(structured);
    }
    // Checked before any store sees the filter: past these SQLite refuses the query outright.
    limits
        .check(&filter)
        .map_err(|e| too_complex(if q.is_some() { "q" } else { "filters" }, e))?;
    Ok(filter)
}

fn time_param(name: &str, value: Option<&str>, now: Millis) -> ApiResult<Option<Millis>> {
    value
        .map(|v| {
            time_bound(name, v, now)
                .map_err(|e| ApiError::invalid_field(name, "time", e.to_string()))
        })
        .transpose()
}

/// The caller's search, narrowed, resolved now; catalogue labels in `action:` conditions
/// (`action:"Role Changed"`) resolved to their actions.
pub async fn narrowed(state: &AppState, caller: &Caller, input: &SearchInput) -> ApiResult<Search> {
    caller.require(Scope::EventsRead)?;
    let mut search = input.to_search(state.clock.now())?;
    if search
        .filter
        .conditions
        .iter()
        .any(|c| c.field == Field::Action)
    {
        let catalogue = catalogue(state, &caller.organization_id).await?;
        resolve_labels(&catalogue, &mut search.filter);
    }
    access::narrow(&caller.principal, &mut search);
    Ok(search)
}

/// The organization's compiled event-type catalogue.
pub async fn catalogue(state: &AppState, organization_id: &str) -> ApiResult<Arc<Catalogue>> {
    state
        .catalogues
        .get(state.store.as_ref(), organization_id)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))
}

/// Replaces an `action:` value that is a catalogue label (and not itself an action name) by the
/// actions with that label.
fn resolve_labels(catalogue: &Catalogue, filter: &mut Filter) {
    resolve_labels_with(filter, |label| catalogue.actions_labelled(label));
}

/// The catalogue labels that `filter`'s `action:` conditions use, each with its actions now: an
/// export job keeps them, so that it exports what was counted when it was created even if the
/// catalogue changes before it runs.
pub fn labels_in(catalogue: &Catalogue, filter: &Filter) -> BTreeMap<String, Vec<String>> {
    let mut labels = BTreeMap::new();
    for condition in filter
        .conditions
        .iter()
        .filter(|c| c.field == Field::Action)
    {
        for matcher in &condition.matchers {
            if let query::Matcher::Eq(value) = matcher
                && !catalogue::is_action_name(value)
                && let Some(actions) = catalogue.actions_labelled(value)
            {
                labels.insert(value.to_lowercase(), actions.to_vec());
            }
        }
    }
    labels
}

/// [`resolve_labels`] with labels looked up in `labels` (as [`labels_in`] made them).
pub fn resolve_kept_labels(labels: &BTreeMap<String, Vec<String>>, filter: &mut Filter) {
    resolve_labels_with(filter, |label| {
        labels.get(&label.to_lowercase()).map(Vec::as_slice)
    });
}

fn resolve_labels_with<'a>(
    filter: &mut Filter,
    actions_labelled: impl Fn(&str) -> Option<&'a [String]>,
) {
    for condition in &mut filter.conditions {
        if condition.field != Field::Action {
            continue;
        }
        let mut resolved = Vec::with_capacity(condition.matchers.len());
        for matcher in condition.matchers.drain(..) {
            match &matcher {
                query::Matcher::Eq(value) if !catalogue::is_action_name(value) => {
                    match actions_labelled(value) {
                        Some(actions) => {
                            resolved.extend(actions.iter().map(|a| query::Matcher::Eq(a.clone())))
                        }
                        None => resolved.push(matcher),
                    }
                }
                _ => resolved.push(matcher),
            }
        }
        condition.matchers = resolved;
    }
}

/// One page of the caller's search. The first page of a search is recorded
/// (`trail.events.searched`); the search and its audit event run side by side and the page is
/// returned only once the event is durable.
pub async fn page(state: &AppState, caller: &Caller, input: &SearchInput) -> ApiResult<Page> {
    let search = narrowed(state, caller, input).await?;
    let org = &caller.organization_id;
    let recorded = async {
        if input.cursor.is_some() {
            return Ok(());
        }
        let entry = input.entry("trail.events.searched", "Searched the activity log");
        audit::read(state, &caller.principal, &caller.meta, org, entry).await
    };
    let (page, recorded) = tokio::join!(state.store.search(org, &search), recorded);
    recorded?;
    let mut page = page.map_err(|e| ApiError::from_store(e, "organization"))?;
    if search.sort == SortKey::Seq && search.order == Order::Asc && page.next_cursor.is_none() {
        // Oldest first by seq is how a SIEM polls: the last page still says where to go on from
        // (after its last event, or where it started when nothing was new), so a poller keeps
        // one cursor forever and never skips an event appended later.
        page.next_cursor = page
            .events
            .last()
            .map(|last| Cursor {
                occurred_at: last.data.occurred_at,
                seq: last.seq,
            })
            .or(search.cursor);
    }
    Ok(page)
}

/// The caller's search for a download of every matching event in `format`: needs the `exports`
/// scope and is recorded (`trail.events.exported`) before anything is streamed.
pub async fn download(
    state: &AppState,
    caller: &Caller,
    input: &SearchInput,
    format: &str,
) -> ApiResult<Search> {
    let search = narrowed(state, caller, input).await?;
    // Taking the data out is an export: it needs that permission and is always recorded.
    caller.require(Scope::Exports)?;
    let entry = input
        .entry("trail.events.exported", "Downloaded the activity log")
        .metadata("format", format);
    audit::record(
        state,
        &caller.principal,
        &caller.meta,
        &caller.organization_id,
        entry,
    )
    .await?;
    Ok(search)
}

/// How many events the caller's search matches (not recorded, like facets: neither shows an
/// event).
pub async fn count(state: &AppState, caller: &Caller, input: &SearchInput) -> ApiResult<u64> {
    let search = narrowed(state, caller, input).await?;
    state
        .store
        .count(&caller.organization_id, &search)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))
}

/// The most frequent values of the field named `name` (one of [`FACET_FIELDS`]) among the
/// caller's matching events.
pub async fn facets(
    state: &AppState,
    caller: &Caller,
    input: &SearchInput,
    name: Option<&str>,
    limit: Option<usize>,
) -> ApiResult<Vec<FacetValue>> {
    let field = facet_field(name)?;
    let limit = limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "range",
            "`limit` must be between 1 and 1000.",
        ));
    }
    let search = narrowed(state, caller, input).await?;
    state
        .store
        .facets(&caller.organization_id, &search, field, limit)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))
}

fn facet_field(name: Option<&str>) -> ApiResult<&'static Field> {
    let names: Vec<String> = FACET_FIELDS.iter().map(Field::name).collect();
    let name = name.ok_or_else(|| {
        ApiError::invalid_field(
            "field",
            "required",
            format!("`field` is required: one of {}.", names.join(", ")),
        )
    })?;
    FACET_FIELDS
        .iter()
        .find(|f| f.name() == name)
        .ok_or_else(|| {
            let nearest = names.iter().max_by(|a, b| {
                strsim::jaro_winkler(a, name).total_cmp(&strsim::jaro_winkler(b, name))
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
        })
}

/// One event by id, if the caller may see it (otherwise the same 404 as a missing one), recorded
/// as `trail.event.viewed` before it is returned.
pub async fn event(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Event> {
    caller.require(Scope::EventsRead)?;
    let org = &caller.organization_id;
    let event = state
        .store
        .get_event(org, id)
        .await
        .map_err(|e| ApiError::from_store(e, "event"))?;
    // Someone allowed only some events learns nothing of the others: the same 404.
    if !access::permits(&caller.principal, &event.data) {
        return Err(ApiError::not_found("event"));
    }
    let entry = Entry::new(
        "trail.event.viewed",
        format!("Viewed event {}", event.data.id),
    )
    .resource("event", &event.data.id, Some(&event.data.action));
    audit::read(state, &caller.principal, &caller.meta, org, entry).await?;
    Ok(event)
}
