//! Administrative changes that commit together with their audit event
//! ([`Store::apply_audited`](crate::Store::apply_audited)): an audit log must never hold a
//! change without the event that records it, nor an event for a change that did not happen.
//!
//! A change is data (a [`Change`]), not a closure over a connection, so that every backend runs
//! it on its own write path; the audit event is built from what the change became
//! ([`Changed`]) because it names the member, role or key as stored.

use trail_core::Millis;
use trail_core::catalogue::{EventType, EventTypeSpec};
use trail_core::event::NewEvent;

use crate::{
    ApiKey, Appended, ExportJob, Member, MemberUpdate, OrgSettings, Role, SavedView, Stream,
    StreamControl, StreamRecord, User,
};

/// One administrative change to an organization.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Change {
    /// Adds a user to the organization, creating the account first when `new_user` is set.
    AddMember {
        new_user: Option<User>,
        user_id: String,
        role: String,
        actor_id: Option<String>,
        at: Millis,
    },
    /// [`Store::update_member`](crate::Store::update_member).
    UpdateMember {
        user_id: String,
        update: MemberUpdate,
    },
    CreateRole(Role),
    DeleteRole {
        id: String,
    },
    /// Creates an API key of this organization.
    CreateApiKey(ApiKey),
    /// Revokes an API key of this organization.
    RevokeApiKey {
        id: String,
        at: Millis,
    },
    PutOrgSettings(OrgSettings),
    CreateExport(ExportJob),
    /// [`Store::purge_received_before`](crate::Store::purge_received_before).
    Purge {
        cutoff: Millis,
        max_events: usize,
    },
    /// Creates or replaces a saved view ([`Store::put_view`](crate::Store::put_view)).
    PutView(SavedView),
    /// Deletes a saved view; `NotFound` when there is none.
    DeleteView {
        id: String,
    },
    /// Creates or replaces an event type; the store decides its schema version (the latest
    /// when the schemas are the same, else the latest + 1).
    PutEventType {
        spec: EventTypeSpec,
        at: Millis,
    },
    /// Deletes an event type (its schema versions are kept); `NotFound` when there is none.
    DeleteEventType {
        action: String,
    },
    /// Stores every event type of an imported file, all or none; with `replace`, the types the
    /// file does not list are deleted.
    ImportEventTypes {
        specs: Vec<EventTypeSpec>,
        replace: bool,
        at: Millis,
    },
    /// Creates a stream whose delivery starts at `cursor`; a name already used is a `Conflict`.
    CreateStream {
        stream: Stream,
        cursor: u64,
    },
    /// Replaces a stream's configuration (name, format, url, filter, settings, secrets).
    UpdateStream(Stream),
    /// Pauses, resumes or replays a stream (bumps its delivery generation).
    ControlStream {
        id: String,
        control: StreamControl,
    },
    /// Deletes a stream and its delivery state; `NotFound` when there is none.
    DeleteStream {
        id: String,
    },
    /// Nothing is stored besides the audit event (issuing a viewer token).
    Nothing,
}

/// What a [`Change`] became.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Changed {
    Member(Member),
    Role(Role),
    ApiKey(ApiKey),
    Settings(OrgSettings),
    Export(ExportJob),
    View(SavedView),
    /// An event type as it was (`None` when new) and as stored.
    EventType {
        before: Option<Box<EventType>>,
        after: Box<EventType>,
    },
    /// The event types an import stored.
    EventTypes(Vec<EventType>),
    /// How many events a purge removed.
    Purged(u64),
    /// A stream as stored after the change.
    Stream(Box<StreamRecord>),
    /// A deletion, or [`Change::Nothing`].
    Done,
}

/// Builds the audit event of a change from what it became, inside the change's transaction.
/// `Ok(None)` records nothing (the change turned out to change nothing); an `Err` refuses the
/// event, and then the change is rolled back too.
pub type AuditOf = Box<dyn FnOnce(&Changed) -> Result<Option<NewEvent>, String> + Send>;

/// What [`Store::apply_audited`](crate::Store::apply_audited) returns once both are durable.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditedChange {
    pub changed: Changed,
    /// The audit event as appended; `None` when [`AuditOf`] recorded nothing.
    pub audit: Option<Appended>,
}

/// The error for an audit event that [`AuditOf`] refused.
pub(crate) fn refused(message: String) -> crate::StoreError {
    crate::StoreError::Internal(format!("the audit event was refused: {message}"))
}

impl Change {
    /// Refuses a change whose record names another organization than the one it is applied to.
    pub(crate) fn check_organization(&self, organization_id: &str) -> crate::Result<()> {
        let named = match self {
            Change::CreateRole(role) => Some(role.organization_id.as_str()),
            Change::CreateApiKey(key) => Some(key.organization_id.as_deref().unwrap_or("")),
            Change::CreateExport(job) => Some(job.organization_id.as_str()),
            Change::PutView(view) => Some(view.organization_id.as_str()),
            Change::CreateStream { stream, .. } | Change::UpdateStream(stream) => {
                Some(stream.organization_id.as_str())
            }
            _ => None,
        };
        match named {
            Some(named) if named != organization_id => Err(crate::StoreError::Internal(format!(
                "a change for `{named}` was applied to `{organization_id}`"
            ))),
            _ => Ok(()),
        }
    }
}
