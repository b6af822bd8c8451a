//! Trail's storage: the [`Store`] trait every backend implements, its error type, the records it
//! keeps besides events (organizations, API keys, instance settings, members, roles, sessions), and the backends themselves.
//! `sqlite` is the embedded default.

pub mod audited;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod permissions;
pub mod plan;
pub mod postgres;
pub mod proofs;
pub mod sqlite;
pub mod streams;

use async_trait::async_trait;
use serde::Serialize;
use trail_core::Millis;
use trail_core::catalogue::{EventType, ValidationMode};
use trail_core::event::{Event, NewEvent};
use trail_core::merkle::{Hash, NodeId};
use trail_core::query::{Field, Filter, Search};

pub use audited::{AuditOf, AuditedChange, Change, Changed};
pub use streams::{Stream, StreamControl, StreamDelivery, StreamRecord, StreamState};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The organization, event or key does not exist (or belongs to another organization).
    #[error("not found")]
    NotFound,
    /// A client-chosen event id was reused with a different body (HTTP 409).
    #[error("event id `{id}` was already used for a different event")]
    IdConflict { id: String },
    /// A unique name is taken (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The store cannot be reached or is shutting down (HTTP 503, retry later).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else (HTTP 500); the message is for logs, not for clients.
    #[error("store error: {0}")]
    Internal(String),
}

impl StoreError {
    /// A membership change that would leave an organization without an active owner.
    pub(crate) fn last_owner() -> StoreError {
        StoreError::Conflict("an organization must keep at least one active owner".into())
    }

    /// Deleting a custom role that members still hold.
    pub(crate) fn role_in_use() -> StoreError {
        StoreError::Conflict(
            "the role is still held by members; give them another role first".into(),
        )
    }
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub created_at: Millis,
}

/// What an API key may do ([`permissions::Scope`]'s names).
pub const API_KEY_SCOPES: [&str; 4] = [
    permissions::Scope::EventsWrite.as_str(),
    permissions::Scope::EventsRead.as_str(),
    permissions::Scope::Exports.as_str(),
    permissions::Scope::Admin.as_str(),
];

/// An API key as stored: never the secret, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: String,
    /// `None` for an instance-level (operator) key.
    pub organization_id: Option<String>,
    pub name: String,
    pub scopes: Vec<String>,
    /// First characters of the secret, to tell keys apart in lists.
    pub prefix: String,
    #[serde(skip)]
    pub secret_hash: [u8; 32],
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

/// Built-in roles' ids, in order of decreasing power ([`permissions::BuiltInRole`]); a custom
/// role is named by its `role_…` id.
pub const BUILT_IN_ROLES: [&str; 5] = [
    permissions::BuiltInRole::Owner.id(),
    permissions::BuiltInRole::Admin.id(),
    permissions::BuiltInRole::SecurityManager.id(),
    permissions::BuiltInRole::SecurityAnalyst.id(),
    permissions::BuiltInRole::Member.id(),
];

/// The role that an organization must always keep at least one active holder of.
pub const OWNER_ROLE: &str = "owner";

/// A person who can log in. Instance-level: one account (one email, one password) with a
/// membership in each organization it belongs to.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    /// The Argon2id PHC string; `None` until a password is set.
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub created_at: Millis,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A user's place in one organization, with the user's email and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub organization_id: String,
    /// The user's id (`usr_…`).
    #[serde(rename = "id")]
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// A built-in role (`owner` …) or a custom role's id.
    pub role: String,
    /// Events whose `actor.id` equals this are the member's own, besides those with their email.
    pub actor_id: Option<String>,
    pub created_at: Millis,
    /// Set when the member was deactivated: they can no longer sign in to this organization.
    pub deactivated_at: Option<Millis>,
}

impl Member {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

/// A change to a membership; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberUpdate {
    pub role: Option<String>,
    /// `Some(None)` clears the actor id.
    pub actor_id: Option<Option<String>>,
    /// `Some(at)` deactivates (from `at`), `None` keeps.
    pub deactivated_at: Option<Option<Millis>>,
}

/// A custom role: a named set of permissions in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub organization_id: String,
    /// `role_…`.
    pub id: String,
    pub name: String,
    pub permissions: Vec<String>,
    pub created_at: Millis,
}

/// A saved view of the Activity log (`/v1/views`): named filters, personal to its owner or shared
/// with the organization; at most one of an owner's views is their default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedView {
    pub organization_id: String,
    /// `view_…`.
    pub id: String,
    pub name: String,
    /// Who made it: a user id, an API key id or `operator`.
    pub owner: String,
    pub shared: bool,
    pub is_default: bool,
    /// The view's filters as a JSON object (query, toolbar filters, time range), kept as text.
    pub filters: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The answer a compatibility route gave to a POST with an `Idempotency-Key`, replayed when the
/// same key comes again within its lifetime (the WorkOS clients retry with the same key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    pub organization_id: String,
    /// The credential and the route (`api_key:<id> POST /audit_logs/events`): a key means
    /// nothing to another caller or another route.
    pub scope: String,
    pub key: String,
    /// SHA-256 (hex) of the request body: the same key with another body is a conflict.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub created_at: Millis,
}

/// A web session, found by the SHA-256 of its cookie; the CSRF token is kept hashed too.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: [u8; 32],
    pub csrf_hash: [u8; 32],
    pub user_id: String,
    /// The organization the session works in when a request names none.
    pub organization_id: Option<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("organization_id", &self.organization_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What one appended event became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appended {
    pub id: String,
    pub seq: u64,
    pub hash: String,
}

/// One page of search results; `next_cursor` is set when more may follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub events: Vec<Event>,
    pub next_cursor: Option<trail_core::cursor::Cursor>,
}

impl Page {
    /// The page from a query that fetched up to `limit + 1` rows: the extra row, if present, only
    /// says that more follow, and the cursor then points after the last event kept.
    pub fn from_overfetch(mut events: Vec<Event>, limit: usize) -> Page {
        let limit = limit.max(1);
        let more = events.len() > limit;
        events.truncate(limit);
        let next_cursor =
            more.then(|| events.last())
                .flatten()
                .map(|last| trail_core::cursor::Cursor {
                    occurred_at: last.data.occurred_at,
                    seq: last.seq,
                });
        Page {
            events,
            next_cursor,
        }
    }
}

/// One leaf of a log as `trail verify` checks it: the leaf hash stored for the event at `seq`,
/// the hash recomputed from what is stored for it, and the `prev` it was recomputed with (the
/// hash the event says comes before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedLeaf {
    pub seq: u64,
    pub prev: Hash,
    pub stored: Hash,
    pub recomputed: Hash,
}

/// A distinct value of a faceted field with how many matching events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// How often an action occurs in an organization's log, and when first and last (by
/// `occurred_at`): what lists an uncatalogued action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionStats {
    pub action: String,
    pub count: u64,
    pub first_seen: Millis,
    pub last_seen: Millis,
}

/// The head of an organization's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogHead {
    /// Number of events (the next seq).
    pub size: u64,
    /// Hex leaf hash of the last event, `GENESIS_PREV` when empty.
    pub last_hash: String,
}

/// A signed checkpoint as stored: every one is kept, one per organization and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The C2SP signed note, exactly as it was signed.
    pub note: String,
    pub created_at: Millis,
}

/// An organization whose log has grown past its latest checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncheckpointedLog {
    pub organization_id: String,
    /// The log's current size.
    pub size: u64,
    /// The size of its latest checkpoint, `None` when it has none.
    pub checkpointed: Option<u64>,
}

/// Per-organization settings (`GET/PATCH /v1/settings`); an organization that never changed
/// them has the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgSettings {
    /// Events older than this many days are removed by the retention job.
    pub retention_days: u32,
    /// The longest time window one export may cover, in days; `None` means no limit.
    pub max_export_window_days: Option<u32>,
    /// How events are checked against the organization's event types.
    pub event_type_validation: ValidationMode,
    /// When they were last changed; `None` for the defaults.
    pub updated_at: Option<Millis>,
}

/// Default retention: one year.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            retention_days: DEFAULT_RETENTION_DAYS,
            max_export_window_days: None,
            event_type_validation: ValidationMode::Off,
            updated_at: None,
        }
    }
}

/// Where an export job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Expired,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Queued => "queued",
            ExportStatus::Running => "running",
            ExportStatus::Completed => "completed",
            ExportStatus::Failed => "failed",
            ExportStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<ExportStatus> {
        [
            ExportStatus::Queued,
            ExportStatus::Running,
            ExportStatus::Completed,
            ExportStatus::Failed,
            ExportStatus::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// An asynchronous export job as stored. `spec` is the request that made it (format, query,
/// time frame, options), kept as JSON so that the server owns its shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportJob {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub spec: serde_json::Value,
    pub status: ExportStatus,
    /// Matching events counted when the job was created: the "Export N records" number.
    pub record_count: u64,
    /// Events written so far.
    pub progress: u64,
    pub error: Option<String>,
    /// Who asked: `operator` or `key:<id> (<name>)`.
    pub created_by: String,
    pub created_at: Millis,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    /// When a completed job's file is deleted and the job becomes `expired`.
    pub expires_at: Option<Millis>,
    /// The finished file's name under `<data_dir>/exports/` and its size in bytes.
    pub file_name: Option<String>,
    pub file_size: Option<u64>,
}

/// The storage contract. Every backend passes `conformance::run_all`.
///
/// Appends for one organization are sequenced by one writer path with group commit: `append`
/// returns only once the batch is durable, assigns gap-free `seq`s, chains `prev`/`hash`, and is
/// all-or-nothing. Reads never wait for writes.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap reachability check for `/readyz`.
    async fn ping(&self) -> Result<()>;

    async fn create_organization(&self, name: &str) -> Result<Organization>;
    async fn get_organization(&self, id: &str) -> Result<Organization>;
    async fn list_organizations(&self) -> Result<Vec<Organization>>;

    async fn create_api_key(&self, key: ApiKey) -> Result<ApiKey>;
    /// Looks a key up by the SHA-256 of its secret (revoked and expired keys included; the caller decides).
    async fn find_api_key(&self, secret_hash: [u8; 32]) -> Result<Option<ApiKey>>;
    /// Keys of one organization, or the instance-level keys when `organization_id` is `None`.
    async fn list_api_keys(&self, organization_id: Option<&str>) -> Result<Vec<ApiKey>>;
    async fn revoke_api_key(
        &self,
        organization_id: Option<&str>,
        id: &str,
        at: Millis,
    ) -> Result<ApiKey>;
    /// Records use; may be coalesced (at most once a minute per key is enough).
    async fn touch_api_key(&self, id: &str, at: Millis) -> Result<()>;

    /// Instance-wide key/value settings (the operator credential's hash lives here).
    async fn get_instance_setting(&self, key: &str) -> Result<Option<String>>;
    /// Sets `key` only if it is unset; returns whether it was set by this call.
    async fn init_instance_setting(&self, key: &str, value: &str) -> Result<bool>;
    async fn put_instance_setting(&self, key: &str, value: &str) -> Result<()>;

    /// Appends a batch all-or-nothing and returns, in input order, each event's id, seq and hash.
    /// A client-chosen id seen before with the same body returns the original; with a different
    /// body the whole batch fails with `IdConflict`.
    async fn append(&self, organization_id: &str, events: Vec<NewEvent>) -> Result<Vec<Appended>>;
    async fn head(&self, organization_id: &str) -> Result<LogHead>;

    /// Applies an administrative change and appends its audit event (built by `audit` from what
    /// the change became) in one transaction: both are stored, or neither. A change that fails
    /// (`NotFound`, `Conflict`) and an audit event that is refused or cannot be appended leave
    /// nothing behind.
    async fn apply_audited(
        &self,
        organization_id: &str,
        change: Change,
        audit: AuditOf,
    ) -> Result<AuditedChange>;

    async fn get_event(&self, organization_id: &str, id: &str) -> Result<Event>;
    async fn search(&self, organization_id: &str, search: &Search) -> Result<Page>;
    /// Events matching `search` (filter and time range; cursor, order and limit ignored).
    async fn count(&self, organization_id: &str, search: &Search) -> Result<u64>;
    /// The most frequent values of `field` among matching events, most frequent first.
    async fn facets(
        &self,
        organization_id: &str,
        search: &Search,
        field: &Field,
        limit: usize,
    ) -> Result<Vec<FacetValue>>;
    /// Events with `from <= seq < to`, in seq order (verification, streams, exports).
    async fn events_by_seq(&self, organization_id: &str, from: u64, to: u64) -> Result<Vec<Event>>;

    /// The leaves of the events with `from <= seq < to`, in seq order: what `trail verify`
    /// checks. The default rebuilds each event and hashes it; a backend that keeps the canonical
    /// leaf bytes (SQLite's block log) hashes those instead.
    async fn leaves_by_seq(
        &self,
        organization_id: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<CheckedLeaf>> {
        let events = self.events_by_seq(organization_id, from, to).await?;
        let hash = |hex: &str, what: &str, seq: u64| -> Result<Hash> {
            hex::decode(hex)
                .ok()
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| {
                    StoreError::Internal(format!("seq {seq}: the {what} is not 32 bytes"))
                })
        };
        events
            .iter()
            .map(|event| {
                Ok(CheckedLeaf {
                    seq: event.seq,
                    prev: hash(&event.prev, "prev hash", event.seq)?,
                    stored: hash(&event.hash, "stored hash", event.seq)?,
                    recomputed: trail_core::canonical::leaf_hash(event),
                })
            })
            .collect()
    }

    /// The hashes of perfect Merkle tree nodes of the organization's log, in order (level 0 is the
    /// event's `hash`). Nodes are written in the same transaction as their events; a node whose
    /// range is not complete yet answers `NotFound`. Backends may store only some levels and
    /// compute the rest (`trail_core::merkle::Strided`); callers pass a whole proof plan at once.
    async fn tree_nodes(&self, organization_id: &str, ids: &[NodeId]) -> Result<Vec<Hash>>;

    /// Keeps a signed checkpoint of the log at `size` forever. Storing the same size again with
    /// the same root is a no-op; with another root it is a `Conflict`.
    async fn put_checkpoint(
        &self,
        organization_id: &str,
        size: u64,
        root: Hash,
        note: &str,
    ) -> Result<()>;
    /// The checkpoint of the largest size, if any.
    async fn latest_checkpoint(&self, organization_id: &str) -> Result<Option<StoredCheckpoint>>;
    /// The checkpoint at exactly `size`, if one was signed.
    async fn checkpoint_at(
        &self,
        organization_id: &str,
        size: u64,
    ) -> Result<Option<StoredCheckpoint>>;
    /// Every organization whose log is larger than its latest checkpoint (cheap: heads only).
    async fn uncheckpointed_logs(&self) -> Result<Vec<UncheckpointedLog>>;

    /// Finishes acknowledged work and stops the writer; later calls answer `Unavailable`.
    async fn close(&self);

    // Access: members, roles, sessions.

    /// Creates an instance-level user; an email already taken (ASCII case-insensitively) is a `Conflict`.
    async fn create_user(&self, user: User) -> Result<User>;
    async fn get_user(&self, id: &str) -> Result<User>;
    /// The user with this email (ASCII case-insensitive), if any.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// Adds a user to an organization (`NotFound` for an unknown organization or user, `Conflict`
    /// when already a member).
    async fn add_member(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        actor_id: Option<&str>,
        at: Millis,
    ) -> Result<Member>;
    async fn get_member(&self, organization_id: &str, user_id: &str) -> Result<Member>;
    /// Members of an organization, deactivated ones included, oldest first.
    async fn list_members(&self, organization_id: &str) -> Result<Vec<Member>>;
    /// Changes a membership atomically. A change that would leave the organization without an
    /// active `owner` is a `Conflict`, and nothing changes.
    async fn update_member(
        &self,
        organization_id: &str,
        user_id: &str,
        update: MemberUpdate,
    ) -> Result<Member>;
    /// Every membership of a user, in every organization (sign-in, `GET /v1/me`).
    async fn memberships_of_user(&self, user_id: &str) -> Result<Vec<Member>>;
    /// A name already used in the organization is a `Conflict`.
    async fn create_role(&self, role: Role) -> Result<Role>;
    async fn get_role(&self, organization_id: &str, id: &str) -> Result<Role>;
    async fn list_roles(&self, organization_id: &str) -> Result<Vec<Role>>;
    /// Deletes a custom role; one still held by a member is a `Conflict`.
    async fn delete_role(&self, organization_id: &str, id: &str) -> Result<()>;
    async fn create_session(&self, session: Session) -> Result<()>;
    /// The session with this token hash (expired ones included; the caller decides).
    async fn find_session(&self, token_hash: [u8; 32]) -> Result<Option<Session>>;
    /// Ends a session (and, while at it, every expired one); an unknown one is not an error.
    async fn delete_session(&self, token_hash: [u8; 32], now: Millis) -> Result<()>;

    // Exports, settings and retention.

    /// The organization's settings, the defaults when never changed.
    async fn org_settings(&self, organization_id: &str) -> Result<OrgSettings>;
    async fn put_org_settings(&self, organization_id: &str, settings: &OrgSettings) -> Result<()>;
    async fn create_export(&self, job: &ExportJob) -> Result<()>;
    async fn get_export(&self, organization_id: &str, id: &str) -> Result<ExportJob>;
    /// The organization's export jobs, newest first.
    async fn list_exports(&self, organization_id: &str) -> Result<Vec<ExportJob>>;
    /// Export jobs of every organization in `status`, oldest first (the worker's queue).
    async fn exports_in_status(&self, status: ExportStatus) -> Result<Vec<ExportJob>>;
    /// Writes a job's status, progress, error, times and file; `NotFound` once deleted.
    async fn update_export(&self, job: &ExportJob) -> Result<()>;
    /// Moves a job from `queued` to `running` at `at`; false when another worker took it first.
    async fn claim_export(&self, organization_id: &str, id: &str, at: Millis) -> Result<bool>;
    async fn delete_export(&self, organization_id: &str, id: &str) -> Result<()>;

    // Job leases.

    /// Takes or renews the lease named `name` for `holder` until `now + ttl_ms`; true when
    /// `holder` holds it afterwards (it was free, expired, or already `holder`'s). A background
    /// job that must run on one node at a time runs a round only while it holds its lease.
    async fn take_lease(&self, name: &str, holder: &str, now: Millis, ttl_ms: i64) -> Result<bool>;

    // Retention.

    /// Removes up to `max_events` of the organization's oldest events received before `cutoff`,
    /// in one write transaction, and returns how many. Only a prefix of the log by seq is ever
    /// removed: it stops at the first event received at or after `cutoff`. The leaf hash of each
    /// removed event is kept (`retired_leaves`) so that proofs, roots and verification keep
    /// working; `head` does not change.
    async fn purge_received_before(
        &self,
        organization_id: &str,
        cutoff: Millis,
        max_events: usize,
    ) -> Result<u64>;
    /// The kept leaf hashes of removed events with `from <= seq < to`, in seq order.
    async fn retired_leaves(
        &self,
        organization_id: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Hash)>>;
    /// The seq of the first event not removed by retention (0 when nothing was removed).
    async fn first_retained_seq(&self, organization_id: &str) -> Result<u64>;

    /// Creates or replaces a saved view; when it `is_default`, the owner's other views stop being
    /// default in the same transaction. `NotFound` for an unknown organization.
    async fn put_view(&self, view: SavedView) -> Result<()>;
    async fn get_view(&self, organization_id: &str, id: &str) -> Result<SavedView>;
    /// The organization's shared views and `owner`'s personal ones, by name.
    async fn list_views(&self, organization_id: &str, owner: &str) -> Result<Vec<SavedView>>;
    /// `NotFound` when there is no such view.
    async fn delete_view(&self, organization_id: &str, id: &str) -> Result<()>;

    // Idempotency keys of the compatibility routes.

    /// The answer remembered for `(scope, key)` if it was given at or after `since`.
    async fn idempotent_answer(
        &self,
        organization_id: &str,
        scope: &str,
        key: &str,
        since: Millis,
    ) -> Result<Option<IdempotentAnswer>>;
    /// Remembers `answer` (replacing one older than `forget_before` under the same key, which
    /// is then expired) and drops the organization's answers older than `forget_before`.
    /// `Conflict` when a live answer already holds the key; `NotFound` for an unknown
    /// organization.
    async fn remember_answer(&self, answer: IdempotentAnswer, forget_before: Millis) -> Result<()>;

    // The event-type catalogue (changed through `apply_audited`).

    /// The organization's event types, by area then action.
    async fn list_event_types(&self, organization_id: &str) -> Result<Vec<EventType>>;
    async fn get_event_type(&self, organization_id: &str, action: &str) -> Result<EventType>;
    /// Every action in the organization's log with its count and first and last `occurred_at`,
    /// derived from what the store already indexes (no bookkeeping per ingested event).
    async fn action_stats(&self, organization_id: &str) -> Result<Vec<ActionStats>>;

    // SIEM streams (created, changed, controlled and deleted through `apply_audited`).

    /// One stream with its delivery state; `NotFound` in another organization.
    async fn get_stream(&self, organization_id: &str, id: &str) -> Result<StreamRecord>;
    /// The organization's streams, by name.
    async fn list_streams(&self, organization_id: &str) -> Result<Vec<StreamRecord>>;
    /// Every stream of every organization (the stream worker's round).
    async fn all_streams(&self) -> Result<Vec<StreamRecord>>;
    /// Writes a stream's delivery state if its `generation` is still the stored one; false (and
    /// nothing written) when an administrative control or a deletion came in between.
    async fn record_delivery(
        &self,
        organization_id: &str,
        id: &str,
        delivery: &StreamDelivery,
    ) -> Result<bool>;
}

/// Filter predicate helpers shared by backends.
pub fn filter_is_empty(filter: &Filter) -> bool {
    filter.conditions.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_password_hashes_or_session_hashes() {
        let user = User {
            id: "usr_1".into(),
            email: "a@x.io".into(),
            name: "A".into(),
            password_hash: Some("$argon2id$v=19$secret-hash".into()),
            created_at: Millis(1),
        };
        let shown = format!("{user:?}");
        assert!(
            !shown.contains("secret-hash") && shown.contains("[redacted]"),
            "{shown}"
        );
        assert!(!serde_json::to_string(&user).unwrap().contains("argon2"));
        let session = Session {
            token_hash: [7; 32],
            csrf_hash: [9; 32],
            user_id: "usr_1".into(),
            organization_id: None,
            created_at: Millis(1),
            expires_at: Millis(2),
        };
        let shown = format!("{session:?}");
        assert!(
            !shown.contains("token_hash") && !shown.contains("csrf_hash"),
            "{shown}"
        );
    }
}
