//! [`Store::apply_audited`](crate::Store::apply_audited) on SQLite: the change and its audit
//! event run in one savepoint of the writer's group commit, so both commit or neither does.

use rusqlite::Connection;

use super::append::WriterState;
use super::prepare::PreparedBatch;
use super::{access, admin, event_types, exports, retention, streams, views};
use crate::Result;
use crate::audited::{AuditOf, AuditedChange, Change, Changed, refused};

/// Applies `change` and appends its audit event; on `Err` the caller rolls the savepoint back.
pub(super) fn apply(
    conn: &Connection,
    state: &mut WriterState,
    organization_id: &str,
    change: Change,
    audit: AuditOf,
) -> Result<AuditedChange> {
    change.check_organization(organization_id)?;
    admin::get_organization(conn, organization_id)?;
    let changed = apply_change(conn, organization_id, change)?;
    let audit = match audit(&changed).map_err(refused)? {
        Some(event) => {
            let prepared = PreparedBatch::new(organization_id, vec![event])?;
            state
                .append(conn, organization_id, prepared)?
                .into_iter()
                .next()
        }
        None => None,
    };
    Ok(AuditedChange { changed, audit })
}

fn apply_change(conn: &Connection, org: &str, change: Change) -> Result<Changed> {
    Ok(match change {
        Change::AddMember {
            new_user,
            user_id,
            role,
            actor_id,
            at,
        } => {
            if let Some(user) = &new_user {
                access::create_user(conn, user)?;
            }
            Changed::Member(access::add_member(
                conn,
                org,
                &user_id,
                &role,
                actor_id.as_deref(),
                at,
            )?)
        }
        Change::UpdateMember { user_id, update } => {
            Changed::Member(access::update_member(conn, org, &user_id, &update)?)
        }
        Change::CreateRole(role) => {
            access::create_role(conn, &role)?;
            Changed::Role(role)
        }
        Change::DeleteRole { id } => {
            access::delete_role(conn, org, &id)?;
            Changed::Done
        }
        Change::CreateApiKey(key) => {
            admin::create_api_key(conn, &key)?;
            Changed::ApiKey(key)
        }
        Change::RevokeApiKey { id, at } => {
            Changed::ApiKey(admin::revoke_api_key(conn, Some(org), &id, at)?)
        }
        Change::PutOrgSettings(settings) => {
            exports::put_org_settings(conn, org, &settings)?;
            Changed::Settings(settings)
        }
        Change::CreateExport(job) => {
            exports::create_export(conn, &job)?;
            Changed::Export(job)
        }
        Change::Purge { cutoff, max_events } => {
            Changed::Purged(retention::purge(conn, org, cutoff, max_events)?)
        }
        Change::PutView(view) => {
            views::put_view(conn, &view)?;
            Changed::View(view)
        }
        Change::DeleteView { id } => {
            views::delete_view(conn, org, &id)?;
            Changed::Done
        }
        Change::PutEventType { spec, at } => {
            let (before, after) = event_types::put_event_type(conn, org, spec, at)?;
            Changed::EventType {
                before: before.map(Box::new),
                after: Box::new(after),
            }
        }
        Change::DeleteEventType { action } => {
            event_types::delete_event_type(conn, org, &action)?;
            Changed::Done
        }
        Change::ImportEventTypes { specs, replace, at } => Changed::EventTypes(
            event_types::import_event_types(conn, org, specs, replace, at)?,
        ),
        Change::CreateStream { stream, cursor } => {
            Changed::Stream(Box::new(streams::create_stream(conn, &stream, cursor)?))
        }
        Change::UpdateStream(stream) => {
            Changed::Stream(Box::new(streams::update_stream(conn, &stream)?))
        }
        Change::ControlStream { id, control } => {
            Changed::Stream(Box::new(streams::control_stream(conn, org, &id, control)?))
        }
        Change::DeleteStream { id } => {
            streams::delete_stream(conn, org, &id)?;
            Changed::Done
        }
        Change::Nothing => Changed::Done,
    })
}
