//! SIEM stream delivery while ingest runs: a real server in-process with one Splunk HEC stream
//! to a minimal HEC receiver in this process (gunzip, parse each envelope's `trail_seq`, answer
//! `{"code": 0}`). It measures the delivery lag of every event — from the moment its ingest
//! request was acknowledged to the moment the receiver parsed it — the ingest rate with the
//! stream delivering (against the HTTP stage's rate without one), and the delivery rate of a
//! replay of the whole log with no ingest running.

use std::io::Read as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::json;
use tokio::task::JoinSet;
use trail_client::{Client, NewApiKey};

const OPERATOR_TOKEN: &str = "trail_bench_operator_token_0123456789abcdef";
const HEC_TOKEN: &str = "bench-hec-token";

/// What the stream stage measured.
#[derive(Debug, Clone, Serialize)]
pub struct StreamFigures {
    pub events: u64,
    /// Ingest with the stream delivering at the same time.
    pub ingest_per_second: f64,
    /// Events delivered per second from the first acknowledgement to the last receipt.
    pub delivered_per_second: f64,
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
    /// A replay of every event with nothing else running.
    pub replay_per_second: f64,
}

#[derive(Default)]
struct Received {
    /// Receipt time per seq (the first copy).
    at: Vec<Option<Instant>>,
    count: u64,
}

#[derive(serde::Deserialize)]
struct Envelope {
    fields: Fields,
}

#[derive(serde::Deserialize)]
struct Fields {
    trail_seq: u64,
}

async fn receiver(received: Arc<Mutex<Received>>) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/services/collector/event",
        axum::routing::post(move |body: axum::body::Bytes| {
            let received = received.clone();
            async move {
                let now = Instant::now();
                let mut raw = Vec::with_capacity(body.len() * 5);
                if flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut raw)
                    .is_err()
                {
                    return axum::Json(json!({"text": "Invalid data format", "code": 6}));
                }
                let seqs: Vec<u64> = serde_json::Deserializer::from_slice(&raw)
                    .into_iter::<Envelope>()
                    .filter_map(Result::ok)
                    .map(|e| e.fields.trail_seq)
                    .collect();
                let mut received = received.lock().expect("receiver lock");
                for seq in seqs {
                    let slot = seq as usize;
                    if received.at.len() <= slot {
                        received.at.resize(slot + 1, None);
                    }
                    received.at[slot].get_or_insert(now);
                    received.count += 1;
                }
                axum::Json(json!({"text": "Success", "code": 0}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

async fn wait_for(received: &Mutex<Received>, count: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while received.lock().expect("receiver lock").count < count {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the stream did not deliver {count} events in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub async fn measure(
    data_dir: &Path,
    bodies: Vec<Vec<u8>>,
    events: u64,
    connections: usize,
    batch_events: usize,
) -> anyhow::Result<StreamFigures> {
    let received = Arc::new(Mutex::new(Received::default()));
    let hec_url = receiver(received.clone()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut settings = trail_server::Settings::for_tests(data_dir, OPERATOR_TOKEN);
    settings.streams = trail_server::streams::StreamSettings {
        allow_private_destinations: true,
        batch_events,
        ..trail_server::streams::StreamSettings::default()
    };
    let server = trail_server::spawn(settings, listener)
        .await
        .context("cannot start the server")?;
    let operator = Client::new(&server.url(), server.admin_token.clone())?;
    let org = operator.create_organization("Bench Inc").await?;
    let operator = operator.with_organization(Some(org.id.clone()));
    let stream = operator
        .create_stream(
            &json!({"name": "HEC", "kind": "splunk_hec", "url": hec_url, "token": HEC_TOKEN}),
        )
        .await
        .context("cannot create the bench stream")?;
    let key = operator
        .create_api_key(&NewApiKey {
            organization_id: Some(org.id.clone()),
            name: "bench writer".into(),
            scopes: vec!["events:write".into()],
            expires_at: None,
        })
        .await?;
    let writer = Client::new(&server.url(), key.secret)?;

    let lanes = super::http::lanes(bodies, connections);
    let started = Instant::now();
    let mut running = JoinSet::new();
    for lane in lanes {
        let writer = writer.clone();
        running.spawn(async move {
            let mut acked: Vec<(u64, Instant)> = Vec::new();
            for body in lane {
                let appended = writer.ingest(body, "application/json").await?;
                let now = Instant::now();
                acked.extend(appended.iter().map(|a| (a.seq, now)));
            }
            anyhow::Ok(acked)
        });
    }
    let mut acked_at: Vec<Option<Instant>> = vec![None; events as usize];
    while let Some(done) = running.join_next().await {
        for (seq, at) in done.context("a connection task panicked")?? {
            if let Some(slot) = acked_at.get_mut(seq as usize) {
                *slot = Some(at);
            }
        }
    }
    let ingest_elapsed = started.elapsed();
    wait_for(&received, events).await?;
    let (lags, last) = {
        let received = received.lock().expect("receiver lock");
        let mut lags = Vec::with_capacity(events as usize);
        let mut last = started;
        for (seq, acked) in acked_at.iter().enumerate() {
            let (Some(acked), Some(Some(got))) = (acked, received.at.get(seq)) else {
                anyhow::bail!("event {seq} was not acknowledged or not received");
            };
            last = last.max(*got);
            lags.push(got.saturating_duration_since(*acked).as_secs_f64() * 1000.0);
        }
        (lags, last)
    };
    let mut sorted = lags;
    sorted.sort_by(f64::total_cmp);
    let delivered_seconds = last.duration_since(started).as_secs_f64();

    let replay_started = Instant::now();
    operator
        .replay_stream(&stream.id, &json!({"from_seq": 0}))
        .await
        .context("cannot replay the bench stream")?;
    wait_for(&received, events * 2).await?;
    let replay_seconds = replay_started.elapsed().as_secs_f64();
    server
        .stop()
        .await
        .context("the server did not stop cleanly")?;
    Ok(StreamFigures {
        events,
        ingest_per_second: events as f64 / ingest_elapsed.as_secs_f64().max(1e-9),
        delivered_per_second: events as f64 / delivered_seconds.max(1e-9),
        lag_p50_ms: percentile(&sorted, 0.50),
        lag_p99_ms: percentile(&sorted, 0.99),
        lag_max_ms: sorted.last().copied().unwrap_or(0.0),
        replay_per_second: events as f64 / replay_seconds.max(1e-9),
    })
}
