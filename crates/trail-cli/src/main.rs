//! `trail`: runs the server and talks to one from the shell.

mod backup;
mod bench;
mod client_args;
mod demo;
mod event_types;
mod export;
mod ingest;
mod keys;
mod load;
mod members;
mod orgs;
mod query;
mod reindex;
mod restore;
mod streams;
mod table;
mod torture;
mod verify;

use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: after a burst of large ingest batches glibc kept ~350 MiB
/// of freed arenas for good; mimalloc returns freed pages to the system (docs/reliability.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "trail",
    version,
    about = "Trail: a self-hostable, verifiable audit log",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (API, web UI, background jobs).
    Serve(Box<trail_server::ServeArgs>),
    /// Manage organizations (operator credential).
    #[command(subcommand)]
    Orgs(orgs::Command),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::Command),
    /// Manage an organization's members and their roles.
    #[command(subcommand)]
    Members(members::Command),
    /// List roles and their permissions.
    #[command(subcommand)]
    Roles(members::RolesCommand),
    /// The organization's catalogue of actions: list, show, put, delete, import, export.
    #[command(subcommand)]
    EventTypes(event_types::Command),
    /// Send events from a file or stdin (NDJSON or a JSON array).
    Ingest(ingest::Args),
    /// Search events with the query language.
    Query(query::Args),
    /// SIEM streams: list with health, create, show, update, delete, pause, resume, replay, test.
    #[command(subcommand)]
    Streams(streams::Command),
    /// Export jobs: create, list, status, download (resumable), delete.
    #[command(subcommand)]
    Export(export::Command),
    /// Fill an organization with a realistic history.
    Demo(demo::Args),
    /// Measure ingest, search, count and on-disk size against a naive baseline.
    Bench(bench::Args),
    /// Verify a data directory offline: signatures, every event's hash, the chain and the Merkle
    /// root (exit 0 valid, 1 invalid, 2 usage).
    Verify(verify::Args),
    /// Back up the embedded store online (the server may keep running): one consistent
    /// snapshot, the checkpoints it holds, SHA-256 of every member.
    Backup(backup::Args),
    /// Restore a backup into a new data directory, checking its hashes and verifying the store
    /// before putting it in place (exit 0 restored, 1 corrupt or not verified, 2 usage).
    Restore(restore::Args),
    /// Rebuild the embedded store's bitmap index from its block log (the server may keep
    /// running).
    Reindex(reindex::Args),
    /// Kill loop: SIGKILL a real server under concurrent ingest, restart it, and prove that
    /// every acknowledged event is stored exactly once, with no seq gap, and verifies.
    Torture(torture::Args),
    /// Drive a running server with ingest load (overload or a fixed-rate soak) and print
    /// latency, answers by status and the server's memory.
    Load(load::Args),
}

/// Exit codes: 0 success, 1 the operation failed, 2 usage (clap's own).
fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => trail_server::serve(*args).await,
            Command::Orgs(cmd) => orgs::run(cmd).await,
            Command::Keys(cmd) => keys::run(cmd).await,
            Command::Members(cmd) => members::run(cmd).await,
            Command::Roles(cmd) => members::run_roles(cmd).await,
            Command::EventTypes(cmd) => event_types::run(cmd).await,
            Command::Ingest(args) => ingest::run(args).await,
            Command::Query(args) => query::run(args).await,
            Command::Export(cmd) => export::run(cmd).await,
            Command::Streams(cmd) => streams::run(cmd).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Verify(args) => verify::run(args).await,
            Command::Backup(args) => backup::run(args).await,
            Command::Restore(args) => restore::run(args).await,
            Command::Reindex(args) => reindex::run(args).await,
            Command::Torture(args) => torture::run(args).await,
            Command::Load(args) => load::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
