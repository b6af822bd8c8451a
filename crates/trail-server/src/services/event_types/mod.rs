//! The event-type catalogue (`/v1/event-types`, `trail event-types …`): list it by area with
//! the uncatalogued actions of the log, read one type, put, delete, import and export the whole
//! catalogue, and adopt uncatalogued actions in one call. Reading needs `events:read` (the
//! Activity Logs page groups its action list with it); every change needs `event_types:manage`
//! and commits with its audit event (`trail.event_type.created`, `…updated`, `…deleted`,
//! `trail.event_types.imported`, `trail.event_types.adopted`), then invalidates the
//! organization's compiled catalogue ([`cache::Catalogues`]).

pub mod cache;
pub mod display;

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use trail_core::Millis;
use trail_core::catalogue::{
    self, CatalogueFile, EventType, EventTypeDraft, EventTypeSpec, title_case,
};
use trail_store::{Change, Changed, StoreError};
use utoipa::ToSchema;

use super::Caller;
use crate::access::{Permission, Scope};
use crate::audit::{self, Entry};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Names the routes use for the whole catalogue, so no event type may take them.
pub const RESERVED: [&str; 3] = ["export", "import", "adopt"];

/// One area of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaGroup {
    pub area: String,
    /// "API Keys" for `api_keys`.
    pub label: String,
    #[schema(value_type = Vec<Object>)]
    pub event_types: Vec<EventType>,
}

/// An action seen in the log but absent from the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Uncatalogued {
    pub action: String,
    /// The label it would get if adopted.
    pub label: String,
    pub area: String,
    pub count: u64,
    #[schema(value_type = String)]
    pub first_seen: Millis,
    #[schema(value_type = String)]
    pub last_seen: Millis,
}

/// `GET /v1/event-types`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Listing {
    pub validation: &'static str,
    pub areas: Vec<AreaGroup>,
    pub uncatalogued: Vec<Uncatalogued>,
}

/// The catalogue by area (areas and types in name order) and the uncatalogued actions, most
/// frequent first.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Listing> {
    caller.require(Scope::EventsRead)?;
    let org = &caller.organization_id;
    let (types, stats, settings) = tokio::try_join!(
        state.store.list_event_types(org),
        state.store.action_stats(org),
        state.store.org_settings(org),
    )
    .map_err(|e| ApiError::from_store(e, "organization"))?;
    let known: HashSet<&str> = types.iter().map(|t| t.action.as_str()).collect();
    let mut uncatalogued: Vec<Uncatalogued> = stats
        .into_iter()
        .filter(|s| !known.contains(s.action.as_str()))
        .map(|s| {
            let area = catalogue::default_area(&s.action).to_owned();
            Uncatalogued {
                label: catalogue::default_label(&s.action, &area),
                area,
                action: s.action,
                count: s.count,
                first_seen: s.first_seen,
                last_seen: s.last_seen,
            }
        })
        .collect();
    uncatalogued.sort_by(|a, b| b.count.cmp(&a.count).then(a.action.cmp(&b.action)));
    let mut areas: BTreeMap<String, Vec<EventType>> = BTreeMap::new();
    for t in types {
        areas.entry(t.area.clone()).or_default().push(t);
    }
    Ok(Listing {
        validation: settings.event_type_validation.as_str(),
        areas: areas
            .into_iter()
            .map(|(area, event_types)| AreaGroup {
                label: title_case(&area),
                area,
                event_types,
            })
            .collect(),
        uncatalogued,
    })
}

/// One event type.
pub async fn get(state: &AppState, caller: &Caller, action: &str) -> ApiResult<EventType> {
    caller.require(Scope::EventsRead)?;
    state
        .store
        .get_event_type(&caller.organization_id, action)
        .await
        .map_err(|e| ApiError::from_store(e, "event type"))
}

/// Creates or replaces the event type of `action`; returns it with whether it is new. The
/// schemas decide the version: the same as the latest keeps it, others make version + 1.
pub async fn put(
    state: &AppState,
    caller: &Caller,
    action: &str,
    mut draft: EventTypeDraft,
) -> ApiResult<(EventType, bool)> {
    caller.require(Permission::EventTypesManage)?;
    if RESERVED.contains(&action) {
        return Err(ApiError::invalid_field(
            "action",
            "reserved",
            format!("`{action}` names a catalogue route and cannot be an event type."),
        ));
    }
    draft.action = action.to_owned();
    let spec = draft.check("").map_err(ApiError::invalid_fields)?;
    let change = Change::PutEventType {
        spec,
        at: state.clock.now(),
    };
    let changed = apply(state, caller, change, |changed| match changed {
        Changed::EventType { before, after } => Some(put_entry(before.as_deref(), after)),
        _ => None,
    })
    .await?;
    match changed {
        Changed::EventType { before, after } => Ok((*after, before.is_none())),
        other => Err(ApiError::internal(format!("a put became {other:?}"))),
    }
}

fn put_entry(before: Option<&EventType>, after: &EventType) -> Entry {
    let (action, verb) = match before {
        None => ("trail.event_type.created", "Catalogued"),
        Some(_) => ("trail.event_type.updated", "Changed the event type"),
    };
    let mut entry = Entry::new(
        action,
        format!("{verb} {:?} ({})", after.label, after.action),
    )
    .resource("event_type", &after.action, Some(&after.label))
    .metadata("version", after.version)
    .metadata("area", after.area.clone())
    .metadata("enabled", after.enabled);
    if let Some(before) = before {
        for (field, old, new) in [
            ("label", &before.label, &after.label),
            ("area", &before.area, &after.area),
        ] {
            if old != new {
                entry = entry.change(field, old.clone(), new.clone());
            }
        }
        if before.version != after.version {
            entry = entry.change("version", before.version, after.version);
        }
        if before.enabled != after.enabled {
            entry = entry.change("enabled", before.enabled, after.enabled);
        }
        if before.template != after.template {
            entry = entry.change("template", before.template.clone(), after.template.clone());
        }
    }
    entry
}

/// Deletes the event type of `action` (its schema versions are kept).
pub async fn delete(state: &AppState, caller: &Caller, action: &str) -> ApiResult<()> {
    caller.require(Permission::EventTypesManage)?;
    let change = Change::DeleteEventType {
        action: action.to_owned(),
    };
    let entry = Entry::new(
        "trail.event_type.deleted",
        format!("Removed {action} from the catalogue"),
    )
    .resource("event_type", action, None);
    apply(state, caller, change, |_| Some(entry)).await?;
    Ok(())
}

/// Stores every event type of `file`, all or none; with `replace` the types it does not list
/// are deleted. Errors name `event_types[i].<field>`.
pub async fn import(
    state: &AppState,
    caller: &Caller,
    file: CatalogueFile,
    replace: bool,
) -> ApiResult<Vec<EventType>> {
    caller.require(Permission::EventTypesManage)?;
    let specs = catalogue::check_file(file).map_err(ApiError::invalid_fields)?;
    if let Some(i) = specs
        .iter()
        .position(|s| RESERVED.contains(&s.action.as_str()))
    {
        return Err(ApiError::invalid_field(
            &format!("event_types[{i}].action"),
            "reserved",
            format!(
                "`{}` names a catalogue route and cannot be an event type.",
                specs[i].action
            ),
        ));
    }
    store_many(
        state,
        caller,
        specs,
        replace,
        "trail.event_types.imported",
        "Imported the event-type catalogue",
    )
    .await
}

/// The whole catalogue as one file (what [`import`] reads).
pub async fn export(state: &AppState, caller: &Caller) -> ApiResult<CatalogueFile> {
    caller.require(Scope::EventsRead)?;
    let types = state
        .store
        .list_event_types(&caller.organization_id)
        .await
        .map_err(|e| ApiError::from_store(e, "organization"))?;
    Ok(CatalogueFile {
        trail_event_types: 1,
        event_types: types.iter().map(EventType::to_draft).collect(),
    })
}

/// Catalogues uncatalogued actions with their default area and label: the ones named, or every
/// uncatalogued action when `actions` is `None`. Naming an action that is already catalogued or
/// never seen is a 400.
pub async fn adopt(
    state: &AppState,
    caller: &Caller,
    actions: Option<Vec<String>>,
) -> ApiResult<Vec<EventType>> {
    caller.require(Permission::EventTypesManage)?;
    let listing = list(state, caller).await?;
    let open: HashSet<&str> = listing
        .uncatalogued
        .iter()
        .map(|u| u.action.as_str())
        .collect();
    let chosen: Vec<String> = match actions {
        None => listing
            .uncatalogued
            .iter()
            .map(|u| u.action.clone())
            .collect(),
        Some(actions) => {
            if let Some((i, action)) = actions
                .iter()
                .enumerate()
                .find(|(_, a)| !open.contains(a.as_str()))
            {
                return Err(ApiError::invalid_field(
                    &format!("actions[{i}]"),
                    "uncatalogued",
                    format!("`{action}` is not an uncatalogued action of this organization's log."),
                ));
            }
            actions
        }
    };
    let specs = chosen
        .into_iter()
        .filter(|a| !RESERVED.contains(&a.as_str()))
        .map(|action| {
            EventTypeDraft {
                action,
                ..EventTypeDraft::default()
            }
            .check("")
        })
        .collect::<Result<Vec<EventTypeSpec>, _>>()
        .map_err(ApiError::invalid_fields)?;
    store_many(
        state,
        caller,
        specs,
        false,
        "trail.event_types.adopted",
        "Adopted uncatalogued actions",
    )
    .await
}

async fn store_many(
    state: &AppState,
    caller: &Caller,
    specs: Vec<EventTypeSpec>,
    replace: bool,
    action: &'static str,
    description: &'static str,
) -> ApiResult<Vec<EventType>> {
    let count = specs.len();
    let change = Change::ImportEventTypes {
        specs,
        replace,
        at: state.clock.now(),
    };
    let changed = apply(state, caller, change, move |changed| {
        let Changed::EventTypes(types) = changed else {
            return None;
        };
        let actions: Vec<&str> = types.iter().take(100).map(|t| t.action.as_str()).collect();
        Some(
            Entry::new(action, format!("{description} ({count} event types)"))
                .metadata("count", count)
                .metadata("replace", replace)
                .metadata("actions", actions),
        )
    })
    .await?;
    match changed {
        Changed::EventTypes(types) => Ok(types),
        other => Err(ApiError::internal(format!("an import became {other:?}"))),
    }
}

/// A catalogue change with its audit event, then the organization's compiled catalogue is
/// dropped from the cache.
async fn apply(
    state: &AppState,
    caller: &Caller,
    change: Change,
    entry_of: impl FnOnce(&Changed) -> Option<Entry> + Send + 'static,
) -> ApiResult<Changed> {
    let org = &caller.organization_id;
    let changed = audit::change(
        state,
        &caller.principal,
        &caller.meta,
        org,
        change,
        entry_of,
    )
    .await
    .map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("event type"),
        other => ApiError::from_store(other, "event type"),
    });
    state.catalogues.invalidate(org);
    changed
}
