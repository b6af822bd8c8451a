//! Measurements of the PostgreSQL store, ignored by default:
//! `TRAIL_TEST_DATABASE_URL=… cargo test -p trail-store --release --test postgres_bench -- --ignored --nocapture`

mod postgres_support;

use std::sync::Arc;
use std::time::Instant;

use trail_core::event::NewEvent;
use trail_core::merkle::{CompactRange, Hash, is_stored};
use trail_store::Store;
use trail_store::conformance::fixtures::event;

use postgres_support::{TestDatabase, admin_client, test_database_url};

/// A typical event (the shape of docs/api.md's ingest example), its values drawn from `r`.
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
    let client = admin_client(&database.url).await;
    let tree_seconds = replay_tree_work(&client, &org).await;
    println!(
        "Merkle tree work alone (frontier pushes + node inserts, groups of 1000): {:.2} µs/event, \
         {:.1}% of the ingest time per event",
        tree_seconds * 1e6 / total as f64,
        100.0 * tree_seconds * batch_rate / total as f64
    );

    // The naive baseline: one INSERT, and so one transaction, per event into an equivalent
    // table (same columns and indexes), copying the rows the batch path stored.
    let naive = total.min(20_000) as i64;
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

/// What the append path adds for the tree, done again alone for the stored leaves into a copy of
/// `tree_nodes`: push each group of 1000 leaves onto the frontier, insert the completed stored-level
/// nodes with one statement per group. Returns the seconds it took.
async fn replay_tree_work(client: &tokio_postgres::Client, org: &str) -> f64 {
    let leaves: Vec<Hash> = client
        .query(
            "SELECT hash FROM events WHERE organization_id = $1 ORDER BY seq",
            &[&org],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<_, &[u8]>(0).try_into().unwrap())
        .collect();
    client
        .batch_execute("CREATE TABLE bench_nodes (LIKE tree_nodes INCLUDING ALL); BEGIN")
        .await
        .unwrap();
    let insert = client
        .prepare(
            "INSERT INTO bench_nodes (organization_id, level, idx, hash) SELECT $1::text, u.* \
             FROM unnest($2::int[], $3::bigint[], $4::bytea[]) AS u",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let (mut range, mut frontier_bytes) = (CompactRange::new(), 0);
    for group in leaves.chunks(1000) {
        let (mut levels, mut indexes, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
        for leaf in group {
            range.push_with(*leaf, |id, hash| {
                if id.level > 0 && is_stored(id, 4) {
                    levels.push(id.level as i32);
                    indexes.push(id.index as i64);
                    hashes.push(*hash);
                }
            });
        }
        let hashes: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
        // The frontier the append path writes back with the head.
        frontier_bytes += range.to_bytes().len();
        client
            .execute(&insert, &[&org, &levels, &indexes, &hashes])
            .await
            .unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    client.batch_execute("COMMIT").await.unwrap();
    assert_eq!(range.size(), leaves.len() as u64);
    assert!(frontier_bytes >= 8 * leaves.len().div_ceil(1000));
    seconds
}
