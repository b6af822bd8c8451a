//! `/v1/settings`: the organization's settings: how long events are kept (`retention_days`,
//! default 365) and the longest time window one export may cover (`max_export_window_days`,
//! default none).

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize};
use trail_core::{FieldError, Millis};
use trail_store::Change;
use trail_store::OrgSettings;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::access::{Permission, Scope};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::extract::OrgParam;
use crate::state::AppState;

/// Largest value of either setting: a hundred years.
pub const MAX_DAYS: u32 = 36_500;

#[derive(Serialize, ToSchema)]
pub struct SettingsView {
    organization_id: String,
    /// Events older than this many days are removed by the retention job.
    retention_days: u32,
    /// The longest window one export may cover; `null` for no limit.
    max_export_window_days: Option<u32>,
    /// `null` while the defaults apply.
    #[schema(value_type = Option<String>)]
    updated_at: Option<Millis>,
}

fn view(organization_id: String, settings: OrgSettings) -> SettingsView {
    SettingsView {
        organization_id,
        retention_days: settings.retention_days,
        max_export_window_days: settings.max_export_window_days,
        updated_at: settings.updated_at,
    }
}

/// The fields a PATCH changes; the ones left out keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// Required with the operator credential.
    organization_id: Option<String>,
    /// 1–36500.
    retention_days: Option<u32>,
    /// 1–36500, or `null` to remove the limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    max_export_window_days: Option<Option<u32>>,
}

/// Tells `"field": null` (`Some(None)`) from a field left out (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

/// The organization's settings.
#[utoipa::path(get, path = "/v1/settings", tag = "administration", params(OrgParam),
    responses((status = 200, body = SettingsView), (status = 403, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<SettingsView>> {
    principal.require(Scope::Exports)?;
    let params: OrgParam = extract::query(raw.as_deref())?;
    let org = principal
        .organization(&state, params.organization_id())
        .await?;
    let settings = state.store.org_settings(&org).await?;
    Ok(Json(view(org, settings)))
}

/// Change the organization's settings (`admin` scope).
#[utoipa::path(patch, path = "/v1/settings", tag = "administration", request_body = SettingsPatch,
    responses((status = 200, body = SettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<AppState>,
    principal: Principal,
    meta: RequestMeta,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<SettingsView>> {
    principal.require_permission(Permission::SettingsManage)?;
    let patch: SettingsPatch =
        extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let org = principal
        .organization(&state, patch.organization_id.as_deref())
        .await?;
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
    in_range("retention_days", patch.retention_days);
    in_range(
        "max_export_window_days",
        patch.max_export_window_days.flatten(),
    );
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let before = state.store.org_settings(&org).await?;
    let mut settings = before.clone();
    if let Some(days) = patch.retention_days {
        settings.retention_days = days;
    }
    if let Some(window) = patch.max_export_window_days {
        settings.max_export_window_days = window;
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
    let change = Change::PutOrgSettings(settings.clone());
    audit::change(&state, &principal, &meta, &org, change, |_| Some(entry)).await?;
    Ok(Json(view(org, settings)))
}
