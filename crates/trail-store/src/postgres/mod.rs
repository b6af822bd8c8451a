//! The PostgreSQL store: several `trail serve` nodes can share one database. Appends lock the
//! organization's head row, so each organization keeps one gap-free, hash-chained log whichever
//! node writes; within a node, concurrent appends are grouped into one transaction.

mod access;
mod admin;
mod append;
mod audited;
mod checkpoints;
mod columns;
mod error;
mod event_types;
mod exports;
mod filter;
mod idempotency;
mod matchers;
mod prepare;
mod queries;
mod retention;
mod schema;
mod sequencer;
mod sql;
mod streams;
mod text;
mod tls;
mod tree;
mod views;

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use trail_core::Millis;
use trail_core::event::{Event, NewEvent};
use trail_core::merkle::{Hash, NodeId};
use trail_core::query::{Field, Search};

use self::error::{db_error, pool_error};
use self::prepare::Prepared;
use self::sequencer::Sequencer;
use trail_core::catalogue::EventType;

use crate::{
    ActionStats, ApiKey, Appended, AuditOf, AuditedChange, Change, ExportJob, ExportStatus,
    FacetValue, IdempotentAnswer, LogHead, Member, MemberUpdate, OrgSettings, Organization, Page,
    Result, Role, SavedView, Session, Store, StoreError, StoredCheckpoint, StreamDelivery,
    StreamRecord, UncheckpointedLog, User,
};

/// How a [`PostgresStore`] connects and groups writes.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Connections this node keeps open at most (reads and writes share them).
    pub pool_size: usize,
    /// Longest wait for a new connection (when the URL sets no `connect_timeout`).
    pub connect_timeout: Duration,
    /// Longest wait for a free pooled connection before answering `Unavailable`.
    pub acquire_timeout: Duration,
    /// Most events one group commit takes from the queue (a single larger request still goes alone).
    pub max_group_events: usize,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
            max_group_events: 10_000,
        }
    }
}

/// A [`Store`] on PostgreSQL.
pub struct PostgresStore {
    pool: Pool,
    sequencer: Arc<Sequencer>,
    /// Organizations known to exist (they are never deleted, so this never goes stale).
    known: Mutex<HashSet<String>>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:5432/db?…` or `host=… dbname=…`), applies pending
    /// migrations and returns the store. An unreachable database is `Unavailable`.
    pub async fn connect(url: &str, options: PostgresOptions) -> Result<PostgresStore> {
        let pool = pool(parse_url(url)?, &options)?;
        let mut client = pool.get().await.map_err(pool_error)?;
        schema::migrate(&mut client).await?;
        drop(client);
        Ok(PostgresStore::from_pool(pool, &options))
    }

    /// Connects for reading only, as `trail verify` does: every session is
    /// `default_transaction_read_only`, nothing is migrated, and a database whose schema is not
    /// exactly this build's is refused (`NotFound` when it holds no Trail schema at all).
    pub async fn connect_read_only(url: &str, options: PostgresOptions) -> Result<PostgresStore> {
        let mut target = parse_url(url)?;
        let session = match target.config.get_options() {
            Some(given) => format!("{given} -c default_transaction_read_only=on"),
            None => "-c default_transaction_read_only=on".to_owned(),
        };
        target.config.options(&session);
        let pool = pool(target, &options)?;
        let client = pool.get().await.map_err(pool_error)?;
        schema::check_current(&client).await?;
        drop(client);
        Ok(PostgresStore::from_pool(pool, &options))
    }

    fn from_pool(pool: Pool, options: &PostgresOptions) -> PostgresStore {
        PostgresStore {
            sequencer: Arc::new(Sequencer::new(pool.clone(), options.max_group_events)),
            pool,
            known: Mutex::new(HashSet::new()),
        }
    }

    async fn client(&self) -> Result<Client> {
        self.pool.get().await.map_err(pool_error)
    }

    /// `NotFound` unless the organization exists.
    async fn check_org(&self, client: &Client, organization_id: &str) -> Result<()> {
        if self
            .known
            .lock()
            .expect("cache lock")
            .contains(organization_id)
        {
            return Ok(());
        }
        admin::get_organization(client, organization_id).await?;
        self.known
            .lock()
            .expect("cache lock")
            .insert(organization_id.to_owned());
        Ok(())
    }

    /// Runs a read for an existing organization, recording its time under `op`.
    async fn read<T>(
        &self,
        op: &'static str,
        organization_id: &str,
        work: impl AsyncFnOnce(&Client) -> Result<T>,
    ) -> Result<T> {
        let started = Instant::now();
        let client = self.client().await?;
        self.check_org(&client, organization_id).await?;
        let result = work(&client).await;
        metrics::histogram!("trail_store_query_seconds", "op" => op)
            .record(started.elapsed().as_secs_f64());
        result
    }
}

/// `url` naming database `name` instead (URL or `key=value` form).
pub fn with_dbname(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!("{url} dbname={name}");
    };
    let (base, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let host_end = base[scheme_end + 3..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + 3 + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// A parsed URL and the TLS connector it asks for (see [`tls`]).
struct Target {
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

fn parse_url(url: &str) -> Result<Target> {
    let prepared = tls::prepare(url)?;
    let config = tokio_postgres::Config::from_str(&prepared.url)
        .map_err(|e| StoreError::Internal(format!("invalid PostgreSQL URL: {e}")))?;
    let tls = match &prepared.tls {
        Some(root_file) => Some(tls::connector(root_file.as_ref())?),
        None => None,
    };
    Ok(Target { config, tls })
}

/// The connection pool for `target`, with Trail's timeouts and application name.
fn pool(target: Target, options: &PostgresOptions) -> Result<Pool> {
    let Target { mut config, tls } = target;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(options.connect_timeout);
    }
    if config.get_application_name().is_none() {
        config.application_name("trail");
    }
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match tls {
        Some(tls) => Manager::from_config(config, tls, manager_config),
        None => Manager::from_config(config, NoTls, manager_config),
    };
    Pool::builder(manager)
        .max_size(options.pool_size.max(2))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.acquire_timeout))
        .create_timeout(Some(options.connect_timeout))
        .recycle_timeout(Some(options.connect_timeout))
        .build()
        .map_err(|e| StoreError::Internal(format!("PostgreSQL pool: {e}")))
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<()> {
        let client = self.client().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn create_organization(&self, name: &str) -> Result<Organization> {
        let org = Organization {
            id: trail_core::ids::new_organization_id(),
            name: name.to_owned(),
            created_at: Millis::now(),
        };
        admin::create_organization(&mut self.client().await?, &org).await?;
        Ok(org)
    }

    async fn get_organization(&self, id: &str) -> Result<Organization> {
        admin::get_organization(&self.client().await?, id).await
    }

    async fn list_organizations(&self) -> Result<Vec<Organization>> {
        admin::list_organizations(&self.client().await?).await
    }

    async fn create_api_key(&self, key: ApiKey) -> Result<ApiKey> {
        admin::create_api_key(&self.client().await?, &key).await?;
        Ok(key)
    }

    async fn find_api_key(&self, secret_hash: [u8; 32]) -> Result<Option<ApiKey>> {
        admin::find_api_key(&self.client().await?, &secret_hash).await
    }

    async fn list_api_keys(&self, organization_id: Option<&str>) -> Result<Vec<ApiKey>> {
        admin::list_api_keys(&self.client().await?, organization_id).await
    }

    async fn revoke_api_key(
        &self,
        organization_id: Option<&str>,
        id: &str,
        at: Millis,
    ) -> Result<ApiKey> {
        admin::revoke_api_key(&self.client().await?, organization_id, id, at).await
    }

    async fn touch_api_key(&self, id: &str, at: Millis) -> Result<()> {
        admin::touch_api_key(&self.client().await?, id, at).await
    }

    async fn get_instance_setting(&self, key: &str) -> Result<Option<String>> {
        admin::get_instance_setting(&self.client().await?, key).await
    }

    async fn init_instance_setting(&self, key: &str, value: &str) -> Result<bool> {
        admin::init_instance_setting(&self.client().await?, key, value).await
    }

    async fn put_instance_setting(&self, key: &str, value: &str) -> Result<()> {
        admin::put_instance_setting(&self.client().await?, key, value).await
    }

    async fn append(&self, organization_id: &str, events: Vec<NewEvent>) -> Result<Vec<Appended>> {
        // Serialising and canonicalising is CPU work: off the async workers, and before the lock.
        let org = organization_id.to_owned();
        let prepared = tokio::task::spawn_blocking(move || {
            let prepared: Vec<Prepared> = events
                .into_iter()
                .map(|new| Prepared::new(&org, new))
                .collect();
            prepared
        })
        .await
        .map_err(|e| StoreError::Internal(format!("preparing events failed: {e}")))?;
        self.sequencer.append(organization_id, prepared).await
    }

    async fn apply_audited(
        &self,
        organization_id: &str,
        change: Change,
        audit: AuditOf,
    ) -> Result<AuditedChange> {
        let mut client = self.client().await?;
        audited::apply(&mut client, organization_id, change, audit).await
    }

    async fn head(&self, organization_id: &str) -> Result<LogHead> {
        queries::head(&self.client().await?, organization_id).await
    }

    async fn get_event(&self, organization_id: &str, id: &str) -> Result<Event> {
        self.read("get", organization_id, async |c| {
            queries::get_event(c, organization_id, id).await
        })
        .await
    }

    async fn search(&self, organization_id: &str, search: &Search) -> Result<Page> {
        self.read("search", organization_id, async |c| {
            queries::search(c, organization_id, search).await
        })
        .await
    }

    async fn count(&self, organization_id: &str, search: &Search) -> Result<u64> {
        self.read("count", organization_id, async |c| {
            queries::count(c, organization_id, search).await
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
        self.read("facets", organization_id, async |c| {
            queries::facets(c, organization_id, search, field, limit).await
        })
        .await
    }

    async fn events_by_seq(&self, organization_id: &str, from: u64, to: u64) -> Result<Vec<Event>> {
        self.read("get", organization_id, async |c| {
            queries::events_by_seq(c, organization_id, from, to).await
        })
        .await
    }

    async fn tree_nodes(&self, organization_id: &str, ids: &[NodeId]) -> Result<Vec<Hash>> {
        let started = Instant::now();
        let result = tree::read_nodes(&mut self.client().await?, organization_id, ids).await;
        metrics::histogram!("trail_store_query_seconds", "op" => "tree")
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn put_checkpoint(
        &self,
        organization_id: &str,
        size: u64,
        root: Hash,
        note: &str,
    ) -> Result<()> {
        let client = self.client().await?;
        self.check_org(&client, organization_id).await?;
        checkpoints::put(&client, organization_id, size, &root, note).await
    }

    async fn latest_checkpoint(&self, organization_id: &str) -> Result<Option<StoredCheckpoint>> {
        self.read("get", organization_id, async |c| {
            checkpoints::latest(c, organization_id).await
        })
        .await
    }

    async fn checkpoint_at(
        &self,
        organization_id: &str,
        size: u64,
    ) -> Result<Option<StoredCheckpoint>> {
        self.read("get", organization_id, async |c| {
            checkpoints::at(c, organization_id, size).await
        })
        .await
    }

    async fn uncheckpointed_logs(&self) -> Result<Vec<UncheckpointedLog>> {
        checkpoints::uncheckpointed(&self.client().await?).await
    }

    async fn close(&self) {
        self.sequencer.close().await;
        self.pool.close();
    }

    async fn create_user(&self, user: User) -> Result<User> {
        access::create_user(&self.client().await?, &user).await?;
        Ok(user)
    }

    async fn get_user(&self, id: &str) -> Result<User> {
        access::get_user(&self.client().await?, id).await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        access::find_user_by_email(&self.client().await?, email).await
    }

    async fn add_member(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        actor_id: Option<&str>,
        at: Millis,
    ) -> Result<Member> {
        let client = self.client().await?;
        access::add_member(&client, organization_id, user_id, role, actor_id, at).await
    }

    async fn get_member(&self, organization_id: &str, user_id: &str) -> Result<Member> {
        access::get_member(&self.client().await?, organization_id, user_id).await
    }

    async fn list_members(&self, organization_id: &str) -> Result<Vec<Member>> {
        access::list_members(&self.client().await?, organization_id).await
    }

    async fn update_member(
        &self,
        organization_id: &str,
        user_id: &str,
        update: MemberUpdate,
    ) -> Result<Member> {
        let mut client = self.client().await?;
        access::update_member(&mut client, organization_id, user_id, &update).await
    }

    async fn memberships_of_user(&self, user_id: &str) -> Result<Vec<Member>> {
        access::memberships_of_user(&self.client().await?, user_id).await
    }

    async fn create_role(&self, role: Role) -> Result<Role> {
        access::create_role(&self.client().await?, &role).await?;
        Ok(role)
    }

    async fn get_role(&self, organization_id: &str, id: &str) -> Result<Role> {
        access::get_role(&self.client().await?, organization_id, id).await
    }

    async fn list_roles(&self, organization_id: &str) -> Result<Vec<Role>> {
        access::list_roles(&self.client().await?, organization_id).await
    }

    async fn delete_role(&self, organization_id: &str, id: &str) -> Result<()> {
        access::delete_role(&mut self.client().await?, organization_id, id).await
    }

    async fn create_session(&self, session: Session) -> Result<()> {
        access::create_session(&self.client().await?, &session).await
    }

    async fn find_session(&self, token_hash: [u8; 32]) -> Result<Option<Session>> {
        access::find_session(&self.client().await?, &token_hash).await
    }

    async fn delete_session(&self, token_hash: [u8; 32], now: Millis) -> Result<()> {
        access::delete_session(&self.client().await?, &token_hash, now).await
    }

    async fn org_settings(&self, organization_id: &str) -> Result<OrgSettings> {
        exports::org_settings(&self.client().await?, organization_id).await
    }

    async fn put_org_settings(&self, organization_id: &str, settings: &OrgSettings) -> Result<()> {
        exports::put_org_settings(&self.client().await?, organization_id, settings).await
    }

    async fn create_export(&self, job: &ExportJob) -> Result<()> {
        exports::create_export(&self.client().await?, job).await
    }

    async fn get_export(&self, organization_id: &str, id: &str) -> Result<ExportJob> {
        exports::get_export(&self.client().await?, organization_id, id).await
    }

    async fn list_exports(&self, organization_id: &str) -> Result<Vec<ExportJob>> {
        exports::list_exports(&self.client().await?, organization_id).await
    }

    async fn exports_in_status(&self, status: ExportStatus) -> Result<Vec<ExportJob>> {
        exports::exports_in_status(&self.client().await?, status).await
    }

    async fn update_export(&self, job: &ExportJob) -> Result<()> {
        exports::update_export(&self.client().await?, job).await
    }

    async fn claim_export(&self, organization_id: &str, id: &str, at: Millis) -> Result<bool> {
        exports::claim_export(&self.client().await?, organization_id, id, at).await
    }

    async fn delete_export(&self, organization_id: &str, id: &str) -> Result<()> {
        exports::delete_export(&self.client().await?, organization_id, id).await
    }

    async fn take_lease(&self, name: &str, holder: &str, now: Millis, ttl_ms: i64) -> Result<bool> {
        exports::take_lease(&self.client().await?, name, holder, now, ttl_ms).await
    }

    async fn purge_received_before(
        &self,
        organization_id: &str,
        cutoff: Millis,
        max_events: usize,
    ) -> Result<u64> {
        let mut client = self.client().await?;
        self.check_org(&client, organization_id).await?;
        retention::purge(&mut client, organization_id, cutoff, max_events).await
    }

    async fn retired_leaves(
        &self,
        organization_id: &str,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, Hash)>> {
        let client = self.client().await?;
        self.check_org(&client, organization_id).await?;
        retention::retired_leaves(&client, organization_id, from, to).await
    }

    async fn first_retained_seq(&self, organization_id: &str) -> Result<u64> {
        let client = self.client().await?;
        self.check_org(&client, organization_id).await?;
        retention::first_retained_seq(&client, organization_id).await
    }

    async fn put_view(&self, view: SavedView) -> Result<()> {
        views::put_view_alone(&mut self.client().await?, &view).await
    }

    async fn get_view(&self, organization_id: &str, id: &str) -> Result<SavedView> {
        views::get_view(&self.client().await?, organization_id, id).await
    }

    async fn list_views(&self, organization_id: &str, owner: &str) -> Result<Vec<SavedView>> {
        views::list_views(&self.client().await?, organization_id, owner).await
    }

    async fn idempotent_answer(
        &self,
        organization_id: &str,
        scope: &str,
        key: &str,
        since: Millis,
    ) -> Result<Option<IdempotentAnswer>> {
        idempotency::answer(&self.client().await?, organization_id, scope, key, since).await
    }

    async fn remember_answer(&self, answer: IdempotentAnswer, forget_before: Millis) -> Result<()> {
        idempotency::remember(&mut self.client().await?, &answer, forget_before).await
    }

    async fn list_event_types(&self, organization_id: &str) -> Result<Vec<EventType>> {
        event_types::list_event_types(&self.client().await?, organization_id).await
    }

    async fn get_event_type(&self, organization_id: &str, action: &str) -> Result<EventType> {
        event_types::get_event_type(&self.client().await?, organization_id, action).await
    }

    async fn action_stats(&self, organization_id: &str) -> Result<Vec<ActionStats>> {
        event_types::action_stats(&self.client().await?, organization_id).await
    }

    async fn delete_view(&self, organization_id: &str, id: &str) -> Result<()> {
        views::delete_view(&self.client().await?, organization_id, id).await
    }

    async fn get_stream(&self, organization_id: &str, id: &str) -> Result<StreamRecord> {
        streams::get_stream(&self.client().await?, organization_id, id).await
    }

    async fn list_streams(&self, organization_id: &str) -> Result<Vec<StreamRecord>> {
        streams::list_streams(&self.client().await?, organization_id).await
    }

    async fn all_streams(&self) -> Result<Vec<StreamRecord>> {
        streams::all_streams(&self.client().await?).await
    }

    async fn record_delivery(
        &self,
        organization_id: &str,
        id: &str,
        delivery: &StreamDelivery,
    ) -> Result<bool> {
        streams::record_delivery(&self.client().await?, organization_id, id, delivery).await
    }
}
