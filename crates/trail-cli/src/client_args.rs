//! `--url`, `--token` and `--org`: how every client command reaches a server and names an organization.

use anyhow::Context as _;
use trail_client::Client;

/// Where the server is and which credential to call it with.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Base URL of the Trail server.
    #[arg(long, env = "TRAIL_URL", default_value = "http://127.0.0.1:8480")]
    pub url: String,
    /// Bearer credential: an organization API key, or the operator credential (which also needs --org).
    #[arg(long, env = "TRAIL_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// The organization to act on, for the operator credential (an organization API key implies its own).
#[derive(Debug, Clone, clap::Args)]
pub struct OrgArgs {
    /// Organization id (`org_…`); needed with the operator credential.
    #[arg(long, env = "TRAIL_ORG")]
    pub org: Option<String>,
}

impl ClientArgs {
    /// A client for these arguments acting on `org` when given.
    pub fn client(&self, org: Option<&OrgArgs>) -> anyhow::Result<Client> {
        let client = Client::new(&self.url, self.token.clone())
            .with_context(|| format!("cannot use --url {}", self.url))?;
        Ok(client.with_organization(org.and_then(|o| o.org.clone())))
    }
}
