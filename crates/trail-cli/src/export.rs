//! `trail export`: asynchronous export jobs from the shell: create (optionally waiting and
//! downloading), the Export History, one job's status, a resumable download with a progress bar,
//! and delete.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use trail_client::{Client, Export, NewExport};

use crate::client_args::{ClientArgs, OrgArgs};
use crate::table::{Table, terminal_width};

#[derive(Debug, clap::Subcommand)]
#[command(after_help = "Examples:\n  \
    trail export create --name 'November logins' --format csv --time-frame custom --from 2026-11-01 --to 2026-12-01 'action:user.login' --wait --output logins.csv\n  \
    trail export create --verifiable --time-frame last-90-days --wait --output audit.zip\n  \
    trail export list\n  \
    trail export download exp_01J… --output export.csv   (run it again to resume an interrupted download)")]
pub enum Command {
    /// Create an export job; prints its id and how many events it will hold.
    Create(CreateArgs),
    /// The Export History, newest first.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// One export job: status, progress, error.
    Status {
        id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Download a completed export; resumes a download that was cut (`FILE.part` is kept).
    Download {
        id: String,
        /// Where to write it [default: the export's id with the file's extension].
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete an export job and its file.
    Delete {
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The query, e.g. `actor:alice action:member.*`; empty exports every event in the time frame.
    query: Vec<String>,
    /// Shown in the Export History.
    #[arg(long)]
    name: Option<String>,
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Last 30 days, last 90 days, or custom (with --from/--to) [default: custom when --from or --to is given, else last-30-days].
    #[arg(long, value_enum)]
    time_frame: Option<TimeFrame>,
    /// With a custom time frame: start (RFC 3339, a date, or relative like 30d).
    #[arg(long)]
    from: Option<String>,
    /// With a custom time frame: end [default: now].
    #[arg(long)]
    to: Option<String>,
    /// Compress the file.
    #[arg(long)]
    gzip: bool,
    /// A bundle `trail verify --bundle` checks offline (events as stored, proofs, checkpoint, key).
    #[arg(long)]
    verifiable: bool,
    /// Split into numbered parts of at most this many rows, in one zip.
    #[arg(long, value_name = "N")]
    rows_per_file: Option<u64>,
    /// Wait until the job finishes, showing its progress.
    #[arg(long)]
    wait: bool,
    /// With --wait: download the file here once completed.
    #[arg(long, short, requires = "wait")]
    output: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    org: OrgArgs,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TimeFrame {
    Last30Days,
    Last90Days,
    Custom,
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Create(args) => create(args).await,
        Command::List { json, org, client } => {
            let exports = client
                .client(Some(&org))?
                .list_exports()
                .await
                .context("cannot list exports")?;
            if json {
                let raw: Vec<_> = exports.iter().map(to_json).collect();
                println!("{}", serde_json::to_string_pretty(&raw)?);
            } else {
                print!("{}", table(&exports).render(terminal_width()));
            }
            Ok(())
        }
        Command::Status {
            id,
            json,
            org,
            client,
        } => {
            let export = client.client(Some(&org))?.get_export(&id).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&to_json(&export))?);
            } else {
                print!("{}", table(&[export]).render(terminal_width()));
            }
            Ok(())
        }
        Command::Download {
            id,
            output,
            org,
            client,
        } => {
            let client = client.client(Some(&org))?;
            let export = client.get_export(&id).await?;
            let output = output.unwrap_or_else(|| PathBuf::from(default_file_name(&export)));
            download(&client, &export, &output).await
        }
        Command::Delete { id, org, client } => {
            client.client(Some(&org))?.delete_export(&id).await?;
            println!("Deleted export {id}.");
            Ok(())
        }
    }
}

async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let client = args.client.client(Some(&args.org))?;
    let query = args.query.join(" ");
    let request = NewExport {
        name: args.name.clone(),
        format: Some(
            match args.format {
                Format::Csv => "csv",
                Format::Json => "json",
                Format::Ndjson => "ndjson",
            }
            .to_owned(),
        )
        .filter(|_| !args.verifiable),
        q: (!query.trim().is_empty()).then_some(query),
        time_frame: args.time_frame.map(|t| {
            match t {
                TimeFrame::Last30Days => "last_30_days",
                TimeFrame::Last90Days => "last_90_days",
                TimeFrame::Custom => "custom",
            }
            .to_owned()
        }),
        from: args.from.clone(),
        to: args.to.clone(),
        gzip: args.gzip,
        verifiable: args.verifiable,
        rows_per_file: args.rows_per_file,
        ..Default::default()
    };
    let export = client
        .create_export(&request)
        .await
        .context("cannot create the export")?;
    if args.json && !args.wait {
        println!("{}", serde_json::to_string_pretty(&to_json(&export))?);
        return Ok(());
    }
    eprintln!(
        "Created export {} \"{}\": {} records.",
        export.id, export.name, export.record_count
    );
    if !args.wait {
        println!("{}", export.id);
        return Ok(());
    }
    let finished = wait(&client, &export).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&finished))?);
    }
    match finished.status.as_str() {
        "completed" => {
            if let Some(output) = &args.output {
                download(&client, &finished, output).await?;
            } else if !args.json {
                println!(
                    "Completed: {} events. Download with: trail export download {}",
                    finished.exported_count, finished.id
                );
            }
            Ok(())
        }
        status => anyhow::bail!(
            "the export is {status}: {}",
            finished.error.as_deref().unwrap_or("no reason given")
        ),
    }
}

/// Polls the job until it finishes, with a progress bar on a terminal.
async fn wait(client: &Client, export: &Export) -> anyhow::Result<Export> {
    let bar = bar(
        export.record_count,
        "{spinner} exporting {bar:40} {human_pos}/{human_len} events ({eta} left)",
    );
    loop {
        let now = client.get_export(&export.id).await?;
        bar.set_position(now.exported_count);
        if now.is_finished() {
            bar.finish_and_clear();
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn bar(total: u64, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The file name a download gets by default: the id with the file's extension.
fn default_file_name(export: &Export) -> String {
    let flag = |name: &str| {
        export
            .other
            .get(name)
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let parts = export
        .other
        .get("rows_per_file")
        .is_some_and(|v| !v.is_null());
    let format = export.format.as_deref().unwrap_or("csv");
    if flag("verifiable") || parts {
        format!("{}.zip", export.id)
    } else if flag("gzip") {
        format!("{}.{format}.gz", export.id)
    } else {
        format!("{}.{format}", export.id)
    }
}

/// Downloads into `output.part`, resuming from its size, and renames it once whole.
async fn download(client: &Client, export: &Export, output: &Path) -> anyhow::Result<()> {
    let mut partial = output.as_os_str().to_owned();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    let mut download = client
        .download_export(&export.id, have)
        .await
        .with_context(|| format!("cannot download export {}", export.id))?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(download.offset > 0)
        .write(true)
        .truncate(download.offset == 0)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    if download.offset > 0 {
        eprintln!("Resuming at byte {}.", download.offset);
    }
    let total = download.total.or(export.file_size).unwrap_or(0);
    let bar = bar(
        total,
        "{spinner} downloading {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    );
    bar.set_position(download.offset);
    let mut written = download.offset;
    while let Some(chunk) = download
        .response
        .chunk()
        .await
        .context("the download was cut; run the same command again to resume")?
    {
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
        bar.set_position(written);
    }
    file.sync_all()?;
    bar.finish_and_clear();
    if total > 0 && written != total {
        anyhow::bail!(
            "the download stopped at {written} of {total} bytes; run the same command again to resume"
        );
    }
    std::fs::rename(&partial, output)
        .with_context(|| format!("cannot move the download to {}", output.display()))?;
    eprintln!("Wrote {} ({written} bytes).", output.display());
    Ok(())
}

fn to_json(export: &Export) -> serde_json::Value {
    let mut value = serde_json::Value::Object(export.other.clone());
    let fields = [
        ("id", serde_json::json!(export.id)),
        ("name", serde_json::json!(export.name)),
        ("status", serde_json::json!(export.status)),
        ("record_count", serde_json::json!(export.record_count)),
        ("progress", serde_json::json!(export.progress)),
        ("exported_count", serde_json::json!(export.exported_count)),
        ("error", serde_json::json!(export.error)),
        ("created_by", serde_json::json!(export.created_by)),
        ("created_at", serde_json::json!(export.created_at)),
        ("finished_at", serde_json::json!(export.finished_at)),
        ("expires_at", serde_json::json!(export.expires_at)),
        ("file_size", serde_json::json!(export.file_size)),
        ("format", serde_json::json!(export.format)),
    ];
    if let Some(object) = value.as_object_mut() {
        for (key, field) in fields {
            object.insert(key.to_owned(), field);
        }
    }
    value
}

fn table(exports: &[Export]) -> Table {
    let mut table = Table::new(vec![
        "ID",
        "Name",
        "Status",
        "Records",
        "Progress",
        "Format",
        "Created by",
        "Created",
    ])
    .keep_whole(0);
    for export in exports {
        let status = match &export.error {
            Some(error) => format!("{}: {error}", export.status),
            None => export.status.clone(),
        };
        table.push(vec![
            export.id.clone(),
            export.name.clone(),
            status,
            export.record_count.to_string(),
            format!("{:.0}%", export.progress * 100.0),
            export.format.clone().unwrap_or_default(),
            export.created_by.clone(),
            export.created_at.clone(),
        ]);
    }
    table
}
