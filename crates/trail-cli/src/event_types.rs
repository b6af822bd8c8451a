//! `trail event-types`: an organization's catalogue of actions — list (with the uncatalogued
//! actions of its log), show, put, delete, import and export (docs/event-types.md).

use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::Value;
use trail_client::{CatalogueFile, EventTypeDraft};

use crate::client_args::{ClientArgs, OrgArgs};
use crate::table::{Table, print_list};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the catalogue by area, then the uncatalogued actions of the log.
    List {
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Print one event type as JSON.
    Show {
        action: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Create or replace an event type from flags and/or a JSON file of its fields.
    Put {
        action: String,
        /// A JSON object with any of `area`, `label`, `description`, `metadata_schema`,
        /// `resource_schema`, `targets_schema`, `template`, `enabled`.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// A display template, e.g. "{{ actor.name }} invited {{ resource.name }}".
        #[arg(long)]
        template: Option<String>,
        /// A file holding the JSON Schema for `metadata`.
        #[arg(long)]
        metadata_schema: Option<PathBuf>,
        /// Keep the type but do not validate against it.
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete an event type.
    Delete {
        action: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Write the whole catalogue as one JSON file (stdout when no file is named).
    Export {
        file: Option<PathBuf>,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Import a catalogue file: every type is stored or none is.
    Import {
        file: PathBuf,
        /// Delete the event types the file does not list.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &PathBuf) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid here", path.display()))
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::List { json, org, client } => {
            let listing = client
                .client(Some(&org))?
                .list_event_types()
                .await
                .context("cannot list event types")?;
            print_list(json, &listing, table)?;
        }
        Command::Show {
            action,
            org,
            client,
        } => {
            let found = client
                .client(Some(&org))?
                .get_event_type(&action)
                .await
                .with_context(|| format!("cannot read event type `{action}`"))?;
            println!("{}", serde_json::to_string_pretty(&found)?);
        }
        Command::Put {
            action,
            file,
            label,
            area,
            description,
            template,
            metadata_schema,
            disabled,
            org,
            client,
        } => {
            let mut draft: EventTypeDraft = match &file {
                Some(path) => read_json(path)?,
                None => EventTypeDraft::default(),
            };
            draft.label = label.or(draft.label);
            draft.area = area.or(draft.area);
            draft.description = description.or(draft.description);
            draft.template = template.or(draft.template);
            if let Some(path) = &metadata_schema {
                draft.metadata_schema = Some(read_json::<Value>(path)?);
            }
            if disabled {
                draft.enabled = Some(false);
            }
            let stored = client
                .client(Some(&org))?
                .put_event_type(&action, &draft)
                .await
                .with_context(|| format!("cannot store event type `{action}`"))?;
            println!(
                "Stored {} ({:?}, area {}), schema version {}.",
                stored.action, stored.label, stored.area, stored.version
            );
        }
        Command::Delete {
            action,
            org,
            client,
        } => {
            client
                .client(Some(&org))?
                .delete_event_type(&action)
                .await
                .with_context(|| format!("cannot delete event type `{action}`"))?;
            println!("Deleted event type {action}.");
        }
        Command::Export { file, org, client } => {
            let catalogue = client
                .client(Some(&org))?
                .export_event_types()
                .await
                .context("cannot export the catalogue")?;
            let text = serde_json::to_string_pretty(&catalogue)? + "\n";
            match file {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "Wrote {} event types to {}.",
                        catalogue.event_types.len(),
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
        }
        Command::Import {
            file,
            replace,
            org,
            client,
        } => {
            let catalogue: CatalogueFile = read_json(&file)?;
            let answer = client
                .client(Some(&org))?
                .import_event_types(&catalogue, replace)
                .await
                .with_context(|| format!("cannot import {}", file.display()))?;
            println!("Imported {} event types.", answer["imported"]);
        }
    }
    Ok(())
}

fn table(listing: &Value) -> Table {
    let mut table = Table::new(vec!["Area", "Action", "Label", "Version", "Seen"]).keep_whole(1);
    let empty = Vec::new();
    for area in listing["areas"].as_array().unwrap_or(&empty) {
        for t in area["event_types"].as_array().unwrap_or(&empty) {
            table.push(vec![
                area["label"].as_str().unwrap_or_default().to_owned(),
                t["action"].as_str().unwrap_or_default().to_owned(),
                t["label"].as_str().unwrap_or_default().to_owned(),
                t["version"].to_string(),
                String::new(),
            ]);
        }
    }
    for u in listing["uncatalogued"].as_array().unwrap_or(&empty) {
        table.push(vec![
            "(uncatalogued)".to_owned(),
            u["action"].as_str().unwrap_or_default().to_owned(),
            u["label"].as_str().unwrap_or_default().to_owned(),
            String::new(),
            format!(
                "{}×, last {}",
                u["count"],
                u["last_seen"].as_str().unwrap_or_default()
            ),
        ]);
    }
    table
}
