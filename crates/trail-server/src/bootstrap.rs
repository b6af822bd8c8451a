//! First start: the operator credential (generated and shown once, or taken from
//! `TRAIL_ADMIN_TOKEN`) and a "Default" organization, so the printed curl line works as is.

use trail_core::ids;
use trail_store::{Organization, Store};

use crate::config::Settings;

const OPERATOR_HASH_KEY: &str = "operator_token_sha256";
pub const OPERATOR_TOKEN_PREFIX: &str = "trail_op_";

/// What first-start setup found or created.
pub struct Bootstrap {
    pub operator_hash: [u8; 32],
    /// The operator credential when this start generated it (to print once).
    pub generated_token: Option<String>,
    /// The organization created on this start, if any.
    pub created_organization: Option<Organization>,
}

pub async fn run(store: &dyn Store, settings: &Settings) -> anyhow::Result<Bootstrap> {
    let (operator_hash, generated_token) = match &settings.admin_token {
        Some(token) => {
            let hash = ids::secret_hash(&token.0);
            store
                .put_instance_setting(OPERATOR_HASH_KEY, &hex::encode(hash))
                .await?;
            (hash, None)
        }
        None => {
            let token = ids::new_secret(OPERATOR_TOKEN_PREFIX);
            let hash = ids::secret_hash(&token);
            if store
                .init_instance_setting(OPERATOR_HASH_KEY, &hex::encode(hash))
                .await?
            {
                (hash, Some(token))
            } else {
                let stored = store
                    .get_instance_setting(OPERATOR_HASH_KEY)
                    .await?
                    .unwrap_or_default();
                let mut hash = [0u8; 32];
                hex::decode_to_slice(stored.trim(), &mut hash)
                    .map_err(|e| anyhow::anyhow!("the stored operator credential hash is corrupt ({e}); set TRAIL_ADMIN_TOKEN to replace it"))?;
                (hash, None)
            }
        }
    };
    let created_organization =
        if settings.bootstrap_organization && store.list_organizations().await?.is_empty() {
            Some(store.create_organization("Default").await?)
        } else {
            None
        };
    Ok(Bootstrap {
        operator_hash,
        generated_token,
        created_organization,
    })
}

/// What `trail serve` prints on start: where to open Trail and how to authenticate.
pub fn banner(
    url: &str,
    settings: &Settings,
    boot: &Bootstrap,
    first_org: Option<&Organization>,
) -> String {
    let store = match &settings.database_url {
        Some(_) => "PostgreSQL (TRAIL_DATABASE_URL)".to_owned(),
        None => format!("embedded SQLite in {}", settings.data_dir.display()),
    };
    let mut out = format!(
        "\nTrail {} is listening on {url}\n  store: {store}\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(tls) = &settings.tls {
        out.push_str(&format!(
            "  tls: {} (reloaded when the file changes or on SIGHUP)
",
            tls.cert.display()
        ));
        if let Some(redirect) = &tls.redirect_listen {
            out.push_str(&format!(
                "  http://{redirect} redirects to {url}
"
            ));
        }
    }
    match &boot.generated_token {
        Some(token) => out.push_str(&format!(
            "\nAn operator credential was created. It is shown only this once; keep it somewhere safe:\n\n  export TRAIL_URL={url}\n  export TRAIL_TOKEN={token}\n"
        )),
        None if settings.admin_token.is_some() => out.push_str("\nOperator credential: the configured TRAIL_ADMIN_TOKEN.\n"),
        None => out.push_str(
            "\nOperator credential: the one printed at first start (set TRAIL_ADMIN_TOKEN to replace it).\n",
        ),
    }
    if let Some(org) = first_org {
        out.push_str(&format!(
            concat!(
                "\nSend an event to the \"{name}\" organization ({id}):\n\n",
                "  curl -sS -X POST '{url}/v1/events?organization_id={id}' \\\n",
                "    -H \"Authorization: Bearer $TRAIL_TOKEN\" -H 'Content-Type: application/json' \\\n",
                "    -d '{{\"action\":\"user.login\",\"actor\":{{\"id\":\"usr_1\",\"name\":\"Alice Kim\",\"email\":\"alice@example.com\"}},\"source\":\"web_ui\"}}'\n",
                "\nand find it again:\n\n",
                "  curl -sS '{url}/v1/events?organization_id={id}&q=actor:alice' -H \"Authorization: Bearer $TRAIL_TOKEN\"\n",
                "  cargo run --release -- query 'actor:alice' --org {id}\n",
                "\nTo open the Activity Logs web app, add yourself as the organization's owner:\n\n",
                "  cargo run --release -- members add you@example.com --org {id} --name You --role owner --password-stdin\n",
                "\nthen open {url} in a browser and sign in with that email and password.\n",
            ),
            name = org.name,
            id = org.id,
            url = url
        ));
    }
    out.push_str(&format!(
        "\nActivity Logs web app: {url} (sign in with a member's email and password).\nThe API is described at {url}/openapi.json and in docs/.\n"
    ));
    out
}
