//! `trail keys`: create (printing the secret once), list and revoke API keys.

use anyhow::Context as _;
use trail_client::{ApiKey, NewApiKey};
use trail_core::Millis;

use crate::client_args::{ClientArgs, OrgArgs};
use crate::table::{Table, print_list};

const SCOPES: [&str; 4] = ["events:write", "events:read", "exports", "admin"];

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an API key and print its secret, which is shown only this once. With the operator
    /// credential, --org names the organization; without it the key is instance-level.
    Create {
        /// What the key is for, e.g. `backend-prod`.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes.
        #[arg(long, required = true, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(SCOPES))]
        scope: Vec<String>,
        /// When the key stops working: a duration from now (`90d`, `12h`, `2w`) or an RFC 3339
        /// time or date. Never, when left out.
        #[arg(long, value_parser = parse_expiry)]
        expires: Option<Millis>,
        /// Print the created key, secret included, as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List API keys (never their secrets).
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Revoke an API key: it stops working at once.
    Revoke {
        /// The key's id (`key_…`).
        id: String,
        #[command(flatten)]
        org: OrgArgs,
        #[command(flatten)]
        client: ClientArgs,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Create {
            name,
            scope,
            expires,
            json,
            org,
            client,
        } => {
            let request = NewApiKey {
                organization_id: org.org.clone(),
                name: name.clone(),
                scopes: scope,
                expires_at: expires,
            };
            let created = client
                .client(Some(&org))?
                .create_api_key(&request)
                .await
                .with_context(|| format!("cannot create API key `{name}`"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&created)?);
                return Ok(());
            }
            let key = &created.key;
            println!(
                "Created API key {} ({}) with scopes {}{}.",
                key.id,
                key.name,
                key.scopes.join(", "),
                key.expires_at
                    .map(|t| format!(", expiring {}", t.to_rfc3339()))
                    .unwrap_or_default()
            );
            println!();
            println!("    {}", created.secret);
            println!();
            println!("Store this secret now: it will not be shown again.");
        }
        Command::List { json, org, client } => {
            let keys = client
                .client(Some(&org))?
                .list_api_keys()
                .await
                .context("cannot list API keys")?;
            print_list(json, &keys, |k| table(k, Millis::now()))?;
        }
        Command::Revoke { id, org, client } => {
            let key = client
                .client(Some(&org))?
                .revoke_api_key(&id)
                .await
                .with_context(|| format!("cannot revoke API key {id}"))?;
            println!("Revoked API key {} ({}).", key.id, key.name);
        }
    }
    Ok(())
}

/// `90d` from now, or an absolute RFC 3339 time or date, which must lie in the future.
fn parse_expiry(value: &str) -> Result<Millis, String> {
    let now = Millis::now();
    let at = match trail_core::time::parse_duration_ms(value) {
        Some(ms) => now.plus_ms(ms),
        None => Millis::parse_rfc3339(value)
            .or_else(|| Millis::parse_date(value))
            .ok_or_else(|| {
                format!("`{value}` is neither a duration like 90d nor an RFC 3339 time")
            })?,
    };
    if at <= now {
        return Err(format!("`{value}` is not in the future"));
    }
    Ok(at)
}

fn table(keys: &[ApiKey], now: Millis) -> Table {
    let mut table = Table::new(vec![
        "ID",
        "Name",
        "Prefix",
        "Scopes",
        "Status",
        "Created",
        "Last used",
    ])
    .keep_whole(0);
    let time = |t: Option<Millis>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for key in keys {
        let status = if key.revoked_at.is_some() {
            "revoked"
        } else if key.expires_at.is_some_and(|t| t <= now) {
            "expired"
        } else {
            "active"
        };
        table.push(vec![
            key.id.clone(),
            key.name.clone(),
            key.prefix.clone().unwrap_or_default(),
            key.scopes.join(","),
            status.to_owned(),
            time(key.created_at),
            time(key.last_used_at),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_takes_durations_and_times_in_the_future() {
        let in_90_days = parse_expiry("90d").unwrap();
        let expected = Millis::now().plus_ms(90 * 86_400_000);
        assert!((in_90_days.0 - expected.0).abs() < 60_000);
        assert!(parse_expiry("2999-01-01T00:00:00Z").is_ok());
        assert!(
            parse_expiry("2000-01-01")
                .unwrap_err()
                .contains("not in the future")
        );
        assert!(parse_expiry("soon").is_err());
    }

    #[test]
    fn status_shows_revoked_and_expired_keys() {
        let now = Millis::parse_rfc3339("2026-11-21T00:00:00Z").unwrap();
        let key = |expires_at, revoked_at| ApiKey {
            id: "key_1".into(),
            organization_id: None,
            name: "ci".into(),
            scopes: vec!["events:read".into()],
            prefix: Some("trail_ab".into()),
            created_at: None,
            expires_at,
            last_used_at: None,
            revoked_at,
        };
        let out = table(
            &[
                key(None, None),
                key(Some(now.plus_ms(-1)), None),
                key(None, Some(now)),
            ],
            now,
        )
        .render(None);
        let statuses: Vec<&str> = out
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(4).unwrap())
            .collect();
        assert_eq!(statuses, ["active", "expired", "revoked"]);
    }
}
