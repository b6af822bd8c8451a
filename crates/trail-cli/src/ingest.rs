//! `trail ingest`: sends events from a file or stdin in batches, several requests in flight,
//! retrying what can be retried and recording progress so that `--resume` continues without
//! duplicates.

mod send;
mod source;
mod state;

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::client_args::{ClientArgs, OrgArgs};
use send::Sender;
use source::{Batch, Batcher, EventReader};
use state::State;

/// The server's request size limit (DESIGN: 8 MiB per request).
const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Input: NDJSON (one event per line; blank lines are skipped) or one JSON array of events, detected \
from the first character. NDJSON is read line by line in constant memory; an array is read whole.

Batches: events go in requests of --batch-size events (at most 1000) and at most 8 MiB, with \
--concurrency requests in flight. Each request is all-or-nothing. With more than one request in \
flight, batches may be written out of file order; use --concurrency 1 to keep file order in seq.

Retries: HTTP 429, 502, 503, 504 and connection failures are retried with exponential backoff, \
honouring Retry-After, up to --retries times. Any other error stops the ingest: a rejected event \
is reported with the server's message and its line in the input.

Resuming without duplicates: every event without an `id` gets one derived from the ingest's seed, \
its position in the input and its text (`evt_ing_…`), so sending it again is idempotent: the \
server answers the original seq. The seed and the count of acknowledged events are written to a \
state file (FILE.trail-ingest, or --state PATH) after every acknowledged batch. After a failure, \
fix the input in place (keep the events before the failing one as they are) and run the same \
command with --resume: acknowledged events are skipped and the rest are sent. --resume after a \
complete ingest sends only events appended since. Without --resume, a state file that records \
acknowledged events stops the ingest rather than risk sending them twice; delete it to start over.

Examples:
  trail ingest events.ndjson --org org_123
  gzip -dc events.ndjson.gz | trail ingest - --state events.trail-ingest
  trail ingest events.ndjson --resume")]
pub struct Args {
    /// File of events (NDJSON or a JSON array), or `-` for stdin.
    input: PathBuf,
    /// Events per request (1–1000); requests are also kept under 8 MiB.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    batch_size: u16,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Continue an earlier ingest of the same input from its state file, skipping acknowledged events.
    #[arg(long)]
    resume: bool,
    /// State file [default: FILE.trail-ingest; none for stdin unless given].
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Attempts after the first for a request that failed with a retryable error.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    #[command(flatten)]
    org: OrgArgs,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.client.client(Some(&args.org))?;
    let stdin = args.input.as_os_str() == "-";
    let state_path = match (&args.state, stdin) {
        (Some(path), _) => Some(path.clone()),
        (None, false) => Some(state::default_path(&args.input)),
        (None, true) if args.resume => bail!("--resume needs --state PATH when reading stdin"),
        (None, true) => None,
    };
    let mut state = start_state(&args, state_path.as_deref())?;
    let skip = state.acknowledged;
    let (input, size): (Box<dyn BufRead + Send>, Option<u64>) = if stdin {
        (Box::new(BufReader::new(std::io::stdin())), None)
    } else {
        let file = File::open(&args.input)
            .with_context(|| format!("cannot open {}", args.input.display()))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(1 << 20, file)), size)
    };

    let (tx, rx) = mpsc::channel(usize::from(args.concurrency));
    let seed = state.seed.clone();
    let batch_size = usize::from(args.batch_size);
    let reader = tokio::task::spawn_blocking(move || {
        if let Err(err) = read_batches(input, &seed, skip, batch_size, &tx) {
            let _ = tx.blocking_send(Err(err));
        }
    });

    let progress = progress_bar(size);
    let started = Instant::now();
    let sender = Sender {
        client,
        retries: args.retries,
        concurrency: usize::from(args.concurrency),
        progress: progress.clone(),
        state_path: state_path.clone(),
    };
    let outcome = sender.send_all(rx, &mut state).await;
    reader.await.context("the input reader stopped")?;
    progress.finish_and_clear();
    let sent = state.acknowledged - skip;
    let seconds = started.elapsed().as_secs_f64();

    if let Err(failure) = outcome {
        let saved = match &state_path {
            Some(path) => format!(
                "; fix the input and run the same command with --resume to continue (state in {})",
                path.display()
            ),
            None => String::new(),
        };
        return Err(anyhow!(
            "{failure:#}\n{} events acknowledged in all, {sent} in this run{saved}",
            state.acknowledged
        ));
    }
    state.complete = true;
    if let Some(path) = &state_path {
        state::save(path, &state)?;
    }
    let skipped = if skip > 0 {
        format!(", skipped {skip} acknowledged earlier")
    } else {
        String::new()
    };
    println!(
        "Ingested {sent} event{} in {seconds:.2} s ({:.0} events/s){skipped}.",
        if sent == 1 { "" } else { "s" },
        sent as f64 / seconds.max(1e-9)
    );
    Ok(())
}

/// The state to run with: resumed, or new (and saved before anything is sent, so the seed of every
/// id that reaches the server is on disk).
fn start_state(args: &Args, path: Option<&Path>) -> anyhow::Result<State> {
    let input = args.input.display().to_string();
    let Some(path) = path else {
        return Ok(State::new(input));
    };
    match state::load(path)? {
        // Nothing acknowledged yet: continuing with the same seed is the safe way to start over.
        Some(mut earlier) if args.resume || (earlier.acknowledged == 0 && !earlier.complete) => {
            earlier.complete = false;
            Ok(earlier)
        }
        Some(earlier) if earlier.complete => bail!(
            "{input} was already ingested ({} events, state in {}); run with --resume to send only \
             events added since, or delete the state file to send everything again",
            earlier.acknowledged,
            path.display()
        ),
        Some(earlier) => bail!(
            "an earlier ingest of {input} stopped after {} events; run with --resume to continue \
             it without duplicates, or delete {} to start over",
            earlier.acknowledged,
            path.display()
        ),
        None => {
            if args.resume {
                eprintln!(
                    "No state file {}: starting from the beginning.",
                    path.display()
                );
            }
            let fresh = State::new(input);
            state::save(path, &fresh).context("use --state PATH to keep it elsewhere")?;
            Ok(fresh)
        }
    }
}

/// Reads, skips the first `skip` events, prepares and batches the rest onto `tx`.
fn read_batches(
    input: Box<dyn BufRead + Send>,
    seed: &str,
    skip: u64,
    batch_size: usize,
    tx: &mpsc::Sender<anyhow::Result<Batch>>,
) -> anyhow::Result<()> {
    let mut reader = EventReader::detect(input)?;
    let mut index = 0;
    while index < skip && reader.next_event()?.is_some() {
        index += 1;
    }
    let mut batcher = Batcher::new(batch_size, MAX_REQUEST_BYTES);
    let stopped = loop {
        let raw = match reader.next_event() {
            Ok(Some(raw)) => raw,
            Ok(None) => break None,
            Err(err) => break Some(err),
        };
        let json = match source::prepare(seed, index, &raw) {
            Ok(json) => json,
            Err(err) => break Some(err),
        };
        if let Some(batch) = batcher.push(index, &raw, &json)
            && tx.blocking_send(Ok(batch)).is_err()
        {
            return Ok(()); // The sender stopped; it reports why.
        }
        index += 1;
    };
    // The events before an unreadable one are still sent, so that --resume starts right at it.
    if let Some(batch) = batcher.finish() {
        let _ = tx.blocking_send(Ok(batch));
    }
    stopped.map_or(Ok(()), Err)
}

fn progress_bar(size: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match size {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{spinner} {elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {msg} (eta {eta})",
            )
            .expect("a valid template"),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .expect("a valid template"),
        ),
    }
}
