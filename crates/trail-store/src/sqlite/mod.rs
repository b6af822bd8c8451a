//! The embedded SQLite store (`trail.db` in the data directory): one writer thread with group
//! commit for every write, a small pool of read connections used from `spawn_blocking`.
//!
//! Events live in storage engine v2 (docs/storage.md): `block` is the block log (zstd blocks of
//! canonical leaf bytes, leaf hashes and times), `runs` the bitmap index (sorted runs of postings
//! cut into pages, merged in tiers), `events` reads events back by seq and by id, and `queries`
//! answers search, count and facets with the planner (`crate::plan`) over the runs.
//!
//! Layout: `schema` opens connections and migrates, `convert` turns a v1 store (one row per event)
//! into blocks and runs on open, `writer` + `append` + `prepare` are the write path, `read` +
//! `queries` + `events` the read path, `admin` keeps organizations, keys and settings, `access`
//! users, memberships, roles and sessions, `tree` + `checkpoints` the Merkle tree and signed
//! checkpoints, `retention` removes whole blocks, `backup` the online copy `trail backup` takes.

mod access;
mod admin;
mod append;
mod audited;
pub mod backup;
mod block;
mod cache;
mod checkpoints;
mod columns;
mod convert;
mod event_types;
mod events;
mod exports;
mod idempotency;
mod prepare;
mod queries;
mod read;
mod reindex;
mod retention;
mod rows;
mod runs;
mod schema;
mod streams;
mod tree;
mod views;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use async_trait::async_trait;
use rusqlite::Connection;
use tokio::sync::oneshot;
use trail_core::event::{Event, NewEvent};
use trail_core::merkle::{Hash, NodeId};
use trail_core::query::{Field, Search};
use trail_core::{Millis, ids};

use self::prepare::PreparedBatch;
use self::read::Readers;
use self::runs::Directories;
use self::writer::{AdminJob, Job};
use trail_core::catalogue::EventType;

use crate::{
    ActionStats, ApiKey, Appended, AuditOf, AuditedChange, Change, CheckedLeaf, ExportJob,
    ExportStatus, FacetValue, IdempotentAnswer, LogHead, Member, MemberUpdate, OrgSettings,
    Organization, Page, Result, Role, SavedView, Session, Store, StoreError, StoredCheckpoint,
    StreamDelivery, StreamRecord, UncheckpointedLog, User,
};

/// Tuning knobs; the defaults suit a small server.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Read connections (and so concurrent reads).
    pub read_connections: usize,
    /// The writer stops adding requests to a group commit once it holds this many events.
    pub max_group_events: usize,
    /// Page cache per connection, in KiB.
    pub cache_kib: i64,
    /// Memory-mapped I/O per read connection, in bytes.
    pub mmap_bytes: i64,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            read_connections: 4,
            max_group_events: 20_000,
            cache_kib: 64 * 1024,
            mmap_bytes: 1 << 30,
        }
    }
}

/// The embedded store. Cheap to share behind an `Arc`; `close` stops it.
pub struct SqliteStore {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Arc<Readers>,
    closed: AtomicBool,
}

fn unavailable() -> StoreError {
    StoreError::Unavailable("the store is closed".into())
}

impl SqliteStore {
    /// Opens (creating if needed) `trail.db` in `data_dir`, migrates it and starts the writer.
    pub fn open(data_dir: &Path, options: SqliteOptions) -> Result<SqliteStore> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Internal(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join("trail.db");
        let conn = schema::open_writer(&path, options.cache_kib)?;
        let directories = Arc::new(Directories::default());
        convert::convert_v1(&conn, &directories)?;
        let (sender, receiver) = mpsc::channel();
        let max_group_events = options.max_group_events.max(1);
        let state = append::WriterState::new(Arc::clone(&directories));
        let writer = std::thread::Builder::new()
            .name("trail-sqlite-writer".into())
            .spawn(move || writer::run(conn, state, receiver, max_group_events))
            .map_err(|e| StoreError::Internal(format!("cannot start the writer: {e}")))?;
        tracing::debug!(path = %path.display(), "Opened SQLite store");
        Ok(SqliteStore {
            jobs: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(writer)),
            readers: Arc::new(Readers::new(
                path,
                options.read_connections,
                (options.cache_kib, options.mmap_bytes),
                directories,
            )),
            closed: AtomicBool::new(false),
        })
    }

    /// Rebuilds the bitmap index of every organization from the block log (`trail reindex`);
    /// returns how many events were indexed. Safe while a server uses the store: each
    /// organization's index is replaced in one transaction.
    pub fn reindex(data_dir: &Path, options: &SqliteOptions) -> Result<u64> {
        let path = data_dir.join("trail.db");
        if !path.is_file() {
            return Err(StoreError::NotFound);
        }
        let conn = schema::open_writer(&path, options.cache_kib)?;
        let directories = Directories::default();
        convert::convert_v1(&conn, &directories)?;
        reindex::reindex_all(&conn, &directories)
    }

    /// Opens an existing `trail.db` for reading only (`trail verify`): no writer, no migration,
    /// and every connection `query_only`; writes answer `Unavailable`.
    pub fn open_read_only(data_dir: &Path, options: SqliteOptions) -> Result<SqliteStore> {
        let path = data_dir.join("trail.db");
        if !path.is_file() {
            return Err(StoreError::NotFound);
        }
        schema::require_block_log(&path)?;
        Ok(SqliteStore {
            jobs: Mutex::new(None),
            writer: Mutex::new(None),
            readers: Arc::new(Readers::new(
                path,
                options.read_connections,
                (options.cache_kib, options.mmap_bytes),
                Arc::new(Directories::default()),
            )),
            closed: AtomicBool::new(false),
        })
    }

    fn send(&self, job: Job) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(unavailable());
        }
        let jobs = self.jobs.lock().expect("sender lock");
        jobs.as_ref()
            .ok_or_else(unavailable)?
            .send(job)
            .map_err(|_| unavailable())
    }

    /// Runs `work` on the writer's connection, in the next group commit.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.write_with_caches(move |conn, _| work(conn)).await
    }

    /// [`write`](Self::write) for work that also appends (through the writer's caches).
    async fn write_with_caches<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection, &mut append::WriterState) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let job: AdminJob = Box::new(move |conn, state| {
            let result = work(conn, state);
            let failed = result.is_err();
            let reply: writer::Reply = Box::new(move |committed| {
                let _ = reply.send(committed.and(result));
            });
            (failed, reply)
        });
        self.send(Job::Admin(job))?;
        answer.await.map_err(|_| unavailable())?
    }

    async fn read<T: Send + 'static>(
        &self,
        op: &'static str,
        work: impl FnOnce(&Readers, &Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if self.closed.load(Ordering::Acquire) {
            return Err(unavailable());
        }
        self.readers.run(op, work).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        self.read("ping", |_, conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(schema::internal)
        })
        .await
    }

    async fn create_organization(&self, name: &str) -> Result<Organization> {
        let org = Organization {
            id: ids::new_organization_id(),
            name: name.to_owned(),
            created_at: Millis::now(),
        };
        let created = org.clone();
        self.write(move |conn| admin::create_organization(conn, &created))
            .await?;
        Ok(org)
    }

    async fn get_organization(&self, id: &str) -> Result<Organization> {
        let id = id.to_owned();
        self.read("get", move |_, conn| admin::get_organization(conn, &id))
            .await
    }

    async fn list_organizations(&self) -> Result<Vec<Organization>> {
        self.read("get", |_, conn| admin::list_organizations(conn))
            .await
    }

    async fn create_api_key(&self, key: ApiKey) -> Result<ApiKey> {
        let created = key.clone();
        self.write(move |conn| admin::create_api_key(conn, &created))
            .await?;
        Ok(key)
    }

    async fn find_api_key(&self, secret_hash: [u8; 32]) -> Result<Option<ApiKey>> {
        self.read("get", move |_, conn| {
            admin::find_api_key(conn, &secret_hash)
        })
        .await
    }

    async fn list_api_keys(&self, organization_id: Option<&str>) -> Result<Vec<ApiKey>> {
        let org = organization_id.map(str::to_owned);
        self.read("get", move |_, conn| {
            admin::list_api_keys(conn, org.as_deref())
        })
        .await
    }

    async fn revoke_api_key(
        &self,
        organization_id: Option<&str>,
        id: &str,
        at: Millis,
    ) -> Result<ApiKey> {
        let (org, id) = (organization_id.map(str::to_owned), id.to_owned());
        self.write(move |conn| admin::revoke_api_key(conn, org.as_deref(), &id, at))
            .await
    }

    async fn touch_api_key(&self, id: &str, at: Millis) -> Result<()> {
        let id = id.to_owned();
        self.write(move |conn| admin::touch_api_key(conn, &id, at))
            .await
    }

    async fn get_instance_setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read("get", move |_, conn| {
            admin::get_instance_setting(conn, &key)
        })
        .await
    }

    async fn init_instance_setting(&self, key: &str, value: &str) -> Result<bool> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |conn| admin::init_instance_setting(conn, &key, &value))
            .await
    }

    async fn put_instance_setting(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |conn| admin::put_instance_setting(conn, &key, &value))
            .await
    }

    async fn append(&self, organization_id: &str, events: Vec<NewEvent>) -> Result<Vec<Appended>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(unavailable());
        }
        if events.is_empty() {
            // Still answers NotFound for an unknown organization.
            self.head(organization_id).await?;
            return Ok(Vec::new());
        }
        let org = organization_id.to_owned();
        let prepared = tokio::task::spawn_blocking(move || {
            let batch = PreparedBatch::new(&org, events);
            (org, batch)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("preparing events failed: {e}")))?;
        let (organization_id, batch) = prepared;
        let batch = batch?;
        let (reply, answer) = oneshot::channel();
        self.send(Job::Append {
            organization_id,
            batch,
            reply,
        })?;
        answer.await.map_err(|_| unavailable())?
    }

    async fn apply_audited(
        &self,
        organization_id: &str,
        change: Change,
        audit: AuditOf,
    ) -> Result<AuditedChange> {
        let org = organization_id.to_owned();
        self.write_with_caches(move |conn, state| audited::apply(conn, state, &org, change, audit))
            .await
    }

    async fn head(&self, organization_id: &str) -> Result<LogHead> {
        let org = organization_id.to_owned();
        self.read("get", move |r, conn| queries::head(r, conn, &org))
            .await
    }

    async fn get_event(&self, organization_id: &str, id: &str) -> Result<Event> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.read("get", move |r, conn| queries::get_event(r, conn, &org, &id))
            .await
    }

    async fn search(&self, organization_id: &str, search: &Search) -> Result<Page> {
        let (org, search) = (organization_id.to_owned(), search.clone());
        self.read("search", move |r, conn| {
            queries::search(r, conn, &org, &search)
        })
        .await
    }

    async fn count(&self, organization_id: &str, search: &Search) -> Result<u64> {
        let (org, search) = (organization_id.to_owned(), search.clone());
        self.read("count", move |r, conn| {
            queries::count(r, conn, &org, &search)
        })
        .await
    }

    async fn facets(
        &self,
        organization_id: &str,
        search: &Search,
        field: &Field,
        limit: usize,
    ) -> Result<Vec<FacetValue>> {
        let (org, search, field) = (organization_id.to_owned(), search.clone(), field.clone());
        self.read("facets", move |r, conn| {
            queries::facets(r, conn, &org, &search, &field, limit)
        })
        .await
    }

    async fn events_by_seq(&self, organization_id: &str, from: u64, to: u64) -> Result<Vec<Event>> {
        let org = organization_id.to_owned();
        self.read("get", move |r, conn| {
            queries::events_by_seq(r, conn, &org, from, to)
        })
        .await
    }

    async fn leaves_by_seq(
        &self,
        organization_id: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<CheckedLeaf>> {
        let org = organization_id.to_owned();
        self.read("get", move |r, conn| {
            queries::leaves_by_seq(r, conn, &org, from, to)
        })
        .await
    }

    async fn tree_nodes(&self, organization_id: &str, ids: &[NodeId]) -> Result<Vec<Hash>> {
        let (org, ids) = (organization_id.to_owned(), ids.to_vec());
        self.read("tree", move |r, conn| tree::read_nodes(r, conn, &org, &ids))
            .await
    }

    async fn put_checkpoint(
        &self,
        organization_id: &str,
        size: u64,
        root: Hash,
        note: &str,
    ) -> Result<()> {
        let (org, note) = (organization_id.to_owned(), note.to_owned());
        self.write(move |conn| checkpoints::put(conn, &org, size, &root, &note))
            .await
    }

    async fn latest_checkpoint(&self, organization_id: &str) -> Result<Option<StoredCheckpoint>> {
        let org = organization_id.to_owned();
        self.read("get", move |r, conn| checkpoints::latest(r, conn, &org))
            .await
    }

    async fn checkpoint_at(
        &self,
        organization_id: &str,
        size: u64,
    ) -> Result<Option<StoredCheckpoint>> {
        let org = organization_id.to_owned();
        self.read("get", move |r, conn| {
            checkpoints::checkpoint_at(r, conn, &org, size)
        })
        .await
    }

    async fn uncheckpointed_logs(&self) -> Result<Vec<UncheckpointedLog>> {
        self.read("get", |_, conn| checkpoints::uncheckpointed(conn))
            .await
    }

    async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        // Dropping the sender lets the writer drain what is queued, commit, and stop.
        drop(self.jobs.lock().expect("sender lock").take());
        let writer = self.writer.lock().expect("writer lock").take();
        if let Some(writer) = writer {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
        self.readers.close();
        tracing::debug!("Closed SQLite store");
    }

    async fn create_user(&self, user: User) -> Result<User> {
        let created = user.clone();
        self.write(move |conn| access::create_user(conn, &created))
            .await?;
        Ok(user)
    }

    async fn get_user(&self, id: &str) -> Result<User> {
        let id = id.to_owned();
        self.read("get", move |_, conn| access::get_user(conn, &id))
            .await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.to_owned();
        self.read("get", move |_, conn| {
            access::find_user_by_email(conn, &email)
        })
        .await
    }

    async fn add_member(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        actor_id: Option<&str>,
        at: Millis,
    ) -> Result<Member> {
        let (org, user, role) = (
            organization_id.to_owned(),
            user_id.to_owned(),
            role.to_owned(),
        );
        let actor = actor_id.map(str::to_owned);
        self.write(move |conn| access::add_member(conn, &org, &user, &role, actor.as_deref(), at))
            .await
    }

    async fn get_member(&self, organization_id: &str, user_id: &str) -> Result<Member> {
        let (org, user) = (organization_id.to_owned(), user_id.to_owned());
        self.read("get", move |_, conn| access::get_member(conn, &org, &user))
            .await
    }

    async fn list_members(&self, organization_id: &str) -> Result<Vec<Member>> {
        let org = organization_id.to_owned();
        self.read("get", move |_, conn| access::list_members(conn, &org))
            .await
    }

    async fn update_member(
        &self,
        organization_id: &str,
        user_id: &str,
        update: MemberUpdate,
    ) -> Result<Member> {
        let (org, user) = (organization_id.to_owned(), user_id.to_owned());
        self.write(move |conn| access::update_member(conn, &org, &user, &update))
            .await
    }

    async fn memberships_of_user(&self, user_id: &str) -> Result<Vec<Member>> {
        let user = user_id.to_owned();
        self.read("get", move |_, conn| {
            access::memberships_of_user(conn, &user)
        })
        .await
    }

    async fn create_role(&self, role: Role) -> Result<Role> {
        let created = role.clone();
        self.write(move |conn| access::create_role(conn, &created))
            .await?;
        Ok(role)
    }

    async fn get_role(&self, organization_id: &str, id: &str) -> Result<Role> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.read("get", move |_, conn| access::get_role(conn, &org, &id))
            .await
    }

    async fn list_roles(&self, organization_id: &str) -> Result<Vec<Role>> {
        let org = organization_id.to_owned();
        self.read("get", move |_, conn| access::list_roles(conn, &org))
            .await
    }

    async fn delete_role(&self, organization_id: &str, id: &str) -> Result<()> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.write(move |conn| access::delete_role(conn, &org, &id))
            .await
    }

    async fn create_session(&self, session: Session) -> Result<()> {
        self.write(move |conn| access::create_session(conn, &session))
            .await
    }

    async fn find_session(&self, token_hash: [u8; 32]) -> Result<Option<Session>> {
        self.read("get", move |_, conn| {
            access::find_session(conn, &token_hash)
        })
        .await
    }

    async fn delete_session(&self, token_hash: [u8; 32], now: Millis) -> Result<()> {
        self.write(move |conn| access::delete_session(conn, &token_hash, now))
            .await
    }

    async fn org_settings(&self, organization_id: &str) -> Result<OrgSettings> {
        let org = organization_id.to_owned();
        self.read("get", move |_, conn| exports::org_settings(conn, &org))
            .await
    }

    async fn put_org_settings(&self, organization_id: &str, settings: &OrgSettings) -> Result<()> {
        let (org, settings) = (organization_id.to_owned(), settings.clone());
        self.write(move |conn| exports::put_org_settings(conn, &org, &settings))
            .await
    }

    async fn create_export(&self, job: &ExportJob) -> Result<()> {
        let job = job.clone();
        self.write(move |conn| exports::create_export(conn, &job))
            .await
    }

    async fn get_export(&self, organization_id: &str, id: &str) -> Result<ExportJob> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.read("get", move |_, conn| exports::get_export(conn, &org, &id))
            .await
    }

    async fn list_exports(&self, organization_id: &str) -> Result<Vec<ExportJob>> {
        let org = organization_id.to_owned();
        self.read("get", move |_, conn| exports::list_exports(conn, &org))
            .await
    }

    async fn exports_in_status(&self, status: ExportStatus) -> Result<Vec<ExportJob>> {
        self.read("get", move |_, conn| {
            exports::exports_in_status(conn, status)
        })
        .await
    }

    async fn update_export(&self, job: &ExportJob) -> Result<()> {
        let job = job.clone();
        self.write(move |conn| exports::update_export(conn, &job))
            .await
    }

    async fn claim_export(&self, organization_id: &str, id: &str, at: Millis) -> Result<bool> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.write(move |conn| exports::claim_export(conn, &org, &id, at))
            .await
    }

    async fn delete_export(&self, organization_id: &str, id: &str) -> Result<()> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.write(move |conn| exports::delete_export(conn, &org, &id))
            .await
    }

    async fn take_lease(&self, name: &str, holder: &str, now: Millis, ttl_ms: i64) -> Result<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |conn| exports::take_lease(conn, &name, &holder, now, ttl_ms))
            .await
    }

    async fn purge_received_before(
        &self,
        organization_id: &str,
        cutoff: Millis,
        max_events: usize,
    ) -> Result<u64> {
        let org = organization_id.to_owned();
        self.write(move |conn| retention::purge(conn, &org, cutoff, max_events))
            .await
    }

    async fn retired_leaves(
        &self,
        organization_id: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Hash)>> {
        let org = organization_id.to_owned();
        self.read("get", move |r, conn| {
            retention::retired_leaves(r, conn, &org, from, to)
        })
        .await
    }

    async fn first_retained_seq(&self, organization_id: &str) -> Result<u64> {
        let org = organization_id.to_owned();
        self.read("get", move |r, conn| {
            retention::first_retained_seq(r, conn, &org)
        })
        .await
    }

    async fn put_view(&self, view: SavedView) -> Result<()> {
        self.write(move |conn| views::put_view(conn, &view)).await
    }

    async fn get_view(&self, organization_id: &str, id: &str) -> Result<SavedView> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.read("get", move |_, conn| views::get_view(conn, &org, &id))
            .await
    }

    async fn list_views(&self, organization_id: &str, owner: &str) -> Result<Vec<SavedView>> {
        let (org, owner) = (organization_id.to_owned(), owner.to_owned());
        self.read("get", move |_, conn| views::list_views(conn, &org, &owner))
            .await
    }

    async fn idempotent_answer(
        &self,
        organization_id: &str,
        scope: &str,
        key: &str,
        since: Millis,
    ) -> Result<Option<IdempotentAnswer>> {
        let (org, scope, key) = (organization_id.to_owned(), scope.to_owned(), key.to_owned());
        self.read("get", move |_, conn| {
            idempotency::answer(conn, &org, &scope, &key, since)
        })
        .await
    }

    async fn remember_answer(&self, answer: IdempotentAnswer, forget_before: Millis) -> Result<()> {
        self.write(move |conn| idempotency::remember(conn, &answer, forget_before))
            .await
    }

    async fn list_event_types(&self, organization_id: &str) -> Result<Vec<EventType>> {
        let org = organization_id.to_owned();
        self.read("get", move |_, conn| {
            event_types::list_event_types(conn, &org)
        })
        .await
    }

    async fn get_event_type(&self, organization_id: &str, action: &str) -> Result<EventType> {
        let (org, action) = (organization_id.to_owned(), action.to_owned());
        self.read("get", move |_, conn| {
            event_types::get_event_type(conn, &org, &action)
        })
        .await
    }

    async fn action_stats(&self, organization_id: &str) -> Result<Vec<ActionStats>> {
        let org = organization_id.to_owned();
        self.read("facets", move |r, conn| {
            queries::action_stats(r, conn, &org)
        })
        .await
    }

    async fn delete_view(&self, organization_id: &str, id: &str) -> Result<()> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.write(move |conn| views::delete_view(conn, &org, &id))
            .await
    }

    async fn get_stream(&self, organization_id: &str, id: &str) -> Result<StreamRecord> {
        let (org, id) = (organization_id.to_owned(), id.to_owned());
        self.read("get", move |_, conn| streams::get_stream(conn, &org, &id))
            .await
    }

    async fn list_streams(&self, organization_id: &str) -> Result<Vec<StreamRecord>> {
        let org = organization_id.to_owned();
        self.read("get", move |_, conn| streams::list_streams(conn, &org))
            .await
    }

    async fn all_streams(&self) -> Result<Vec<StreamRecord>> {
        self.read("get", move |_, conn| streams::all_streams(conn))
            .await
    }

    async fn record_delivery(
        &self,
        organization_id: &str,
        id: &str,
        delivery: &StreamDelivery,
    ) -> Result<bool> {
        let (org, id, delivery) = (organization_id.to_owned(), id.to_owned(), delivery.clone());
        self.write(move |conn| streams::record_delivery(conn, &org, &id, &delivery))
            .await
    }
}
