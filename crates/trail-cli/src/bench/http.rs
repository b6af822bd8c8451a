//! Durable ingest through the HTTP batch API: a real server started in-process on a private data
//! directory, an organization and an `events:write` key, and pre-serialised 1,000-event JSON-array
//! bodies posted over several concurrent HTTP/1.1 connections.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use tokio::task::JoinSet;
use trail_client::{Client, NewApiKey};

use super::report::Rate;

/// The operator credential of the benchmark's private server.
const OPERATOR_TOKEN: &str = "trail_bench_operator_token_0123456789abcdef";

/// Starts a server in `data_dir`, posts every body from `connections` tasks, and stops the server
/// (after the last answer, every event is durable: the API acknowledges only durable writes).
pub async fn ingest(
    data_dir: &Path,
    bodies: Vec<Vec<u8>>,
    events: u64,
    connections: usize,
) -> anyhow::Result<Rate> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind 127.0.0.1:0")?;
    let settings = trail_server::Settings::for_tests(data_dir, OPERATOR_TOKEN);
    let server = trail_server::spawn(settings, listener)
        .await
        .context("cannot start the server")?;
    let operator = Client::new(&server.url(), server.admin_token.clone())?;
    let org = operator
        .create_organization("Bench Inc")
        .await
        .context("cannot create the bench organization")?;
    let key = operator
        .create_api_key(&NewApiKey {
            organization_id: Some(org.id.clone()),
            name: "bench writer".into(),
            scopes: vec!["events:write".into()],
            expires_at: None,
        })
        .await
        .context("cannot create the bench key")?;
    let writer = Client::new(&server.url(), key.secret)?;

    let lanes = lanes(bodies, connections);
    let started = Instant::now();
    let mut running = JoinSet::new();
    for lane in lanes {
        let writer = writer.clone();
        running.spawn(async move {
            let mut acknowledged = 0u64;
            for body in lane {
                acknowledged += writer.ingest(body, "application/json").await?.len() as u64;
            }
            anyhow::Ok(acknowledged)
        });
    }
    let mut acknowledged = 0;
    while let Some(done) = running.join_next().await {
        acknowledged += done.context("a connection task panicked")??;
    }
    let rate = Rate::new(acknowledged, started.elapsed());
    anyhow::ensure!(
        acknowledged == events,
        "the server acknowledged {acknowledged} of {events} events"
    );
    server
        .stop()
        .await
        .context("the server did not stop cleanly")?;
    Ok(rate)
}

/// Deals request bodies round-robin to `connections` lanes (at least one), one per connection.
pub fn lanes(bodies: Vec<Vec<u8>>, connections: usize) -> Vec<Vec<Vec<u8>>> {
    let connections = connections.max(1);
    let mut lanes: Vec<Vec<Vec<u8>>> = (0..connections).map(|_| Vec::new()).collect();
    for (i, body) in bodies.into_iter().enumerate() {
        lanes[i % connections].push(body);
    }
    lanes
}
