//! External organization ids linked to Trail organizations (`trail orgs link`, `PUT
//! /v1/organizations/{id}/external-ids/{external_id}`): a WorkOS `organization_id` or a Retraced
//! project id that is not a Trail organization id. Links are instance settings
//! (`compat.external_org_id.<id>` → organization id), shared by every node; a Trail organization
//! id needs no link.

use axum::http::StatusCode;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Longest external id.
pub const MAX_CHARS: usize = 128;

fn setting(external_id: &str) -> String {
    format!("compat.external_org_id.{external_id}")
}

/// Links `external_id` to `organization_id`; 409 when it is linked to another organization.
pub async fn link(state: &AppState, organization_id: &str, external_id: &str) -> ApiResult<()> {
    if external_id.is_empty()
        || external_id.chars().count() > MAX_CHARS
        || external_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::invalid_field(
            "external_id",
            "pattern",
            format!("`external_id` must be 1 to {MAX_CHARS} visible characters."),
        ));
    }
    let key = setting(external_id);
    state
        .store
        .init_instance_setting(&key, organization_id)
        .await?;
    match state.store.get_instance_setting(&key).await? {
        Some(linked) if linked == organization_id => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("`{external_id}` is already linked to another organization."),
        )),
    }
}

/// Whether `requested` names `organization_id`: its own id, or an external id linked to it.
pub async fn names(state: &AppState, organization_id: &str, requested: &str) -> ApiResult<bool> {
    if requested == organization_id {
        return Ok(true);
    }
    if requested.is_empty() || requested.chars().count() > MAX_CHARS {
        return Ok(false);
    }
    let linked = state
        .store
        .get_instance_setting(&setting(requested))
        .await?;
    Ok(linked.as_deref() == Some(organization_id))
}
