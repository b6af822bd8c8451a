//! `GET`/`PUT /organizations/{id}/audit_logs_retention`: the organization's `retention_days`
//! setting with WorkOS's allowed values — 30 to 330 days in steps of 30 (`1_MONTH` …
//! `11_MONTHS`) and 365 to 3650 in steps of 365 (`1_YEAR` … `10_YEARS`); anything else is a 422.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::compat::KeyCaller;
use crate::error::{ApiError, ApiResult};
use crate::extract;
use crate::services::admin::settings::{self, SettingsChange};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionBody {
    retention_period_in_days: Option<u32>,
    retention_period: Option<String>,
}

/// Whether WorkOS allows `days`.
pub fn allowed_days(days: u32) -> bool {
    (days.is_multiple_of(30) && (30..=330).contains(&days))
        || (days.is_multiple_of(365) && (365..=3650).contains(&days))
}

/// `1_MONTH` … `11_MONTHS`, `1_YEAR` … `10_YEARS` in days.
pub fn period_days(period: &str) -> Option<u32> {
    let (count, unit) = period.split_once('_')?;
    let count: u32 = count.parse().ok()?;
    let plural = count != 1;
    match unit {
        "MONTH" if !plural => Some(30),
        "MONTHS" if plural && (2..=11).contains(&count) => Some(count * 30),
        "YEAR" if !plural => Some(365),
        "YEARS" if plural && (2..=10).contains(&count) => Some(count * 365),
        _ => None,
    }
}

fn unprocessable(field: &str, message: &str) -> ApiError {
    let mut err = ApiError::invalid_field(field, "invalid_retention_period", message);
    err.status = StatusCode::UNPROCESSABLE_ENTITY;
    err.code = "invalid_retention_period";
    err
}

fn view(days: u32) -> Json<Value> {
    Json(json!({"retention_period_in_days": days}))
}

pub async fn get(
    State(state): State<AppState>,
    caller: KeyCaller,
    Path(organization_id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.check_organization(&state, &organization_id).await?;
    let current = settings::get(&state, &caller.0).await?;
    Ok(view(current.retention_days))
}

pub async fn put(
    State(state): State<AppState>,
    caller: KeyCaller,
    Path(organization_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    caller.check_organization(&state, &organization_id).await?;
    let request: RetentionBody =
        extract::json_body(&headers, body, extract::ADMIN_BODY_LIMIT).await?;
    let days = match (
        request.retention_period_in_days,
        request.retention_period.as_deref(),
    ) {
        (Some(_), Some(_)) => {
            return Err(unprocessable(
                "retention_period",
                "Send either `retention_period_in_days` or `retention_period`, not both.",
            ));
        }
        (Some(days), None) if allowed_days(days) => days,
        (Some(_), None) => {
            return Err(unprocessable(
                "retention_period_in_days",
                "`retention_period_in_days` must be 30 to 330 in steps of 30, or 365 to 3650 in steps of 365.",
            ));
        }
        (None, Some(period)) => period_days(period).ok_or_else(|| {
            unprocessable(
                "retention_period",
                "`retention_period` must be `1_MONTH` to `11_MONTHS` or `1_YEAR` to `10_YEARS`.",
            )
        })?,
        (None, None) => {
            return Err(unprocessable(
                "retention_period_in_days",
                "`retention_period_in_days` is required.",
            ));
        }
    };
    let change = SettingsChange {
        retention_days: Some(days),
        ..SettingsChange::default()
    };
    let stored = settings::update(&state, &caller.0, change).await?;
    Ok(view(stored.retention_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workos_retention_values() {
        let allowed: Vec<u32> = (1..=4000).filter(|d| allowed_days(*d)).collect();
        assert_eq!(allowed.len(), 21);
        assert_eq!(allowed.first(), Some(&30));
        assert_eq!(allowed.last(), Some(&3650));
        assert!(!allowed_days(31) && !allowed_days(360) && !allowed_days(0));
        assert_eq!(period_days("1_MONTH"), Some(30));
        assert_eq!(period_days("11_MONTHS"), Some(330));
        assert_eq!(period_days("1_YEAR"), Some(365));
        assert_eq!(period_days("10_YEARS"), Some(3650));
        for bad in [
            "12_MONTHS",
            "1_MONTHS",
            "2_MONTH",
            "11_YEARS",
            "0_YEARS",
            "forever",
        ] {
            assert_eq!(period_days(bad), None, "{bad}");
        }
    }
}
