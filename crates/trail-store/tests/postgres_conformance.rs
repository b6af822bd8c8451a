//! The storage conformance suite on PostgreSQL, plus what only a shared database has: several
//! nodes appending to one organization (one chain, one Merkle tree), migrations racing and
//! upgrading a database with events in it, connections cut under a running store.
//! Every test creates its own database (`trail_test_<random>`) from `TRAIL_TEST_DATABASE_URL` and
//! drops it at the end; without the variable each test says loudly that it was skipped.
//!
//! `TRAIL_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -p trail-store --test postgres_conformance`

mod postgres_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use trail_core::canonical::leaf_hash;
use trail_core::event::{Event, GENESIS_PREV, NewEvent};
use trail_core::merkle::{Hash, root_from_leaves};
use trail_store::conformance::fixtures::{at, client_event, event};
use trail_store::postgres::{PostgresOptions, PostgresStore};
use trail_store::proofs::{consistency_proof, inclusion_proof, root_at};
use trail_store::{Store, StoreError};

use postgres_support::{TestDatabase, admin_client, test_database_url, with_dbname};

trail_store::conformance_tests!({
    let Some(url) = test_database_url() else {
        return;
    };
    async move {
        let database = TestDatabase::create(&url).await;
        (database.connect().await, database)
    }
});

mod integrity {
    use super::{TestDatabase, test_database_url};

    trail_store::integrity_conformance_tests!({
        let Some(url) = test_database_url() else {
            return;
        };
        async move {
            let database = TestDatabase::create(&url).await;
            (database.connect().await, database)
        }
    });
}

/// Checks that `events` are seq 0.. without gaps, each chained to the one before and hashed right.
fn assert_one_valid_chain(events: &[Event]) {
    let mut prev = GENESIS_PREV.to_owned();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as u64, "gap before seq {i}");
        assert_eq!(
            event.prev,
            prev,
            "seq {i} does not chain to seq {}",
            i.saturating_sub(1)
        );
        assert_eq!(hex::encode(leaf_hash(event)), event.hash, "seq {i} hash");
        prev.clone_from(&event.hash);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_appending_to_one_organization_keep_one_chain() {
    let Some(url) = test_database_url() else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    // Both nodes start at once: the migration lock lets exactly one create the schema.
    let (a, b) = tokio::join!(database.connect(), database.connect());
    let nodes: [Arc<dyn Store>; 2] = [Arc::new(a), Arc::new(b)];
    let org = nodes[0].create_organization("Shared").await.unwrap().id;
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let (node, org) = (Arc::clone(&nodes[writer % 2]), org.clone());
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for round in 0..10 {
                let batch: Vec<NewEvent> = (0..1 + (writer + round) % 5)
                    .map(|i| at(event("user.login"), (writer * 1000 + round * 10 + i) as i64))
                    .collect();
                acknowledged.extend(node.append(&org, batch).await.expect("append"));
            }
            acknowledged
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    let head = nodes[1].head(&org).await.unwrap();
    assert_eq!(head.size, acknowledged.len() as u64);
    let events = nodes[0].events_by_seq(&org, 0, head.size).await.unwrap();
    assert_one_valid_chain(&events);
    assert_eq!(events.last().unwrap().hash, head.last_hash);
    for appended in &acknowledged {
        let stored = &events[appended.seq as usize];
        assert_eq!(
            (&stored.data.id, &stored.hash),
            (&appended.id, &appended.hash)
        );
    }
    for node in nodes {
        node.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotent_retry_on_another_node_returns_the_original() {
    let Some(url) = test_database_url() else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let (a, b) = (database.connect().await, database.connect().await);
    let org = a.create_organization("Retry").await.unwrap().id;
    let first = a
        .append(&org, vec![client_event("order-1", "user.login")])
        .await
        .unwrap();
    let again = b
        .append(&org, vec![client_event("order-1", "user.login")])
        .await
        .unwrap();
    assert_eq!(first, again);
    let other = b
        .append(&org, vec![client_event("order-1", "user.logout")])
        .await;
    assert!(
        matches!(other, Err(StoreError::IdConflict { .. })),
        "{other:?}"
    );
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cut_connections_are_unavailable_then_reconnect_without_losing_acknowledged_events() {
    let Some(url) = test_database_url() else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let store = database.connect().await;
    let org = store.create_organization("Flaky").await.unwrap().id;
    let admin = admin_client(&url).await;
    let mut acknowledged = 0u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    for round in 0..20 {
        if round % 4 == 0 {
            // What a PostgreSQL restart does to every open connection.
            admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    &[&database.name],
                )
                .await
                .unwrap();
        }
        loop {
            let batch = (0..5).map(|i| at(event("user.login"), i)).collect();
            match store.append(&org, batch).await {
                Ok(appended) => {
                    acknowledged += appended.len() as u64;
                    break;
                }
                Err(StoreError::Unavailable(_)) if Instant::now() < deadline => {}
                Err(e) => panic!("round {round}: {e}"),
            }
        }
    }
    let head = store.head(&org).await.unwrap();
    assert!(head.size >= acknowledged, "{} < {acknowledged}", head.size);
    assert_one_valid_chain(&store.events_by_seq(&org, 0, head.size).await.unwrap());
    store.close().await;
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    let options = PostgresOptions {
        connect_timeout: Duration::from_secs(2),
        ..PostgresOptions::default()
    };
    match PostgresStore::connect("postgres://postgres@127.0.0.1:1/trail", options).await {
        Err(StoreError::Unavailable(_)) => {}
        Err(e) => panic!("expected Unavailable, got {e}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}

#[test]
fn test_database_urls_swap_the_database_name() {
    assert_eq!(
        with_dbname("postgres://u@h:5432/test", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_dbname("postgres://u@h/test?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_dbname("postgresql://h", "x"), "postgresql://h/x");
    assert_eq!(with_dbname("host=h user=u", "x"), "host=h user=u dbname=x");
}

/// The leaf hashes of the organization's log, in seq order.
async fn leaves(store: &dyn Store, org: &str) -> Vec<Hash> {
    let events = store.events_by_seq(org, 0, u64::MAX).await.unwrap();
    events
        .iter()
        .map(|e| hex::decode(&e.hash).unwrap().try_into().unwrap())
        .collect()
}

/// The root that `node` reads at `size` is the one of those leaves, and its proofs verify.
async fn assert_tree_at(node: &dyn Store, org: &str, leaves: &[Hash], size: u64) {
    let root = root_from_leaves(&leaves[..size as usize]);
    assert_eq!(
        root_at(node, org, size).await.unwrap(),
        root,
        "root at {size}"
    );
    for seq in [0, size / 2, size - 1] {
        let proof = inclusion_proof(node, org, seq, size).await.unwrap();
        assert_eq!(proof.leaf_hash, leaves[seq as usize]);
        assert_eq!(proof.verify(&root), Ok(()), "inclusion of {seq} in {size}");
    }
    let whole = leaves.len() as u64;
    let full = root_from_leaves(leaves);
    let proof = consistency_proof(node, org, size, whole).await.unwrap();
    assert_eq!(proof.verify(&root, &full), Ok(()), "{size} → {whole}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_appending_concurrently_grow_one_tree() {
    let Some(url) = test_database_url() else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let (a, b) = tokio::join!(database.connect(), database.connect());
    let nodes: [Arc<dyn Store>; 2] = [Arc::new(a), Arc::new(b)];
    let org = nodes[0].create_organization("Shared").await.unwrap().id;
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let (node, org) = (Arc::clone(&nodes[writer % 2]), org.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..25 {
                let batch = (0..1 + (writer * 3 + round) % 7)
                    .map(|i| event(&format!("tree.w{writer}r{round}i{i}")))
                    .collect();
                node.append(&org, batch).await.expect("append");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let leaves = leaves(&*nodes[0], &org).await;
    let size = leaves.len() as u64;
    assert_eq!(nodes[1].head(&org).await.unwrap().size, size);
    for at_size in [1, 15, 16, 17, 255, 256, 257, size / 3, size - 1, size] {
        for node in &nodes {
            assert_tree_at(&**node, &org, &leaves, at_size).await;
        }
    }
    for node in nodes {
        node.close().await;
    }
}

/// Puts the database back to schema version 1 with its events kept: what a database written by a
/// Trail without the tree looks like when this version first starts on it.
async fn downgrade_to_version_1(database: &TestDatabase) {
    admin_client(&database.url)
        .await
        .batch_execute(
            "DROP TABLE users, memberships, roles, sessions; \
             DROP TABLE tree_nodes, checkpoints; ALTER TABLE org_heads DROP COLUMN tree; \
             DROP TABLE IF EXISTS org_settings, export_jobs, retired_leaves, saved_views, job_leases, event_types, event_type_versions, stream_deliveries, streams, idempotent_answers; \
             DELETE FROM schema_migrations WHERE version >= 2",
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_from_before_migration_2_get_their_tree_on_first_read_or_append() {
    let Some(url) = test_database_url() else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let old = database.connect().await;
    let (read_first, append_first) = (
        old.create_organization("Read").await.unwrap().id,
        old.create_organization("Append").await.unwrap().id,
    );
    for org in [&read_first, &append_first] {
        for round in 0..6 {
            let batch = (0..50)
                .map(|i| event(&format!("old.r{round}i{i}")))
                .collect();
            old.append(org, batch).await.unwrap();
        }
    }
    old.close().await;
    downgrade_to_version_1(&database).await;

    let store = database.connect().await;
    let before = leaves(&store, &read_first).await;
    assert_tree_at(&store, &read_first, &before, 300).await;
    store
        .append(&append_first, vec![event("new.one"), event("new.two")])
        .await
        .unwrap();
    let after = leaves(&store, &append_first).await;
    assert_eq!(after.len(), 302);
    for size in [1, 256, 299, 300, 301, 302] {
        assert_tree_at(&store, &append_first, &after, size).await;
    }
    store
        .append(&read_first, vec![event("new.three")])
        .await
        .unwrap();
    let grown = leaves(&store, &read_first).await;
    assert_tree_at(&store, &read_first, &grown, 301).await;
    store.close().await;
}

/// TLS against the real server (Debian's PostgreSQL runs with `ssl = on` and a certificate for
/// `localhost`): `sslmode=verify-full` with the server's certificate as `sslrootcert` gives
/// encrypted sessions; an untrusted certificate or a name it does not cover refuses to connect;
/// no `sslmode` stays plain. Skipped, loudly, when the server has no TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_sessions_are_encrypted_and_the_certificate_is_verified() {
    let Some(url) = test_database_url() else {
        return;
    };
    let admin = admin_client(&url).await;
    let setting = async |name: &str| -> String {
        let row = admin.query_one(&format!("SHOW {name}"), &[]).await.unwrap();
        row.get(0)
    };
    if setting("ssl").await != "on" {
        eprintln!("SKIPPED: the PostgreSQL server at TRAIL_TEST_DATABASE_URL has ssl = off");
        return;
    }
    let cert = setting("ssl_cert_file").await;
    let database = TestDatabase::create(&url).await;
    let config: tokio_postgres::Config = url.parse().unwrap();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let target = |host: &str, app: &str, tls: &str| {
        format!(
            "host={host} port={port} user={user} dbname={} application_name={app} {tls}",
            database.name
        )
    };
    let encrypted = async |app: &str| -> Vec<bool> {
        let sql = "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                   WHERE a.application_name = $1";
        let rows = admin.query(sql, &[&app]).await.unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    };
    let options = || PostgresOptions {
        pool_size: 2,
        connect_timeout: Duration::from_secs(5),
        ..PostgresOptions::default()
    };

    let verified = format!("sslmode=verify-full sslrootcert={cert}");
    let store = PostgresStore::connect(&target("localhost", "trail_tls", &verified), options())
        .await
        .unwrap();
    let org = store.create_organization("Acme").await.unwrap().id;
    store.append(&org, vec![event("user.login")]).await.unwrap();
    assert_eq!(store.head(&org).await.unwrap().size, 1);
    let sessions = encrypted("trail_tls").await;
    assert!(
        !sessions.is_empty() && sessions.iter().all(|s| *s),
        "{sessions:?}"
    );
    store.close().await;

    // The certificate names localhost, not 127.0.0.1; and public CAs did not sign it.
    let public_roots = "/etc/ssl/certs/ca-certificates.crt";
    let mut refused = vec![target("127.0.0.1", "trail_tls_ip", &verified)];
    if std::path::Path::new(public_roots).exists() {
        let untrusted = format!("sslmode=require sslrootcert={public_roots}");
        refused.push(target("localhost", "trail_tls_untrusted", &untrusted));
    }
    for refused in refused {
        let result = PostgresStore::connect(&refused, options()).await;
        assert!(result.is_err(), "connected with {refused}");
    }

    let plain = PostgresStore::connect(&target("localhost", "trail_plain", ""), options())
        .await
        .unwrap();
    plain.ping().await.unwrap();
    assert_eq!(encrypted("trail_plain").await, vec![false]);
    plain.close().await;
}
