//! `trail streams`: an organization's SIEM destinations — list with health, create, show,
//! change, delete, pause, resume, replay and test. A token or webhook secret is read from stdin
//! (`--secret-stdin`), never from the command line, where other users of the machine could see it.

use std::io::BufRead as _;

use anyhow::Context as _;
use serde_json::{Map, Value, json};
use trail_client::Stream;

use crate::client_args::{ClientArgs, OrgArgs};
use crate::table::{Table, print_list};

/// The settings of a stream given as flags (create and change).
#[derive(Debug, Default, clap::Args)]
pub struct Settings {
    /// The stream's name.
    #[arg(long)]
    name: Option<String>,
    /// Where to deliver (the API's `url`): HEC `https://host:8088`, webhook `https://…`, syslog
    /// `tcp://host:514` or `tls://host:6514`, object storage `s3://bucket/prefix`.
    #[arg(long, value_name = "URL")]
    destination: Option<String>,
    /// trail, ocsf, ecs, or cef (syslog).
    #[arg(long)]
    format: Option<String>,
    /// A query selecting the events delivered (empty: every event).
    #[arg(long)]
    filter: Option<String>,
    /// Read the HEC token (splunk_hec), the `whsec_` secret (webhook) or the secret access key
    /// (object_store) from stdin.
    #[arg(long)]
    secret_stdin: bool,
    /// Any other field of the API's body, as KEY=VALUE (values that parse as JSON are sent as
    /// JSON): `index=audit`, `ack=true`, `facility=10`, `app_name=trail`, `region=eu-west-1`,
    /// `access_key_id=AKIA…`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the organization's streams with their state, lag and last error.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Create a stream (a webhook without a secret gets one, printed once).
    Create {
        /// splunk_hec, webhook, syslog or object_store.
        kind: String,
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// One stream with its health, as JSON.
    Show {
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Change a stream (flags not given stay as they are).
    Update {
        id: String,
        #[command(flatten)]
        settings: Settings,
        /// Webhook: generate a new secret (printed once); the old one signs for 24 hours more.
        #[arg(long)]
        rotate_secret: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a stream.
    Delete {
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Pause a stream.
    Pause {
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Resume a paused stream, or retry one in error at once.
    Resume {
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Deliver again from a seq or a time.
    Replay {
        id: String,
        /// The first seq to deliver again.
        #[arg(long, conflicts_with = "from", required_unless_present = "from")]
        from_seq: Option<u64>,
        /// The time to deliver again from: RFC 3339, a date, or relative (`24h`).
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Send a marked test event now and say what the destination answered.
    Test {
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

impl Settings {
    /// The API body these flags describe, for a stream of `kind`.
    fn body(self, kind: Option<&str>) -> anyhow::Result<Map<String, Value>> {
        let mut body = Map::new();
        for (key, value) in [
            ("name", self.name),
            ("url", self.destination),
            ("format", self.format),
            ("filter", self.filter),
        ] {
            if let Some(value) = value {
                body.insert(key.into(), json!(value));
            }
        }
        for pair in self.set {
            let (key, value) = pair
                .split_once('=')
                .with_context(|| format!("--set {pair}: expected KEY=VALUE"))?;
            let value = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
            body.insert(key.to_owned(), value);
        }
        if self.secret_stdin {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the secret from stdin")?;
            let field = match kind {
                Some("webhook") => "secret",
                Some("object_store") => "secret_access_key",
                _ => "token",
            };
            body.insert(field.into(), json!(line.trim()));
        }
        Ok(body)
    }
}

fn table(streams: &[Stream]) -> Table {
    let mut table = Table::new(vec![
        "ID",
        "Name",
        "Kind",
        "Format",
        "State",
        "Lag",
        "Delivered",
        "Last error",
    ])
    .keep_whole(0);
    for s in streams {
        let error = s
            .health
            .last_error
            .as_ref()
            .and_then(|e| e["message"].as_str())
            .unwrap_or_default();
        table.push(vec![
            s.id.clone(),
            s.name.clone(),
            s.kind.clone(),
            s.format.clone(),
            s.health.state.clone(),
            s.health.lag_events.to_string(),
            s.health.events_delivered.to_string(),
            error.to_owned(),
        ]);
    }
    table
}

fn print(stream: &Stream) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(stream)?);
    if let Some(secret) = &stream.secret {
        eprintln!("The webhook secret is printed once; keep it: {secret}");
    }
    Ok(())
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::List { json, org, client } => {
            let streams = client
                .client(Some(&org))?
                .list_streams()
                .await
                .context("cannot list streams")?;
            print_list(json, &streams, |s| table(s))?;
        }
        Command::Create {
            kind,
            settings,
            org,
            client,
        } => {
            let mut body = settings.body(Some(&kind))?;
            body.insert("kind".into(), json!(kind));
            let stream = client
                .client(Some(&org))?
                .create_stream(&Value::Object(body))
                .await
                .context("cannot create the stream")?;
            print(&stream)?;
        }
        Command::Show { id, org, client } => {
            print(
                &client
                    .client(Some(&org))?
                    .get_stream(&id)
                    .await
                    .with_context(|| format!("cannot read stream {id}"))?,
            )?;
        }
        Command::Update {
            id,
            settings,
            rotate_secret,
            org,
            client,
        } => {
            let client = client.client(Some(&org))?;
            let kind = client
                .get_stream(&id)
                .await
                .with_context(|| format!("cannot read stream {id}"))?
                .kind;
            let mut body = settings.body(Some(&kind))?;
            if rotate_secret {
                body.insert("rotate_secret".into(), json!(true));
            }
            print(
                &client
                    .update_stream(&id, &Value::Object(body))
                    .await
                    .with_context(|| format!("cannot change stream {id}"))?,
            )?;
        }
        Command::Delete { id, org, client } => {
            client
                .client(Some(&org))?
                .delete_stream(&id)
                .await
                .with_context(|| format!("cannot delete stream {id}"))?;
            println!("Deleted {id}.");
        }
        Command::Pause { id, org, client } => {
            let stream = client
                .client(Some(&org))?
                .control_stream(&id, false)
                .await
                .with_context(|| format!("cannot pause stream {id}"))?;
            println!("{} is {}.", stream.id, stream.health.state);
        }
        Command::Resume { id, org, client } => {
            let stream = client
                .client(Some(&org))?
                .control_stream(&id, true)
                .await
                .with_context(|| format!("cannot resume stream {id}"))?;
            println!("{} is {}.", stream.id, stream.health.state);
        }
        Command::Replay {
            id,
            from_seq,
            from,
            org,
            client,
        } => {
            let body = match (from_seq, from) {
                (Some(seq), _) => json!({"from_seq": seq}),
                (None, from) => json!({"from": from}),
            };
            let stream = client
                .client(Some(&org))?
                .replay_stream(&id, &body)
                .await
                .with_context(|| format!("cannot replay stream {id}"))?;
            println!(
                "{} delivers again from seq {} ({}).",
                stream.id, stream.health.cursor, stream.health.state
            );
        }
        Command::Test { id, org, client } => {
            let result = client
                .client(Some(&org))?
                .test_stream(&id)
                .await
                .with_context(|| format!("cannot test stream {id}"))?;
            if result["delivered"] == json!(true) {
                println!(
                    "Delivered the test event {}.",
                    result["event_id"].as_str().unwrap_or_default()
                );
            } else {
                anyhow::bail!(
                    "the destination did not take the test event: {}",
                    result["error"].as_str().unwrap_or("unknown error")
                );
            }
        }
    }
    Ok(())
}
