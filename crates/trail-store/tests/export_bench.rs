//! The export benchmark (ignored by default): how fast the streaming export turns a SQLite store's
//! events into CSV and NDJSON, and its peak memory, next to `sqlite3 -csv` dumping the same rows in
//! the same run. The export runs exactly what `GET /v1/events?format=…` and the export worker run:
//! keyset pages of 2,000 events from `Store::search` (oldest first by `occurred_at`), each encoded
//! by `trail_core::export::Encoder` and handed on (here to a byte counter instead of a socket).
//!
//! ```sh
//! TRAIL_BENCH_EVENTS=1000000 cargo test -p trail-store --release --test export_bench -- --ignored --nocapture
//! ```
//!
//! Peak RSS is the process's `VmHWM`, reset (`/proc/self/clear_refs` 5) after the fill, so it is
//! the export's own peak; it counts the database pages SQLite memory-maps (up to 1 GiB per read
//! connection by default), so the anonymous part (`RssAnon`, the export's own allocations) is shown
//! too. The `sqlite3` figure is its maximum RSS from `/usr/bin/time`.

mod bench_events;

use std::process::Command;
use std::time::Instant;

use bench_events::{DAY_MS, next, typical};
use trail_core::Millis;
use trail_core::event::NewEvent;
use trail_core::export::{Encoder, ExportFormat};
use trail_core::query::{Order, Search, SortKey};
use trail_store::Store;
use trail_store::sqlite::{SqliteOptions, SqliteStore};

/// Events per store page, as the server streams them.
const PAGE: usize = 2_000;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// What one export run measured.
struct Figures {
    rows: u64,
    bytes: u64,
    seconds: f64,
    /// Peak resident set (`VmHWM`), which counts the database pages SQLite memory-maps.
    peak_mib: f64,
    /// Peak anonymous memory (`RssAnon`, sampled after every page): the export's own allocations.
    peak_anon_mib: Option<f64>,
    /// Of `seconds`, the time spent encoding (the rest is reading pages from the store).
    encode_seconds: Option<f64>,
}

/// Streams every event of `org` in `format`.
async fn export(store: &SqliteStore, org: &str, format: ExportFormat) -> Figures {
    // Resets the peak RSS to the current RSS (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = Instant::now();
    let mut search = Search {
        order: Order::Asc,
        sort: SortKey::OccurredAt,
        limit: PAGE,
        ..Search::default()
    };
    let mut encoder = Encoder::new(format);
    let mut out = Vec::with_capacity(4 << 20);
    encoder.begin(&mut out);
    let (mut rows, mut bytes) = (0u64, out.len() as u64);
    let mut peak_anon = status_kib("RssAnon:");
    let mut encoding = 0.0;
    loop {
        let page = store.search(org, &search).await.unwrap();
        let encode = Instant::now();
        out.clear();
        for event in &page.events {
            encoder.event(&mut out, event);
        }
        encoding += encode.elapsed().as_secs_f64();
        rows += page.events.len() as u64;
        bytes += out.len() as u64;
        peak_anon = peak_anon.max(status_kib("RssAnon:"));
        match page.next_cursor {
            Some(cursor) => search.cursor = Some(cursor),
            None => break,
        }
    }
    out.clear();
    encoder.end(&mut out);
    bytes += out.len() as u64;
    Figures {
        rows,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_mib: status_kib("VmHWM:") as f64 / 1024.0,
        peak_anon_mib: Some(peak_anon as f64 / 1024.0),
        encode_seconds: Some(encoding),
    }
}

/// `sqlite3 -csv` dumping every one of the `rows` event rows of the database.
fn sqlite3_csv(db: &std::path::Path, rows: u64) -> Option<Figures> {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M", "sqlite3", "-csv", "-header"])
        .arg(db)
        .arg("SELECT * FROM events ORDER BY org, occurred_at, seq")
        .output()
        .ok()?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        eprintln!(
            "sqlite3 failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let peak_kib: f64 = String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()?;
    Some(Figures {
        rows,
        bytes: output.stdout.len() as u64,
        seconds,
        peak_mib: peak_kib / 1024.0,
        peak_anon_mib: None,
        encode_seconds: None,
    })
}

fn line(name: &str, figures: &Figures, baseline: Option<f64>) {
    let rate = figures.rows as f64 / figures.seconds;
    let ratio = baseline.map_or(String::new(), |b| format!("  {:.2}× sqlite3", rate / b));
    let anon = figures
        .peak_anon_mib
        .map_or(String::new(), |a| format!(" (anonymous {a:.1} MiB)"));
    let split = figures.encode_seconds.map_or(String::new(), |e| {
        format!("  [store {:.2} s, encode {e:.2} s]", figures.seconds - e)
    });
    println!(
        "{name:<16} {:>9} rows {:>8.1} MiB in {:>6.2} s = {rate:>9.0} rows/s  peak RSS {:>6.1} MiB{anon}{ratio}{split}",
        figures.rows,
        figures.bytes as f64 / (1 << 20) as f64,
        figures.seconds,
        figures.peak_mib,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test"]
async fn measure() {
    let total: usize = std::env::var("TRAIL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    let org = store.create_organization("Bench").await.unwrap().id;
    let now = Millis::now();
    let span = 180 * DAY_MS;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut appended = 0;
    while appended < total {
        let batch: Vec<NewEvent> = (0..1000.min(total - appended))
            .map(|i| {
                let elapsed = span * (appended + i) as i64 / total as i64;
                typical(next(&mut state), Millis(now.0 - span + elapsed))
            })
            .collect();
        appended += store.append(&org, batch).await.unwrap().len();
    }
    store.close().await;
    let db = dir.path().join("trail.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();

    println!("export bench: {appended} events, pages of {PAGE}");
    let baseline = sqlite3_csv(&db, appended as u64);
    let baseline_rate = baseline.as_ref().map(|b| b.rows as f64 / b.seconds);
    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    let csv = export(&store, &org, ExportFormat::Csv).await;
    let ndjson = export(&store, &org, ExportFormat::Ndjson).await;
    store.close().await;
    match &baseline {
        Some(figures) => line("sqlite3 -csv", figures, None),
        None => println!("sqlite3 -csv     (not run: install sqlite3 and /usr/bin/time)"),
    }
    line("trail csv", &csv, baseline_rate);
    line("trail ndjson", &ndjson, baseline_rate);
    assert_eq!(csv.rows, appended as u64);
    assert_eq!(ndjson.rows, appended as u64);
}
