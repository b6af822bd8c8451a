//! [`Store::apply_audited`](crate::Store::apply_audited) on PostgreSQL: one transaction locks
//! the organization's head row first (so audited changes of one organization queue up, and
//! always take their locks in the same order), applies the change, appends the audit event with
//! the same code as every append, and commits.

use deadpool_postgres::{Client, Transaction};

use super::append::append_group;
use super::error::db_error;
use super::prepare::Prepared;
use super::{access, admin, event_types, exports, retention, streams, views};
use crate::audited::{AuditOf, AuditedChange, Change, Changed, refused};
use crate::{Result, StoreError};

const LOCK_HEAD: &str = "SELECT 1 FROM org_heads WHERE organization_id = $1 FOR UPDATE";

pub(super) async fn apply(
    client: &mut Client,
    organization_id: &str,
    change: Change,
    audit: AuditOf,
) -> Result<AuditedChange> {
    change.check_organization(organization_id)?;
    let tx = client.transaction().await.map_err(db_error)?;
    if tx
        .query_opt(LOCK_HEAD, &[&organization_id])
        .await
        .map_err(db_error)?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    let changed = apply_change(&tx, organization_id, change).await?;
    let audit = match audit(&changed).map_err(refused)? {
        Some(event) => {
            let batch = vec![Prepared::new(organization_id, event)];
            let (mut outcomes, _) =
                append_group(&tx, organization_id, std::slice::from_ref(&batch)).await?;
            let outcome = outcomes
                .pop()
                .ok_or_else(|| StoreError::Internal("the audit append had no outcome".into()))?;
            outcome?.into_iter().next()
        }
        None => None,
    };
    tx.commit().await.map_err(db_error)?;
    Ok(AuditedChange { changed, audit })
}

async fn apply_change(tx: &Transaction<'_>, org: &str, change: Change) -> Result<Changed> {
    Ok(match change {
        Change::AddMember {
            new_user,
            user_id,
            role,
            actor_id,
            at,
        } => {
            if let Some(user) = &new_user {
                access::create_user(tx, user).await?;
            }
            Changed::Member(
                access::add_member(tx, org, &user_id, &role, actor_id.as_deref(), at).await?,
            )
        }
        Change::UpdateMember { user_id, update } => {
            Changed::Member(access::update_member_in(tx, org, &user_id, &update).await?)
        }
        Change::CreateRole(role) => {
            access::create_role(tx, &role).await?;
            Changed::Role(role)
        }
        Change::DeleteRole { id } => {
            access::delete_role_in(tx, org, &id).await?;
            Changed::Done
        }
        Change::CreateApiKey(key) => {
            admin::create_api_key(tx, &key).await?;
            Changed::ApiKey(key)
        }
        Change::RevokeApiKey { id, at } => {
            Changed::ApiKey(admin::revoke_api_key(tx, Some(org), &id, at).await?)
        }
        Change::PutOrgSettings(settings) => {
            exports::put_org_settings(tx, org, &settings).await?;
            Changed::Settings(settings)
        }
        Change::CreateExport(job) => {
            exports::create_export(tx, &job).await?;
            Changed::Export(job)
        }
        Change::Purge { cutoff, max_events } => {
            Changed::Purged(retention::purge_in(tx, org, cutoff, max_events).await?)
        }
        Change::PutView(view) => {
            views::put_view(tx, &view).await?;
            Changed::View(view)
        }
        Change::DeleteView { id } => {
            views::delete_view(tx, org, &id).await?;
            Changed::Done
        }
        Change::PutEventType { spec, at } => {
            let (before, after) = event_types::put_event_type(tx, org, spec, at).await?;
            Changed::EventType {
                before: before.map(Box::new),
                after: Box::new(after),
            }
        }
        Change::DeleteEventType { action } => {
            event_types::delete_event_type(tx, org, &action).await?;
            Changed::Done
        }
        Change::ImportEventTypes { specs, replace, at } => {
            Changed::EventTypes(event_types::import_event_types(tx, org, specs, replace, at).await?)
        }
        Change::CreateStream { stream, cursor } => {
            Changed::Stream(Box::new(streams::create_stream(tx, &stream, cursor).await?))
        }
        Change::UpdateStream(stream) => {
            Changed::Stream(Box::new(streams::update_stream(tx, &stream).await?))
        }
        Change::ControlStream { id, control } => Changed::Stream(Box::new(
            streams::control_stream(tx, org, &id, control).await?,
        )),
        Change::DeleteStream { id } => {
            streams::delete_stream(tx, org, &id).await?;
            Changed::Done
        }
        Change::Nothing => Changed::Done,
    })
}
