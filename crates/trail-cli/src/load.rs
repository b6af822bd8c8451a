//! `trail load`: drives a running server with ingest batches from many connections, either as
//! fast as they are answered (overload) or at a fixed rate (soak), and prints per-interval
//! latency percentiles, answers by status and the server's resident memory (`--pid`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tokio::sync::Mutex;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:8480")]
    pub url: String,
    /// An API key with `events:write`.
    #[arg(long, env = "TRAIL_API_KEY", hide_env_values = true)]
    pub key: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Requests per second over all connections; unset sends as fast as answers come.
    #[arg(long)]
    pub rate: Option<f64>,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Events per request.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Bytes of padding metadata per event (a 1000-event batch of 7 KiB events is ~7.2 MB).
    #[arg(long, default_value_t = 200)]
    pub event_bytes: usize,
    /// Seconds per printed interval.
    #[arg(long, default_value_t = 30)]
    pub interval: u64,
    /// The server's process id, to record its resident memory.
    #[arg(long)]
    pub pid: Option<u32>,
}

#[derive(Default)]
struct Window {
    latencies_ms: Vec<f64>,
    ok: u64,
    shed: u64,
    limited: u64,
    failed: u64,
    /// No answer: the connection closed first (a shed request whose body the server did not
    /// read, a timeout) or could not be made.
    reset: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let body = Arc::new(batch(args.batch, args.event_bytes));
    println!(
        "load: {} connections, {}, {} events × {} B per request ({} KiB), {} s; machine: {}",
        args.concurrency,
        args.rate
            .map_or("flat out".to_owned(), |r| format!("{r} req/s")),
        args.batch,
        args.event_bytes,
        body.len() / 1024,
        args.seconds,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "{:>6} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>6} {:>9}",
        "t(s)", "req/s", "p50 ms", "p99 ms", "max ms", "503", "429", "reset", "err", "rss MiB"
    );
    let window = Arc::new(Mutex::new(Window::default()));
    let total = Arc::new(Mutex::new(Window::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let per_connection = args
        .rate
        .map(|r| Duration::from_secs_f64(args.concurrency as f64 / r));
    let mut tasks = Vec::new();
    for c in 0..args.concurrency {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let (url, key, body) = (
            format!("{}/v1/events", args.url),
            args.key.clone(),
            body.clone(),
        );
        let (window, total, stop) = (window.clone(), total.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut next = Instant::now()
                + per_connection.map_or(Duration::ZERO, |p| p.mul_f64(c as f64 / 8.0));
            while !stop.load(Ordering::Relaxed) {
                if let Some(period) = per_connection {
                    tokio::time::sleep_until(next.into()).await;
                    next += period;
                }
                let sent = Instant::now();
                let answer = http
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await;
                let status = match answer {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                let ms = sent.elapsed().as_secs_f64() * 1000.0;
                for w in [&window, &total] {
                    let mut w = w.lock().await;
                    w.latencies_ms.push(ms);
                    match status {
                        200 => w.ok += 1,
                        503 => w.shed += 1,
                        429 => w.limited += 1,
                        0 => w.reset += 1,
                        _ => w.failed += 1,
                    }
                }
            }
        }));
    }
    let mut ticker = tokio::time::interval(Duration::from_secs(args.interval));
    ticker.tick().await;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        ticker.tick().await;
        let w = std::mem::take(&mut *window.lock().await);
        print_row(
            started.elapsed().as_secs(),
            &w,
            args.interval as f64,
            args.pid,
        );
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.context("a load task panicked")?;
    }
    let t = total.lock().await;
    println!("total:");
    print_row(
        started.elapsed().as_secs(),
        &t,
        started.elapsed().as_secs_f64(),
        args.pid,
    );
    if let Some(pid) = args.pid {
        // Memory once the burst is over: give the allocator a few seconds to return it.
        for wait in [1u64, 5, 10] {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            println!(
                "rss after {wait:>2} s more idle: {:.0} MiB",
                rss_mib(pid).unwrap_or(f64::NAN)
            );
        }
    }
    Ok(())
}

fn print_row(t: u64, w: &Window, seconds: f64, pid: Option<u32>) {
    let mut l = w.latencies_ms.clone();
    l.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        l.get(((l.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "{:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>6} {:>6} {:>6} {:>6} {:>9.0}",
        t,
        w.ok as f64 / seconds,
        pct(0.5),
        pct(0.99),
        l.last().copied().unwrap_or(f64::NAN),
        w.shed,
        w.limited,
        w.reset,
        w.failed,
        pid.and_then(rss_mib).unwrap_or(f64::NAN)
    );
}

/// Resident memory of `pid` in MiB.
pub fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn batch(events: usize, event_bytes: usize) -> Vec<u8> {
    let padding = "x".repeat(event_bytes.min(15_000));
    let events: Vec<_> = (0..events)
        .map(|i| {
            json!({
                "action": "load.write",
                "actor": {"id": format!("user-{}", i % 50)},
                "resource": {"type": "document", "id": format!("doc-{i}")},
                "metadata": {"padding": padding},
            })
        })
        .collect();
    serde_json::to_vec(&events).expect("events serialize")
}
