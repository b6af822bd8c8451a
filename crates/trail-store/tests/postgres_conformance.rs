//! The storage conformance suite on PostgreSQL, plus what only a shared database has: several
//! nodes appending to one organization, migrations racing, connections cut under a running store.
//! Every test creates its own database (`trail_test_<random>`) from `TRAIL_TEST_DATABASE_URL` and
//! drops it at the end; without the variable each test says loudly that it was skipped.
//!
//! `TRAIL_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -p trail-store --test postgres_conformance`

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::NoTls;
use trail_core::canonical::leaf_hash;
use trail_core::event::{Event, GENESIS_PREV, NewEvent};
use trail_store::conformance::fixtures::{at, client_event, event};
use trail_store::postgres::{PostgresOptions, PostgresStore};
use trail_store::{Store, StoreError};

/// The server to create test databases on, or `None` (after saying so) to skip.
fn test_database_url() -> Option<String> {
    let url = std::env::var("TRAIL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        // Straight to stderr, past the test harness's capture, so that a skip is never silent.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: TRAIL_TEST_DATABASE_URL is not set; this PostgreSQL test did not run"
        );
    }
    url
}

/// A database of its own for one test, dropped (with its connections) when this is dropped.
struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create(admin_url: &str) -> TestDatabase {
        let name = format!("trail_test_{}", &trail_core::ids::new_event_id()[4..]);
        let admin = admin_client(admin_url).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        TestDatabase {
            url: with_dbname(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    async fn connect(&self) -> PostgresStore {
        PostgresStore::connect(
            &self.url,
            PostgresOptions {
                pool_size: 4,
                ..PostgresOptions::default()
            },
        )
        .await
        .expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which must not block: use a runtime of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = admin_client(&url).await;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to TRAIL_TEST_DATABASE_URL");
    tokio::spawn(connection);
    client
}

/// `url` naming database `name` instead (URL or `key=value` form).
fn with_dbname(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!("{url} dbname={name}");
    };
    let (base, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let host_end = base[scheme_end + 3..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + 3 + i);
    format!("{}/{name}{query}", &base[..host_end])
}

trail_store::conformance_tests!({
    let Some(url) = test_database_url() else {
        return;
    };
    async move {
        let database = TestDatabase::create(&url).await;
        (database.connect().await, database)
    }
});

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

/// A typical event (the DESIGN.md example's shape), its values drawn from `r`.
fn typical(r: u64, now: trail_core::Millis) -> NewEvent {
    const ACTIONS: [&str; 6] = [
        "user.login",
        "member.invited",
        "member.role_changed",
        "scan.started",
        "api_key.created",
        "settings.updated",
    ];
    let pick = |n: u64, salt: u64| ((r >> (salt * 5)) ^ (r >> 40)) % n;
    let (user, target) = (pick(500, 2), pick(5000, 3));
    let mut new = event(ACTIONS[pick(6, 1) as usize]);
    let data = &mut new.data;
    data.occurred_at = trail_core::Millis(now.0 - (r % 90 * 86_400_000 / 90) as i64);
    data.actor.name = Some(format!("User Number{user}"));
    data.actor.email = Some(format!("user{user}@example.com"));
    data.actor.role = Some(["Admin", "Member", "Owner"][pick(3, 4) as usize].into());
    data.resource = Some(trail_core::Resource {
        kind: "member".into(),
        id: Some(format!("usr_{target}")),
        name: Some(format!("Member {target}")),
    });
    data.source = Some(["web_ui", "api", "background_task", "cli"][pick(4, 5) as usize].into());
    data.description = Some(format!(
        "User Number{user} did {} on Member {target}",
        data.action
    ));
    data.context = Some(trail_core::Context {
        ip: Some(format!(
            "10.{}.{}.{}",
            pick(4, 7),
            pick(256, 8),
            pick(256, 9)
        )),
        ..Default::default()
    });
    data.metadata = serde_json::json!({"plan": "enterprise"})
        .as_object()
        .cloned();
    new.received_at = now;
    new
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// `TRAIL_TEST_DATABASE_URL=… cargo test -p trail-store --release --test postgres_conformance -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test"]
async fn measure_batch_ingest_against_one_insert_per_event() {
    let Some(url) = test_database_url() else {
        return;
    };
    let total = env_number("TRAIL_BENCH_EVENTS", 200_000);
    let database = TestDatabase::create(&url).await;
    let store = database.connect().await;
    let org = store.create_organization("Bench").await.unwrap().id;
    let now = trail_core::Millis::now();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let events: Vec<NewEvent> = (0..total)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            typical(state, now)
        })
        .collect();
    // `TRAIL_BENCH_WRITERS` clients, each sending batches of 1000 (group commit merges them).
    let writers: usize = env_number("TRAIL_BENCH_WRITERS", 4);
    let store: Arc<dyn Store> = Arc::new(store);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let mine: Vec<NewEvent> = events
            .iter()
            .skip(writer)
            .step_by(writers)
            .cloned()
            .collect();
        let (store, org) = (Arc::clone(&store), org.clone());
        tasks.push(tokio::spawn(async move {
            for batch in mine.chunks(1000) {
                store.append(&org, batch.to_vec()).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let batch_rate = total as f64 / started.elapsed().as_secs_f64();
    println!(
        "batch ingest: {total} events, batches of 1000 from {writers} writers: {batch_rate:.0} events/s"
    );

    // The naive baseline: one INSERT, and so one transaction, per event into an equivalent
    // table (same columns and indexes), copying the rows the batch path stored.
    let naive = total.min(20_000) as i64;
    let client = admin_client(&database.url).await;
    let copy = "CREATE TABLE naive_events (LIKE events INCLUDING ALL)";
    client.batch_execute(copy).await.unwrap();
    let insert =
        "INSERT INTO naive_events SELECT * FROM events WHERE organization_id = $1 AND seq = $2";
    let insert = client.prepare(insert).await.unwrap();
    let started = Instant::now();
    for seq in 0..naive {
        client.execute(&insert, &[&org, &seq]).await.unwrap();
    }
    let naive_rate = naive as f64 / started.elapsed().as_secs_f64();
    println!("naive baseline: {naive} single-row INSERTs: {naive_rate:.0} events/s");
    println!(
        "batch ingest is {:.1}x the naive baseline",
        batch_rate / naive_rate
    );
    store.close().await;
}
