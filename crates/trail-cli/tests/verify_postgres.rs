//! `trail verify --database-url`: the real binary against a real PostgreSQL store, read-only. An
//! untouched log verifies; an event edited behind Trail's back names its seq; a database without
//! Trail's schema is a usage error; and verifying writes nothing. Skipped loudly without
//! `TRAIL_TEST_DATABASE_URL`.

use std::process::{Command, Output};

use serde_json::json;
use trail_core::checkpoint::{Checkpoint, log_origin};
use trail_core::note::SignerKey;
use trail_core::validate::{Limits, validate_event};
use trail_core::{EventInput, Millis};
use trail_store::Store;
use trail_store::conformance::postgres_db::{TestDatabase, admin_client, test_database_url};
use trail_store::proofs::root_at;

fn trail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trail"))
        .args(args)
        .env_remove("TRAIL_DATA_DIR")
        .env_remove("TRAIL_DATABASE_URL")
        .output()
        .unwrap()
}

fn assert_exit(output: &Output, code: i32, expected: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains(expected) || stderr.contains(expected),
        "wanted {expected:?} in\n{stdout}\nstderr: {stderr}"
    );
}

/// Fills the database with `size` events of one organization and signs a checkpoint of them all.
async fn fill(database: &TestDatabase, size: u64, key: &SignerKey) -> String {
    let store = database.connect().await;
    let org = store.create_organization("Acme").await.unwrap().id;
    let events = (0..size)
        .map(|seq| {
            let input: EventInput = serde_json::from_value(json!({
                "action": "member.invited",
                "actor": {"id": format!("usr_{seq}"), "name": "Alice Kim"},
                "metadata": {"n": seq},
            }))
            .unwrap();
            validate_event(input, &Limits::default(), Millis::now()).unwrap()
        })
        .collect();
    store.append(&org, events).await.unwrap();
    let root = root_at(&store, &org, size).await.unwrap();
    let checkpoint = Checkpoint::new(log_origin("trail.test", &org), size, root);
    let note = checkpoint.sign(&[key]).unwrap().to_string();
    store.put_checkpoint(&org, size, root, &note).await.unwrap();
    store.close().await;
    org
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_store_verifies_read_only_and_names_an_edited_event() {
    let Some(admin_url) = test_database_url() else {
        return;
    };
    let database = TestDatabase::create(&admin_url).await;
    let key = SignerKey::generate("trail.test").unwrap();
    let org = fill(&database, 25, &key).await;
    let vkey = key.verifier().to_string();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--database-url", &database.url, "--vkey", &vkey];
        args.extend_from_slice(extra);
        trail(&args)
    };
    let db = admin_client(&database.url).await;
    let writes = async || -> i64 {
        let sql = "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database \
                   WHERE datname = current_database()";
        db.query_one(sql, &[]).await.unwrap().get(0)
    };
    // Statistics reach pg_stat_database lazily (at most once a second per backend).
    let settle = || tokio::time::sleep(std::time::Duration::from_millis(1500));
    settle().await;
    let before = writes().await;

    assert_exit(&verify(&[]), 0, "25/25 events valid");
    assert_exit(&verify(&["--org", &org]), 0, "25/25 events valid");
    settle().await;
    assert_eq!(writes().await, before, "verify wrote to the database");

    db.execute(
        "UPDATE events SET data = jsonb_set(data::jsonb, '{actor,name}', '\"Mallory\"')::json \
         WHERE seq = 7",
        &[],
    )
    .await
    .unwrap();
    assert_exit(&verify(&[]), 1, "seq 7: hash mismatch (stored ");

    let other = TestDatabase::create(&admin_url).await;
    assert_exit(
        &trail(&["verify", "--database-url", &other.url, "--vkey", &vkey]),
        2,
        "holds no Trail store",
    );
    let untouched = admin_client(&other.url).await;
    let migrated: bool = untouched
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!migrated, "verify created Trail's schema");
    assert_exit(
        &trail(&[
            "verify",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/none",
            "--vkey",
            &vkey,
        ]),
        2,
        "cannot read the PostgreSQL store",
    );
}
