//! `trail orgs`: create and list organizations with the operator credential.

use anyhow::Context as _;
use trail_client::Organization;

use crate::client_args::ClientArgs;
use crate::table::{Table, print_list};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an organization and print its id.
    Create {
        /// Display name, e.g. the customer's company name.
        name: String,
        /// Print the created organization as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Link an external organization id (a WorkOS `organization_id`, a Retraced project id) to
    /// an organization, so its keys may use that id on the compatibility routes.
    Link {
        /// The Trail organization (`org_…`).
        organization_id: String,
        /// The id the WorkOS or Retraced client sends.
        external_id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List organizations.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Create { name, json, client } => {
            let org = client
                .client(None)?
                .create_organization(&name)
                .await
                .with_context(|| format!("cannot create organization `{name}`"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&org)?);
            } else {
                println!("Created organization {} ({}).", org.id, org.name);
            }
        }
        Command::Link {
            organization_id,
            external_id,
            client,
        } => {
            client
                .client(None)?
                .link_external_id(&organization_id, &external_id)
                .await
                .with_context(|| format!("cannot link `{external_id}` to {organization_id}"))?;
            println!("Linked {external_id} to organization {organization_id}.");
        }
        Command::List { json, client } => {
            let orgs = client
                .client(None)?
                .list_organizations()
                .await
                .context("cannot list organizations")?;
            print_list(json, &orgs, |o| table(o))?;
        }
    }
    Ok(())
}

fn table(orgs: &[Organization]) -> Table {
    let mut table = Table::new(vec!["ID", "Name", "Created"]).keep_whole(0);
    for org in orgs {
        table.push(vec![
            org.id.clone(),
            org.name.clone(),
            org.created_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ]);
    }
    table
}
