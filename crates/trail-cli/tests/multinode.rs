//! Several `trail serve` processes on one PostgreSQL database: concurrent ingest into one
//! organization through every node yields one gap-free `seq` and one valid hash chain, and a node
//! killed (SIGKILL) in the middle of its batches loses no event it acknowledged.
//!
//! Runs when `TRAIL_TEST_DATABASE_URL` is set (`.ci/run` sets it); otherwise it says loudly that it
//! was skipped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use trail_client::{Client, Order, SearchParams, Sort};
use trail_core::canonical::leaf_hash_of_api_json;
use trail_core::event::GENESIS_PREV;
use trail_store::conformance::postgres_db::TestDatabase;

const OPERATOR: &str = "multinode-operator-token";
const NODES: usize = 3;
const BATCHES_PER_NODE: usize = 30;
const EVENTS_PER_BATCH: usize = 40;

struct Node {
    child: Child,
    url: String,
}

impl Node {
    /// Starts `trail serve` on a free port and waits for its banner to say where it listens.
    fn start(database_url: &str, data_dir: &std::path::Path) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trail"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("TRAIL_DATABASE_URL", database_url)
            .env("TRAIL_ADMIN_TOKEN", OPERATOR)
            .env("TRAIL_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start trail serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            assert!(
                Instant::now() < deadline,
                "trail serve printed no address in 60 s"
            );
            let line = lines
                .next()
                .expect("trail serve exited before listening")
                .expect("read stdout");
            if let Some(rest) = line.split("is listening on ").nth(1) {
                break rest.trim().to_owned();
            }
        };
        // Keep draining stdout so the node never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Node { child, url }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn batch(node: usize, b: usize) -> Vec<Value> {
    (0..EVENTS_PER_BATCH)
        .map(|i| {
            json!({
                "id": format!("evt_n{node}_b{b}_i{i}"),
                "action": "node.write",
                "actor": {"id": format!("node{node}")},
                "metadata": {"batch": b, "i": i},
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_sharing_postgres_keep_one_gap_free_chain_and_lose_nothing_acknowledged() {
    let Some(admin_url) = std::env::var("TRAIL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!(
            "SKIPPED: TRAIL_TEST_DATABASE_URL is not set; the multi-node PostgreSQL test did not run"
        );
        return;
    };
    let database = TestDatabase::create(&admin_url).await;
    let dirs: Vec<tempfile::TempDir> = (0..NODES).map(|_| tempfile::tempdir().unwrap()).collect();
    // Start the nodes at once: migrations must be safe when they race.
    let starts: Vec<_> = dirs
        .iter()
        .map(|dir| {
            let (url, path) = (database.url.clone(), dir.path().to_owned());
            std::thread::spawn(move || Node::start(&url, &path))
        })
        .collect();
    let mut nodes: Vec<Option<Node>> = starts
        .into_iter()
        .map(|s| Some(s.join().unwrap()))
        .collect();
    let urls: Vec<String> = nodes
        .iter()
        .map(|n| n.as_ref().unwrap().url.clone())
        .collect();

    let operator = Client::new(&urls[0], OPERATOR).unwrap();
    let org = operator.create_organization("Shared").await.unwrap().id;

    // Every node ingests concurrently; the last node is killed partway through its batches.
    let victim = NODES - 1;
    let mut writers = Vec::new();
    for (n, url) in urls.iter().enumerate() {
        let client = Client::new(url, OPERATOR)
            .unwrap()
            .with_organization(Some(org.clone()));
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for b in 0..BATCHES_PER_NODE {
                match client.ingest_events(&batch(n, b)).await {
                    Ok(acks) => {
                        acknowledged.extend(acks.into_iter().map(|a| (a.id, a.seq, a.hash)))
                    }
                    Err(err) if n == victim => {
                        eprintln!("node {n} stopped answering after {b} batches: {err}");
                        break;
                    }
                    Err(err) => panic!("node {n} failed: {err}"),
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut killed = nodes[victim].take().unwrap();
    killed.child.kill().expect("SIGKILL the victim node");
    let _ = killed.child.wait();

    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }

    // Read the whole log back in seq order from a surviving node.
    let reader = Client::new(&urls[0], OPERATOR)
        .unwrap()
        .with_organization(Some(org.clone()));
    let mut log = Vec::new();
    let mut cursor = None;
    loop {
        let params = SearchParams {
            limit: Some(1000),
            order: Some(Order::Asc),
            sort: Some(Sort::Seq),
            cursor: cursor.take(),
            ..Default::default()
        };
        let page = reader.search(&params).await.unwrap();
        log.extend(page.events);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    // One gap-free sequence and one valid chain.
    let mut prev = GENESIS_PREV.to_owned();
    for (i, event) in log.iter().enumerate() {
        assert_eq!(
            event["seq"].as_u64(),
            Some(i as u64),
            "seq gap or duplicate at position {i}"
        );
        assert_eq!(
            event["prev"].as_str(),
            Some(prev.as_str()),
            "broken chain at seq {i}"
        );
        let recomputed = hex::encode(leaf_hash_of_api_json(event).unwrap());
        assert_eq!(
            event["hash"].as_str(),
            Some(recomputed.as_str()),
            "hash mismatch at seq {i}"
        );
        prev = recomputed;
    }
    // Every acknowledged event is there, at the seq and with the hash it was acknowledged with.
    for (id, seq, hash) in &acknowledged {
        let stored = &log[*seq as usize];
        assert_eq!(
            (stored["id"].as_str(), stored["hash"].as_str()),
            (Some(id.as_str()), Some(hash.as_str()))
        );
    }
    let survivors = (NODES - 1) * BATCHES_PER_NODE * EVENTS_PER_BATCH;
    assert!(
        acknowledged.len() >= survivors,
        "the surviving nodes' events were all acknowledged"
    );
    // The log also holds the audit events of this test's own searches (area `trail`), which
    // are chained like any other; batches are counted without them.
    let sent = log.iter().filter(|e| e["area"] != "trail").count();
    assert_eq!(
        sent % EVENTS_PER_BATCH,
        0,
        "batches are all-or-nothing, even when a node dies mid-batch"
    );
    eprintln!(
        "{} events in one chain, {} acknowledged, across {NODES} nodes",
        log.len(),
        acknowledged.len()
    );

    drop(nodes);
    drop(database);
}
