//! `/v1/settings`: the organization's settings: how long events are kept (`retention_days`,
//! default 365) and the longest time window one export may cover (`max_export_window_days`,
//! default none).

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize};
use trail_core::Millis;
use trail_store::OrgSettings;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::ApiResult;
use crate::extract;
use crate::extract::OrgParam;
use crate::services::admin;
use crate::services::admin::settings::SettingsChange;
use crate::services::{Authorized, OrgCaller, needs};
use crate::state::AppState;

pub use crate::services::admin::settings::MAX_DAYS;

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
    #[schema(minimum = 1, maximum = 36500)]
    retention_days: Option<u32>,
    /// 1–36500, or `null` to remove the limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 36500)]
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
    OrgCaller(caller, _): OrgCaller<needs::Exports>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<SettingsView>> {
    let _: OrgParam = extract::query(raw.as_deref())?;
    let settings = admin::settings::get(&state, &caller).await?;
    Ok(Json(view(caller.organization_id, settings)))
}

/// Change the organization's settings (`admin` scope).
#[utoipa::path(patch, path = "/v1/settings", tag = "administration", request_body = SettingsPatch,
    responses((status = 200, body = SettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<AppState>,
    authorized: Authorized<needs::SettingsManage>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<SettingsView>> {
    let patch: SettingsPatch =
        extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let caller = authorized
        .in_organization(&state, patch.organization_id.as_deref())
        .await?;
    let change = SettingsChange {
        retention_days: patch.retention_days,
        max_export_window_days: patch.max_export_window_days,
    };
    let settings = admin::settings::update(&state, &caller, change).await?;
    Ok(Json(view(caller.organization_id, settings)))
}
