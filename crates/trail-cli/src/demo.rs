//! `trail demo`: fills an organization with a realistic, deterministic history drawn from the seed
//! products (Invicti scans and targets, Invent assistants and workspace, Squadcast incident tooling),
//! then mints a read key and prints ready-to-paste commands. `generate` is also the benchmark's source.

mod actions;
mod catalog;
mod episodes;
mod generator;
mod machines;
mod people;
#[cfg(test)]
mod tests;

use std::io::IsTerminal as _;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use trail_client::{Client, NewApiKey};
use trail_core::Millis;

use crate::client_args::ClientArgs;

/// Events per request: the per-request maximum of docs/api.md "POST /v1/events".
const BATCH: usize = 1000;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Fill this existing organization instead of creating one.
    #[arg(long)]
    pub org: Option<String>,
    /// Name of the organization to create when --org is not given.
    #[arg(long, default_value = "Demo Inc", conflicts_with = "org")]
    pub org_name: String,
    /// How many events to send.
    #[arg(long, default_value_t = 50_000)]
    pub events: usize,
    /// How many days of history, ending now.
    #[arg(long, default_value_t = 120)]
    pub days: u32,
    /// Seed of the generator: the same seed gives the same events and ids, so a rerun is idempotent.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// When the history ends (RFC 3339, a date, or relative like `2d`) [default: today 00:00 UTC].
    /// Reruns with the same --seed and --until send the same events, so they are idempotent.
    #[arg(long)]
    pub until: Option<String>,
}

/// `count` realistic events in the wire shape of docs/api.md, oldest first, spread over the `days` days
/// before `now` (never after it). The same arguments always give the same events; each carries the
/// id `evt_demo_<seed>_<index>`.
pub fn generate(seed: u64, count: usize, days: u32, now: Millis) -> impl Iterator<Item = Value> {
    generator::Generator::new(seed, count, days, now)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let operator = args.client.client(None)?;
    let org = match &args.org {
        Some(org) => org.clone(),
        None => {
            let created = operator
                .create_organization(&args.org_name)
                .await
                .context("cannot create the demo organization")?;
            eprintln!("Created organization {} ({})", created.name, created.id);
            created.id
        }
    };
    let client = operator.with_organization(Some(org.clone()));
    let catalogue = starter_catalogue();
    client
        .import_event_types(&catalogue, false)
        .await
        .context("cannot install the starter event-type catalogue")?;
    eprintln!(
        "Installed the starter catalogue: {} event types",
        catalogue.event_types.len()
    );
    let until = history_end(args.until.as_deref())?;
    let progress = progress_bar(args.events);
    let mut events = generate(args.seed, args.events, args.days, until).peekable();
    let mut sent = 0usize;
    while events.peek().is_some() {
        let batch: Vec<Value> = events.by_ref().take(BATCH).collect();
        send(&client, &batch)
            .await
            .with_context(|| format!("cannot send events {}..{}", sent, sent + batch.len()))?;
        sent += batch.len();
        progress.set_position(sent as u64);
    }
    progress.finish_and_clear();
    let key = client
        .create_api_key(&NewApiKey {
            organization_id: Some(org.clone()),
            name: "demo reader".into(),
            scopes: vec!["events:read".into()],
            expires_at: None,
        })
        .await
        .context("cannot create the demo read key")?;
    print_summary(&args, &org, sent, until, &key.secret);
    Ok(())
}

/// The event types of every action the demo sends, from the five seed pages' families
/// (`demo/starter_catalogue.json`, also the example of docs/event-types.md).
pub fn starter_catalogue() -> trail_client::CatalogueFile {
    serde_json::from_str(include_str!("demo/starter_catalogue.json"))
        .expect("the starter catalogue is valid JSON")
}

/// The end of the generated history: `--until`, or the last midnight (UTC) so that reruns on the
/// same day send identical events.
fn history_end(until: Option<&str>) -> anyhow::Result<Millis> {
    let now = Millis::now();
    match until {
        Some(text) => {
            let end = trail_core::time::time_bound("--until", text, now)?;
            anyhow::ensure!(end <= now, "--until {text} is in the future");
            Ok(end)
        }
        None => Ok(Millis(now.0 - now.0.rem_euclid(generator::DAY_MS))),
    }
}

/// Sends one batch, retrying while the server asks to (429/503 with Retry-After) or the connection drops.
async fn send(client: &Client, batch: &[Value]) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        match client.ingest_events(batch).await {
            Ok(_) => return Ok(()),
            Err(err) if err.is_retryable() && attempt < 8 => {
                attempt += 1;
                let wait = err
                    .retry_after()
                    .unwrap_or(Duration::from_millis(200 << attempt));
                tokio::time::sleep(wait).await;
            }
            Err(err) if err.status() == Some(409) => {
                return Err(anyhow::Error::new(err).context(
                    "these demo ids already hold other events: this organization was filled \
                     with another --seed, --days or --until before",
                ));
            }
            Err(err) => return Err(err.into()),
        }
    }
}

fn progress_bar(total: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template(
        "{spinner} sending events {bar:40} {human_pos}/{human_len} ({per_sec}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn print_summary(args: &Args, org: &str, sent: usize, until: Millis, secret: &str) {
    let url = args.client.url.trim_end_matches('/');
    println!("Organization: {org}");
    println!(
        "Events:       {sent} over the {} days before {} (seed {}; same --seed and --until rerun idempotently)",
        args.days,
        until.to_rfc3339(),
        args.seed
    );
    println!("Read key:     {secret}  (events:read, shown once)");
    println!();
    println!("Try:");
    println!("  trail query --url {url} --token {secret} 'action:member.role_changed'");
    println!(
        "  trail query --url {url} --token {secret} 'actor:alice.kim@demo-inc.com source:web_ui'"
    );
    println!("  trail query --url {url} --token {secret} 'action:user.login_failed country:TR,BR'");
    println!(
        "  curl -s -H 'Authorization: Bearer {secret}' '{url}/v1/events?q=action:scan.*&from=30d&limit=5'"
    );
    println!(
        "  curl -s -H 'Authorization: Bearer {secret}' '{url}/v1/events/count?q=outcome:failure'"
    );
}
