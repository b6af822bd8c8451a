//! `trail verify` against tampered data directories: the real binary on a SQLite store edited
//! behind Trail's back with rusqlite (its block log decoded, edited and written back). Each
//! tampering must exit 1 naming the first bad seq or what differs; an untouched log exits 0.

use std::path::Path;
use std::process::{Command, Output};

use rusqlite::{Connection, params};
use serde_json::json;
use trail_core::canonical::leaf_hash;
use trail_core::checkpoint::{Checkpoint, log_origin};
use trail_core::merkle::{Hash, root_from_leaves};
use trail_core::note::SignerKey;
use trail_core::validate::{Limits, validate_event};
use trail_core::{EventInput, Millis};
use trail_store::Store;
use trail_store::proofs::root_at;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

/// A data directory with one organization's log and checkpoints signed by `key`.
struct Log {
    dir: tempfile::TempDir,
    org: String,
    key: SignerKey,
    /// The signed notes, by size.
    notes: Vec<(u64, String)>,
}

impl Log {
    /// `size` events, with a checkpoint signed at each of `checkpoints`.
    async fn build(size: u64, checkpoints: &[u64]) -> Log {
        let dir = tempfile::tempdir().unwrap();
        let key = SignerKey::generate("trail.test").unwrap();
        let key_file = dir.path().join("log-signing.key");
        std::fs::write(key_file, format!("{}\n", key.to_secret_string())).unwrap();
        let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
        let org = store.create_organization("Acme").await.unwrap().id;
        let mut notes = Vec::new();
        for seq in 0..size {
            let input: EventInput = serde_json::from_value(json!({
                "action": "member.invited",
                "actor": {"id": format!("usr_{seq}"), "name": "Alice Kim"},
                "description": format!("event {seq}"),
                "metadata": {"n": seq, "ratio": 0.5},
            }))
            .unwrap();
            let new = validate_event(input, &Limits::default(), Millis::now()).unwrap();
            store.append(&org, vec![new]).await.unwrap();
            if checkpoints.contains(&(seq + 1)) {
                let root = root_at(&store, &org, seq + 1).await.unwrap();
                let note = sign(&key, &org, seq + 1, root);
                store
                    .put_checkpoint(&org, seq + 1, root, &note)
                    .await
                    .unwrap();
                notes.push((seq + 1, note));
            }
        }
        store.close().await;
        Log {
            dir,
            org,
            key,
            notes,
        }
    }

    /// Lets retention remove the first `count` events (every event is past a cutoff of now).
    async fn purge(&self, count: usize) {
        let store = SqliteStore::open(self.dir.path(), SqliteOptions::default()).unwrap();
        let cutoff = Millis::now().plus_ms(1);
        let purged = store
            .purge_received_before(&self.org, cutoff, count)
            .await
            .unwrap();
        assert_eq!(purged, count as u64);
        store.close().await;
    }

    fn db(&self) -> Connection {
        Connection::open(self.dir.path().join("trail.db")).unwrap()
    }

    fn org_key(&self, db: &Connection) -> i64 {
        let sql = "SELECT org FROM organizations WHERE id = ?";
        db.query_row(sql, [&self.org], |r| r.get(0)).unwrap()
    }

    fn stored_hashes(&self, db: &Connection) -> Vec<Hash> {
        let mut statement = db
            .prepare("SELECT hashes FROM blocks ORDER BY first_seq")
            .unwrap();
        let rows = statement.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
        rows.flat_map(|h| {
            h.unwrap()
                .chunks(32)
                .map(|c| c.try_into().unwrap())
                .collect::<Vec<Hash>>()
        })
        .collect()
    }

    /// Replaces every checkpoint with one of the current log signed by `key`.
    fn resign(&self, db: &Connection, key: &SignerKey) {
        let hashes = self.stored_hashes(db);
        let (size, root) = (hashes.len() as u64, root_from_leaves(&hashes));
        let org = self.org_key(db);
        db.execute("DELETE FROM checkpoints", []).unwrap();
        let note = sign(key, &self.org, size, root);
        let insert =
            "INSERT INTO checkpoints (org, size, root, note, created_at) VALUES (?, ?, ?, ?, 0)";
        db.execute(insert, params![org, size as i64, &root[..], note])
            .unwrap();
    }

    fn verify(&self, extra: &[&str]) -> Output {
        let vkey = self.key.verifier().to_string();
        let dir = self.dir.path().to_str().unwrap();
        let mut args = vec!["verify", "--data-dir", dir, "--vkey", &vkey];
        args.extend_from_slice(extra);
        trail(&args)
    }

    fn pinned(&self, size: u64) -> std::path::PathBuf {
        let path = self.dir.path().join(format!("checkpoint-{size}.txt"));
        let note = &self.notes.iter().find(|(s, _)| *s == size).unwrap().1;
        std::fs::write(&path, note).unwrap();
        path
    }
}

fn sign(key: &SignerKey, org: &str, size: u64, root: Hash) -> String {
    let checkpoint = Checkpoint::new(log_origin("trail.test", org), size, root);
    checkpoint.sign(&[key]).unwrap().to_string()
}

/// One stored event as its block keeps it: canonical bytes without the values of `prev` and
/// `seq`, and where they go.
struct StoredEvent {
    bytes: Vec<u8>,
    prev_at: usize,
    seq_at: usize,
}

impl StoredEvent {
    /// Replaces the first `from` in the event's bytes (before `prev`) with `to`.
    fn replace(&mut self, from: &str, to: &str) {
        let text = String::from_utf8(self.bytes.clone()).unwrap();
        let at = text.find(from).unwrap();
        assert!(at < self.prev_at, "edits go before prev");
        self.bytes = text.replacen(from, to, 1).into_bytes();
        let shift = to.len() as isize - from.len() as isize;
        self.prev_at = (self.prev_at as isize + shift) as usize;
        self.seq_at = (self.seq_at as isize + shift) as usize;
    }
}

/// Rewrites the block holding `seq` through `edit` (its events and leaf hashes).
fn edit_block(db: &Connection, seq: u64, edit: impl FnOnce(&mut [StoredEvent], &mut [Hash], u64)) {
    let (first, hashes, events): (i64, Vec<u8>, Vec<u8>) = db
        .query_row(
            "SELECT first_seq, hashes, events FROM blocks WHERE first_seq <= ? \
             ORDER BY first_seq DESC LIMIT 1",
            [seq as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let raw = zstd::stream::decode_all(&events[..]).unwrap();
    let mut stored = Vec::new();
    let mut at = 0;
    let field = |at: usize| u32::from_le_bytes(raw[at..at + 4].try_into().unwrap()) as usize;
    while at < raw.len() {
        let len = field(at);
        stored.push(StoredEvent {
            bytes: raw[at + 12..at + 12 + len].to_vec(),
            prev_at: field(at + 4),
            seq_at: field(at + 8),
        });
        at += 12 + len;
    }
    let mut hashes: Vec<Hash> = hashes.chunks(32).map(|c| c.try_into().unwrap()).collect();
    edit(&mut stored, &mut hashes, first as u64);
    let mut raw = Vec::new();
    for event in &stored {
        for n in [event.bytes.len(), event.prev_at, event.seq_at] {
            raw.extend_from_slice(&(n as u32).to_le_bytes());
        }
        raw.extend_from_slice(&event.bytes);
    }
    let events = zstd::bulk::compress(&raw, 3).unwrap();
    db.execute(
        "UPDATE blocks SET hashes = ?, events = ? WHERE first_seq = ?",
        params![hashes.concat(), events, first],
    )
    .unwrap();
}

/// Sets the actor's name of the event at `seq` to Mallory.
fn rename_actor(db: &Connection, seq: u64) {
    edit_block(db, seq, |events, _, first| {
        events[(seq - first) as usize].replace("\"name\":\"Alice Kim\"", "\"name\":\"Mallory\"");
    });
}

fn trail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trail"))
        .args(args)
        .env_remove("TRAIL_DATA_DIR")
        .output()
        .unwrap()
}

/// Asserts the exit code and that stdout says `expected`; returns stdout.
fn assert_exit(output: &Output, code: i32, expected: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains(expected),
        "wanted {expected:?} in\n{stdout}\nstderr: {stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untouched_log_verifies() {
    let log = Log::build(40, &[10, 40]).await;
    let pinned = log.pinned(10);
    let output = log.verify(&["--trusted-checkpoint", pinned.to_str().unwrap()]);
    let stdout = assert_exit(&output, 0, "40/40 events valid");
    assert!(stdout.contains("checkpoint at size 40"), "{stdout}");

    let json = log.verify(&["--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["organizations"][0]["valid_events"], 40);

    let dir = log.dir.path().to_str().unwrap();
    let unpinned = trail(&["verify", "--data-dir", dir]);
    assert_exit(&unpinned, 0, "40/40 events valid");
    assert!(String::from_utf8_lossy(&unpinned.stderr).contains("pin it with --vkey"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_field_names_its_seq() {
    let log = Log::build(20, &[20]).await;
    rename_actor(&log.db(), 7);
    let stdout = assert_exit(&log.verify(&[]), 1, "seq 7: hash mismatch (stored ");
    assert!(stdout.contains("19/20 events valid"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_event_names_its_seq() {
    let log = Log::build(20, &[20]).await;
    log.db()
        .execute("DELETE FROM blocks WHERE first_seq = 5", [])
        .unwrap();
    assert_exit(
        &log.verify(&[]),
        1,
        "seq 5: missing (the log jumps to seq 6)",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reordered_pair_names_the_first_seq() {
    let log = Log::build(20, &[20]).await;
    let db = log.db();
    // Each event is its own block here (one append each): swap the blocks of 3 and 4.
    for (from, to) in [(3, -1), (4, 3), (-1, 4)] {
        db.execute(
            "UPDATE blocks SET first_seq = ? WHERE first_seq = ?",
            [to, from],
        )
        .unwrap();
    }
    let stdout = assert_exit(&log.verify(&[]), 1, "seq 3: hash mismatch");
    let first = stdout.lines().find(|l| l.contains("seq ")).unwrap();
    assert!(first.contains("seq 3:"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_log_resigned_by_another_key_fails_against_the_pinned_key() {
    let log = Log::build(30, &[10, 30]).await;
    let db = log.db();
    db.execute("DELETE FROM blocks WHERE first_seq >= 12", [])
        .unwrap();
    let forger = SignerKey::generate("trail.test").unwrap();
    log.resign(&db, &forger);
    let key_file = log.dir.path().join("log-signing.key");
    std::fs::write(key_file, format!("{}\n", forger.to_secret_string())).unwrap();

    assert_exit(
        &log.verify(&[]),
        1,
        "the latest checkpoint is not signed by a trusted key",
    );
    // Trusting the data directory's own key is exactly what the forger counts on.
    let dir = log.dir.path().to_str().unwrap();
    assert_exit(
        &trail(&["verify", "--data-dir", dir]),
        0,
        "12/12 events valid",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewritten_tail_fails_against_a_pinned_checkpoint() {
    let log = Log::build(20, &[10, 20]).await;
    let pinned = log.pinned(10);
    let db = log.db();
    for seq in 6..20 {
        rename_actor(&db, seq);
    }
    // The operator holds the key: rehash the chain from seq 6 on and sign the new log.
    let store = SqliteStore::open_read_only(log.dir.path(), SqliteOptions::default()).unwrap();
    let mut events = store.events_by_seq(&log.org, 0, 20).await.unwrap();
    store.close().await;
    for seq in 6..20u64 {
        let at = seq as usize;
        events[at].prev = events[at - 1].hash.clone();
        let hash = leaf_hash(&events[at]);
        events[at].hash = hex::encode(hash);
        edit_block(&db, seq, |_, hashes, first| {
            hashes[(seq - first) as usize] = hash;
        });
    }
    log.resign(&db, &log.key);

    assert_exit(&log.verify(&[]), 0, "20/20 events valid");
    let output = log.verify(&["--trusted-checkpoint", pinned.to_str().unwrap()]);
    assert_exit(
        &output,
        1,
        "checkpoint not consistent with trusted checkpoint",
    );
}

#[test]
fn unsupported_sources_and_bad_keys_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_str().unwrap();
    for args in [
        vec!["verify", "--bundle", "export.zip"],
        vec!["verify", "--database-url", "not a url"],
        vec!["verify", "--data-dir", dir, "--vkey", "not-a-key"],
        vec!["verify", "--data-dir", dir, "--vkey", "x+00000000+AA"],
    ] {
        assert_eq!(trail(&args).status.code(), Some(2), "{args:?}");
    }
    assert!(
        !Path::new(dir).join("trail.db").exists(),
        "verify must not create a store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_after_retention_verifies_and_still_names_an_edited_event() {
    let log = Log::build(30, &[10, 30]).await;
    log.purge(12).await;
    // The pinned checkpoint covers only removed events: their kept leaves still prove it.
    let pinned = log.pinned(10);
    let output = log.verify(&["--trusted-checkpoint", pinned.to_str().unwrap()]);
    let stdout = assert_exit(&output, 0, "18/18 events valid");
    assert!(
        stdout.contains(
            "12 events removed by retention; their leaf hashes were kept and checked against \
             the signed root"
        ),
        "{stdout}"
    );
    rename_actor(&log.db(), 20);
    let stdout = assert_exit(&log.verify(&[]), 1, "seq 20: hash mismatch (stored ");
    assert!(stdout.contains("17/18 events valid"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_or_edited_retired_leaf_fails() {
    let log = Log::build(30, &[30]).await;
    log.purge(12).await;
    assert_exit(&log.verify(&[]), 0, "18/18 events valid");
    let db = log.db();
    db.execute(
        "UPDATE retired_leaves SET hash = zeroblob(32) WHERE seq = 11",
        [],
    )
    .unwrap();
    assert_exit(&log.verify(&[]), 1, "seq 12: hash mismatch");
    db.execute("DELETE FROM retired_leaves WHERE seq = 4", [])
        .unwrap();
    assert_exit(&log.verify(&[]), 1, "seq 4: retired leaf missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_from_before_the_block_log_must_be_opened_once_first() {
    let log = Log::build(10, &[10]).await;
    log.db()
        .execute("DELETE FROM schema_migrations WHERE version >= 10", [])
        .unwrap();
    let output = log.verify(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("open it once with `trail serve`"),
        "{stderr}"
    );
}
