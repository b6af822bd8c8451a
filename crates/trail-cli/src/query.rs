//! `trail query`: search events with the query language and print them as a table, JSON or NDJSON,
//! or just count them.

use std::io::{self, Write};

use anyhow::Context as _;
use serde_json::Value;
use trail_client::{Order, SearchParams, Sort};
use trail_core::Millis;

use crate::client_args::{ClientArgs, OrgArgs};
use crate::table::{Table, terminal_width};

/// The server's largest page.
const MAX_PAGE: u32 = 1000;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    trail query 'actor:alice action:member.*' --from 30d\n  \
    trail query --count 'outcome:failure' --from 2026-11-01\n  \
    trail query --all --order asc --format ndjson > events.ndjson\n  \
    trail query --limit 20 -- -source:api   (options first; a query starting with `-` after `--`)")]
pub struct Args {
    /// The query, e.g. `actor:alice action:member.* -source:api "role changed"`; several words are
    /// joined with spaces. Empty matches every event.
    query: Vec<String>,
    /// Earliest time: RFC 3339, a date (2026-11-01), `now`, or a time ago (30d, 12h, 15m, 2w).
    #[arg(long)]
    from: Option<String>,
    /// Latest time, in the same forms as --from.
    #[arg(long)]
    to: Option<String>,
    /// Print at most this many events.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    limit: u64,
    /// Print every matching event, following the pages to the end (instead of --limit).
    #[arg(long, conflicts_with = "limit")]
    all: bool,
    /// Newest first (desc) or oldest first (asc).
    #[arg(long, value_enum, default_value = "desc")]
    order: OrderArg,
    /// Order by when events happened, or by their position in the log.
    #[arg(long, value_enum, default_value = "occurred_at")]
    sort: SortArg,
    /// Output: a table fitted to the terminal, one JSON array, or one JSON event per line.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Print only how many events match.
    #[arg(long, conflicts_with_all = ["all", "format"])]
    count: bool,
    #[command(flatten)]
    org: OrgArgs,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum OrderArg {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SortArg {
    #[value(name = "occurred_at", alias = "occurred-at")]
    OccurredAt,
    Seq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Ndjson,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = args.client.client(Some(&args.org))?;
    let now = Millis::now();
    let query = args.query.join(" ");
    let mut params = SearchParams {
        q: (!query.trim().is_empty()).then_some(query),
        from: args.from.as_deref().map(|s| absolute_time(s, now)),
        to: args.to.as_deref().map(|s| absolute_time(s, now)),
        order: Some(match args.order {
            OrderArg::Asc => Order::Asc,
            OrderArg::Desc => Order::Desc,
        }),
        sort: Some(match args.sort {
            SortArg::OccurredAt => Sort::OccurredAt,
            SortArg::Seq => Sort::Seq,
        }),
        ..SearchParams::default()
    };
    if args.count {
        let count = client.count(&params).await.context("cannot count events")?;
        println!("{count}");
        return Ok(());
    }
    let wanted = (!args.all).then_some(args.limit);
    let mut output = Output::new(args.format);
    let mut printed: u64 = 0;
    let more = loop {
        let page_size = wanted.map_or(u64::from(MAX_PAGE), |w| {
            (w - printed).min(u64::from(MAX_PAGE))
        });
        params.limit = Some(u32::try_from(page_size).unwrap_or(MAX_PAGE));
        let page = client
            .search(&params)
            .await
            .context("cannot search events")?;
        for event in &page.events {
            if !output.event(event)? {
                return Ok(()); // stdout was closed (`| head`): nothing more to do.
            }
        }
        printed += page.events.len() as u64;
        match page.next_cursor {
            Some(cursor) if !page.events.is_empty() => {
                if wanted.is_some_and(|w| printed >= w) {
                    break true;
                }
                params.cursor = Some(cursor);
            }
            _ => break false,
        }
    };
    output.finish()?;
    if more && args.format == Format::Table {
        eprintln!("More events match: raise --limit, or pass --all (or --count to count them).");
    }
    Ok(())
}

/// Relative bounds (`30d`) become absolute once, so every page of one query sees the same window.
/// Anything unparseable goes to the server as typed, to be explained there.
fn absolute_time(value: &str, now: Millis) -> String {
    trail_core::time::parse_time_bound(value, now)
        .map_or_else(|| value.to_owned(), Millis::to_rfc3339)
}

/// Prints events as they arrive; tables are printed at the end, when column widths are known.
struct Output {
    format: Format,
    table: Table,
    stdout: io::BufWriter<io::Stdout>,
    first: bool,
}

impl Output {
    fn new(format: Format) -> Output {
        Output {
            format,
            table: Table::new(vec![
                "Date", "Actor", "Action", "Area", "Resource", "Source", "Location",
            ])
            .keep_whole(0),
            stdout: io::BufWriter::new(io::stdout()),
            first: true,
        }
    }

    /// Writes or collects one event; `false` when stdout is gone.
    fn event(&mut self, event: &Value) -> anyhow::Result<bool> {
        let written = match self.format {
            Format::Table => {
                self.table.push(row(event));
                Ok(())
            }
            Format::Json => {
                let sep = if self.first { "[\n" } else { ",\n" };
                write!(self.stdout, "{sep}{event}")
            }
            Format::Ndjson => writeln!(self.stdout, "{event}"),
        };
        self.first = false;
        still_open(written)
    }

    fn finish(mut self) -> anyhow::Result<()> {
        let written = match self.format {
            Format::Table if self.first => {
                eprintln!("No events match.");
                Ok(())
            }
            Format::Table => self
                .stdout
                .write_all(self.table.render(terminal_width()).as_bytes()),
            Format::Json if self.first => writeln!(self.stdout, "[]"),
            Format::Json => writeln!(self.stdout, "\n]"),
            Format::Ndjson => Ok(()),
        }
        .and_then(|()| self.stdout.flush());
        still_open(written).map(|_| ())
    }
}

/// A closed stdout (the reader went away) ends output quietly; other write errors are failures.
fn still_open(result: io::Result<()>) -> anyhow::Result<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(err) => Err(err).context("cannot write to stdout"),
    }
}

/// Date, Actor (with role), Action, Area, Resource, Source, Location of one event.
fn row(event: &Value) -> Vec<String> {
    let text = |v: &Value, path: &[&str]| -> Option<String> {
        let mut v = v;
        for key in path {
            v = v.get(key)?;
        }
        v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
    };
    let actor = event.get("actor").unwrap_or(&Value::Null);
    let actor_label = text(actor, &["name"])
        .or_else(|| text(actor, &["email"]))
        .or_else(|| text(actor, &["id"]))
        .unwrap_or_default();
    let actor_label = match text(actor, &["role"]) {
        Some(role) => format!("{actor_label} ({role})"),
        None => actor_label,
    };
    let resource = event.get("resource").unwrap_or(&Value::Null);
    let resource_label = text(resource, &["name"])
        .or_else(|| text(resource, &["id"]))
        .or_else(|| text(resource, &["type"]))
        .unwrap_or_default();
    vec![
        text(event, &["occurred_at"]).unwrap_or_default(),
        actor_label,
        text(event, &["action"]).unwrap_or_default(),
        text(event, &["area"]).unwrap_or_default(),
        resource_label,
        text(event, &["source"]).unwrap_or_default(),
        text(event, &["context", "location", "country"]).unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_show_names_with_roles_and_fall_back_to_ids() {
        let full = json!({
            "occurred_at": "2026-11-21T10:00:00.000Z", "action": "member.role_changed", "area": "members",
            "actor": {"id": "usr_42", "type": "user", "name": "Alice Kim", "role": "Admin"},
            "resource": {"type": "member", "id": "usr_77", "name": "Bob Ray"},
            "source": "web_ui", "context": {"location": {"country": "DE"}}
        });
        assert_eq!(
            row(&full),
            [
                "2026-11-21T10:00:00.000Z",
                "Alice Kim (Admin)",
                "member.role_changed",
                "members",
                "Bob Ray",
                "web_ui",
                "DE"
            ]
        );
        let bare = json!({"action": "scan.started", "actor": {"id": "svc_1"}, "resource": {"type": "scan"}});
        assert_eq!(row(&bare)[1], "svc_1");
        assert_eq!(row(&bare)[4], "scan");
        assert_eq!(row(&bare)[6], "");
    }

    #[test]
    fn relative_bounds_become_absolute_and_the_rest_passes_through() {
        let now = Millis::parse_rfc3339("2026-11-21T00:00:00Z").unwrap();
        assert_eq!(absolute_time("1d", now), "2026-11-20T00:00:00.000Z");
        assert_eq!(absolute_time("last tuesday", now), "last tuesday");
    }
}
