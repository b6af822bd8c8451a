//! `trail torture`: the kill loop. Runs real `trail serve` processes, drives them with concurrent
//! ingest clients (half send client-chosen ids and retry until acknowledged, half send none and
//! never retry), SIGKILLs the server at random moments (and, on PostgreSQL, restarts the database
//! too), restarts it, and at the end proves that every acknowledged event is present exactly
//! once, that no event is duplicated, that `seq` has no gap, and that `trail verify` is clean.

mod clients;
mod server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use rand::{Rng, SeedableRng};

use clients::Ledger;
use server::Server;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// SIGKILLs of the server.
    #[arg(long, default_value_t = 50)]
    pub kills: usize,
    /// Concurrent ingest clients (even ones send ids and retry; odd ones do not).
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Longest run between two kills, in milliseconds (each run lasts a random part of it).
    #[arg(long, default_value_t = 1500)]
    pub max_run_ms: u64,
    /// Run on PostgreSQL: a fresh database is created on this server (`postgres://…/any`).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// A shell command that restarts PostgreSQL, run every `--postgres-restart-every` kills
    /// (e.g. `pg_ctlcluster --skip-systemctl-redirect 17 main restart`).
    #[arg(long, value_name = "COMMAND", requires = "database_url")]
    pub postgres_restart: Option<String>,
    /// How many kills between two PostgreSQL restarts.
    #[arg(long, default_value_t = 10)]
    pub postgres_restart_every: usize,
    /// Seed of the random moments (printed, so a run can be repeated).
    #[arg(long)]
    pub seed: Option<u64>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let seed = args.seed.unwrap_or_else(rand::random);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::Builder::new()
        .prefix("trail-torture-")
        .tempdir()?;
    let database_url = match &args.database_url {
        Some(url) => Some(server::fresh_database(url).await?),
        None => None,
    };
    println!(
        "torture: {} kills, {} clients, {}, seed {seed}, data in {}",
        args.kills,
        args.clients,
        if database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        dir.path().display()
    );
    let started = Instant::now();
    let mut server = Server::start(dir.path(), database_url.clone()).await?;
    let (org, key) = server.tenant().await?;
    let ledger = Arc::new(Ledger::default());
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..args.clients)
        .map(|c| {
            let client = clients::Client::new(c, server.url(), &key, c % 2 == 0, ledger.clone());
            let stop = stop.clone();
            tokio::spawn(async move { client.run(stop).await })
        })
        .collect();
    let mut pg_restarts = 0;
    for kill in 0..args.kills {
        let run = rng.random_range(50..=args.max_run_ms.max(51));
        tokio::time::sleep(Duration::from_millis(run)).await;
        server.kill()?;
        if let Some(command) = &args.postgres_restart
            && (kill + 1) % args.postgres_restart_every.max(1) == 0
        {
            restart_postgres(command)?;
            pg_restarts += 1;
        }
        server.restart().await?;
        if (kill + 1) % 10 == 0 || kill + 1 == args.kills {
            println!(
                "torture: kill {}/{}, acknowledged {}",
                kill + 1,
                args.kills,
                ledger.acknowledged()
            );
        }
    }
    // Let the retrying clients finish what they started against a live server.
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.context("a client task panicked")??;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    // One more kill with nothing in flight, then the checks on a recovered server.
    server.kill()?;
    server.restart().await?;
    let found = server.all_markers(&org, &key).await?;
    // The index must agree with the log: every stored write is found by its action, none twice.
    let indexed = server.count(&key, "action:torture.write").await?;
    server.stop()?;
    let written = found
        .iter()
        .filter(|(_, marker)| !marker.is_empty())
        .count() as u64;
    ensure!(
        indexed == written,
        "the index finds {indexed} torture writes, the log holds {written}"
    );
    let report = ledger.check(&found);
    let verified = server.verify(database_url.as_deref())?;
    println!(
        "torture: {} kills, {pg_restarts} PostgreSQL restarts, {:.0} s of load",
        args.kills, load_seconds
    );
    println!(
        "torture: acknowledged {}, in doubt {}, stored {}, lost {}, duplicated {}, seq {}..{} with {} gaps, verify {}",
        report.acknowledged,
        report.in_doubt,
        report.stored,
        report.lost,
        report.duplicated,
        report.first_seq,
        report.last_seq,
        report.gaps,
        if verified { "clean" } else { "FAILED" }
    );
    ensure!(
        report.acknowledged > 0,
        "no event was acknowledged: the load never ran"
    );
    if report.lost > 0
        || report.duplicated > 0
        || report.gaps > 0
        || report.unknown > 0
        || !verified
    {
        bail!(
            "torture failed (seed {seed}): {} lost, {} duplicated, {} seq gaps, {} unknown events, verify {}; data kept in {}",
            report.lost,
            report.duplicated,
            report.gaps,
            report.unknown,
            if verified { "clean" } else { "failed" },
            dir.keep().display()
        );
    }
    if let Some(url) = &database_url {
        server::drop_database(url).await;
    }
    println!("torture: passed");
    Ok(())
}

fn restart_postgres(command: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("sh")
        .args(["-c", command])
        .status()
        .with_context(|| format!("running `{command}`"))?;
    ensure!(status.success(), "`{command}` failed: {status}");
    Ok(())
}
