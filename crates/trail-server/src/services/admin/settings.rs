//! The organization's settings: how long events are kept and the longest window one export may
//! cover; a change records `trail.settings.updated` with what changed.

use trail_core::FieldError;
use trail_core::catalogue::ValidationMode;
use trail_store::{Change, OrgSettings};

use crate::access::{Permission, Scope};
use crate::audit::{self, Entry};
use crate::error::{ApiError, ApiResult};
use crate::services::Caller;
use crate::state::AppState;

/// Largest value of either setting: a hundred years.
pub const MAX_DAYS: u32 = 36_500;

/// A change of settings; `None` keeps a setting, `Some(None)` removes the export window limit.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub retention_days: Option<u32>,
    pub max_export_window_days: Option<Option<u32>>,
    /// `off`, `warn` or `enforce` (checked here, so that a bad value names its field).
    pub event_type_validation: Option<String>,
}

/// The organization's settings (the `exports` scope).
pub async fn get(state: &AppState, caller: &Caller) -> ApiResult<OrgSettings> {
    caller.require(Scope::Exports)?;
    Ok(state.store.org_settings(&caller.organization_id).await?)
}

/// Applies `change` (`settings:manage`) with its audit event; returns the settings as stored.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    change: SettingsChange,
) -> ApiResult<OrgSettings> {
    caller.require(Permission::SettingsManage)?;
    let mut errors = Vec::new();
    let mut in_range = |field: &str, days: Option<u32>| {
        if days.is_some_and(|d| !(1..=MAX_DAYS).contains(&d)) {
            errors.push(FieldError::new(
                field,
                "range",
                format!("`{field}` must be between 1 and {MAX_DAYS} days."),
            ));
        }
    };
    in_range("retention_days", change.retention_days);
    in_range(
        "max_export_window_days",
        change.max_export_window_days.flatten(),
    );
    let mode = match change.event_type_validation.as_deref() {
        Some(text) => {
            match ValidationMode::parse(text) {
                Some(mode) => Some(mode),
                None => {
                    errors.push(FieldError::new(
                    "event_type_validation",
                    "one_of",
                    format!("`event_type_validation` must be `off`, `warn` or `enforce`, not {text:?}."),
                ));
                    None
                }
            }
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let org = &caller.organization_id;
    let before = state.store.org_settings(org).await?;
    let mut settings = before.clone();
    if let Some(days) = change.retention_days {
        settings.retention_days = days;
    }
    if let Some(window) = change.max_export_window_days {
        settings.max_export_window_days = window;
    }
    if let Some(mode) = mode {
        settings.event_type_validation = mode;
    }
    settings.updated_at = Some(state.clock.now());
    let mut entry = Entry::new(
        "trail.settings.updated",
        "Changed the organization's settings",
    );
    if before.retention_days != settings.retention_days {
        entry = entry.change(
            "retention_days",
            before.retention_days,
            settings.retention_days,
        );
    }
    if before.max_export_window_days != settings.max_export_window_days {
        entry = entry.change(
            "max_export_window_days",
            before.max_export_window_days,
            settings.max_export_window_days,
        );
    }
    if before.event_type_validation != settings.event_type_validation {
        entry = entry.change(
            "event_type_validation",
            before.event_type_validation.as_str(),
            settings.event_type_validation.as_str(),
        );
    }
    let stored = Change::PutOrgSettings(settings.clone());
    let changed = audit::change(state, &caller.principal, &caller.meta, org, stored, |_| {
        Some(entry)
    })
    .await;
    state.catalogues.invalidate(org);
    changed?;
    Ok(settings)
}
