//! The `trail serve` process under torture: start, SIGKILL, restart, read back, verify.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

pub const OPERATOR: &str = "torture-operator-token";

pub struct Server {
    binary: PathBuf,
    dir: PathBuf,
    addr: String,
    database_url: Option<String>,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Server {
    pub async fn start(dir: &Path, database_url: Option<String>) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut server = Server {
            binary: std::env::current_exe().context("finding the trail binary")?,
            dir: dir.to_owned(),
            addr: format!("127.0.0.1:{port}"),
            database_url,
            child: None,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        };
        server.restart().await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))?;
        let mut command = Command::new(&self.binary);
        command
            .args(["serve", "--listen", &self.addr, "--admin-token", OPERATOR])
            .arg("--data-dir")
            .arg(self.dir.join("data"))
            .args(["--retention-interval", "off", "--log-origin", "torture"])
            .env("TRAIL_INGEST_RATE_PER_KEY", "0")
            .env("TRAIL_INGEST_RATE_PER_ORG", "0")
            .env("TRAIL_SEARCH_RATE_PER_KEY", "0")
            .env("TRAIL_SEARCH_RATE_PER_ORG", "0")
            .env("RUST_LOG", "warn")
            .env_remove("TRAIL_CONFIG")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(url) = &self.database_url {
            command.args(["--database-url", url]);
        }
        self.child = Some(command.spawn().context("starting trail serve")?);
        Ok(())
    }

    /// Starts the server (again) and waits until it answers `/healthz`; a start that fails (the
    /// database restarting) is retried.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        self.spawn()?;
        loop {
            ensure!(
                Instant::now() < deadline,
                "the server did not come up in 120 s; see {}",
                self.dir.join("server.log").display()
            );
            if let Some(child) = &mut self.child
                && child.try_wait()?.is_some()
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.spawn()?;
                continue;
            }
            let health = self
                .http
                .get(format!("{}/healthz", self.url()))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// SIGTERM (graceful), and wait.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()?;
            child.wait()?;
        }
        Ok(())
    }

    /// An organization and a read-write key in it.
    pub async fn tenant(&self) -> anyhow::Result<(String, String)> {
        let org: Value = self
            .post("/v1/organizations", json!({"name": "torture"}))
            .await?;
        let org = org["id"].as_str().context("organization id")?.to_owned();
        let key: Value = self
            .post(
                "/v1/api-keys",
                json!({"organization_id": org, "name": "torture", "scopes": ["events:write", "events:read"]}),
            )
            .await?;
        Ok((
            org,
            key["secret"].as_str().context("key secret")?.to_owned(),
        ))
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.url()))
            .bearer_auth(OPERATOR)
            .json(&body)
            .send()
            .await?;
        ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// `(seq, marker)` of every event of `org`, oldest first; the marker is empty for events the
    /// clients did not send (the audit trail's own, such as the key's creation).
    pub async fn all_markers(&self, _org: &str, key: &str) -> anyhow::Result<Vec<(u64, String)>> {
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/v1/events?order=asc&sort=seq&limit=1000", self.url());
            if let Some(c) = &cursor {
                url.push_str("&cursor=");
                for b in c.bytes() {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        url.push(b as char);
                    } else {
                        url.push_str(&format!("%{b:02X}"));
                    }
                }
            }
            let response = self.http.get(url).bearer_auth(key).send().await?;
            if !response.status().is_success() {
                bail!("reading events: {}", response.text().await?);
            }
            let page: Value = response.json().await?;
            let events = page["events"].as_array().context("events")?;
            // `sort=seq&order=asc` always answers a cursor to poll from: an empty page is the end.
            if events.is_empty() {
                return Ok(found);
            }
            for event in events {
                let seq = event["seq"].as_u64().context("seq")?;
                let marker = match event["action"].as_str() {
                    Some("torture.write") => event["resource"]["id"].as_str().unwrap_or("?"),
                    _ => "",
                };
                let marker = marker.to_owned();
                found.push((seq, marker));
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(found),
            }
        }
    }

    /// How many events the index finds for the query `q` (`GET /v1/events/count`).
    pub async fn count(&self, key: &str, q: &str) -> anyhow::Result<u64> {
        let mut url = format!("{}/v1/events/count?q=", self.url());
        for b in q.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                url.push(b as char);
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
        let response = self.http.get(url).bearer_auth(key).send().await?;
        if !response.status().is_success() {
            bail!("counting events: {}", response.text().await?);
        }
        let answer: Value = response.json().await?;
        answer["count"].as_u64().context("count")
    }

    /// `trail verify` of the store; whether it exited 0.
    pub fn verify(&self, database_url: Option<&str>) -> anyhow::Result<bool> {
        let mut command = Command::new(&self.binary);
        // The data directory holds the signing key even when the events are in PostgreSQL.
        command
            .arg("verify")
            .arg("--data-dir")
            .arg(self.dir.join("data"));
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let output = command.output().context("running trail verify")?;
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stdout));
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(output.status.success())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Creates a fresh database on the server of `url` and returns its URL.
pub async fn fresh_database(url: &str) -> anyhow::Result<String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .context("connecting to PostgreSQL")?;
    tokio::spawn(connection);
    let name = format!("trail_torture_{}", rand::random::<u32>());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .context("creating the torture database")?;
    let base = url.split('?').next().unwrap_or(url);
    let (prefix, _) = base.rsplit_once('/').context("a postgres://…/db URL")?;
    Ok(format!("{prefix}/{name}"))
}

/// Drops the database of `url` (best effort: a leftover one only takes space).
pub async fn drop_database(url: &str) {
    let Some((prefix, name)) = url.rsplit_once('/') else {
        return;
    };
    let admin = format!("{prefix}/postgres");
    if let Ok((client, connection)) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await {
        tokio::spawn(connection);
        let _ = client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}
