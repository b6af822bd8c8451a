//! `trail.session.created`, `trail.session.ended` and `trail.session.failed`: sign-in, sign-out
//! and failed sign-ins recorded in the organization's own log ("who logged in"). A failed
//! sign-in of a known account is recorded in each organization the account is an active member
//! of, with `outcome` `failure`; an unknown email is only in the server log (there is no
//! organization to tell, and recording it would let anyone write into a log).

use serde_json::{Value, json};
use trail_store::{Member, User};

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::{MemberAccess, Principal};
use crate::error::ApiResult;
use crate::state::AppState;

fn actor(user: &User, role: Option<&str>) -> Value {
    json!({"id": user.id, "type": "user", "name": user.name, "email": user.email, "role": role})
}

/// A successful sign-in, in the organization the session works in. Awaited: a sign-in whose
/// record cannot be written fails (503) like any audited change.
pub async fn created(
    state: &AppState,
    meta: &RequestMeta,
    user: &User,
    memberships: &[Member],
    organization_id: &str,
) -> ApiResult<()> {
    let role = memberships
        .iter()
        .find(|m| m.organization_id == organization_id)
        .map(|m| m.role.as_str());
    let entry = Entry::new("trail.session.created", format!("{} signed in", user.email)).resource(
        "user",
        &user.id,
        Some(&user.email),
    );
    audit::record_as(
        state,
        audit::Actor::person(actor(user, role), meta),
        organization_id,
        entry,
    )
    .await
}

/// A sign-out, in the organization the session worked in.
pub async fn ended(
    state: &AppState,
    meta: &RequestMeta,
    principal: &Principal,
    member: &MemberAccess,
) -> ApiResult<()> {
    let Some(membership) = member.membership.as_ref() else {
        return Ok(());
    };
    let entry = Entry::new(
        "trail.session.ended",
        format!("{} signed out", member.user.email),
    )
    .resource("user", &member.user.id, Some(&member.user.email));
    audit::record(state, principal, meta, &membership.organization_id, entry).await
}

/// A wrong password for a known account. Best effort: the answer is a 401 either way.
pub async fn failed(state: &AppState, meta: &RequestMeta, user: &User) {
    let memberships = match crate::auth::active_memberships(state, &user.id).await {
        Ok(memberships) => memberships,
        Err(err) => {
            tracing::warn!(error = %err.message, "Could not read memberships to record a failed sign-in");
            return;
        }
    };
    for membership in memberships {
        let mut entry = Entry::new(
            "trail.session.failed",
            format!("Failed sign-in for {}", user.email),
        )
        .resource("user", &user.id, Some(&user.email));
        entry.outcome = Some("failure");
        if let Err(err) = audit::record_as(
            state,
            audit::Actor::person(actor(user, Some(&membership.role)), meta),
            &membership.organization_id,
            entry,
        )
        .await
        {
            tracing::warn!(organization_id = %membership.organization_id, error = %err.message, "Could not record a failed sign-in");
        }
    }
}
