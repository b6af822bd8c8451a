//! A real server on a TCP port: first-start bootstrap, graceful shutdown that keeps every
//! acknowledged event, and a restart that finds them.

use serde_json::json;
use trail_server::Settings;

async fn start(dir: &std::path::Path) -> trail_server::Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    trail_server::spawn(Settings::for_tests(dir, "op"), listener)
        .await
        .unwrap()
}

async fn post(url: &str, body: serde_json::Value) -> serde_json::Value {
    let client = reqwest_lite::Client::new();
    client.post(url, "op", &body).await
}

/// Minimal HTTP/1.1 JSON client over tokio, to keep this test free of a client dependency.
mod reqwest_lite {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    pub struct Client;

    impl Client {
        pub fn new() -> Self {
            Client
        }

        pub async fn post(
            &self,
            url: &str,
            token: &str,
            body: &serde_json::Value,
        ) -> serde_json::Value {
            self.call("POST", url, token, Some(body)).await
        }

        pub async fn get(&self, url: &str, token: &str) -> serde_json::Value {
            self.call("GET", url, token, None).await
        }

        async fn call(
            &self,
            method: &str,
            url: &str,
            token: &str,
            body: Option<&serde_json::Value>,
        ) -> serde_json::Value {
            let rest = url.strip_prefix("http://").unwrap();
            let (host, path) = rest.split_once('/').unwrap();
            let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
            let body = body.map(|b| b.to_string()).unwrap_or_default();
            let request = format!(
                "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.unwrap();
            let text = String::from_utf8(response).unwrap();
            let (_, body) = text.split_once("\r\n\r\n").unwrap();
            serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
        }
    }
}

#[tokio::test]
async fn acknowledged_events_survive_a_graceful_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let org = post(
        &format!("{}/v1/organizations", server.url()),
        json!({"name": "Acme"}),
    )
    .await;
    let org = org["id"].as_str().unwrap().to_owned();
    let events: Vec<_> = (0..200)
        .map(|i| json!({"action": "a.b", "actor": {"id": format!("u{i}")}}))
        .collect();
    let acks = post(
        &format!("{}/v1/events?organization_id={org}", server.url()),
        json!(events),
    )
    .await;
    assert_eq!(acks["events"].as_array().unwrap().len(), 200);
    server.stop().await.unwrap();

    let server = start(dir.path()).await;
    let client = reqwest_lite::Client::new();
    let count = client
        .get(
            &format!("{}/v1/events/count?organization_id={org}", server.url()),
            "op",
        )
        .await;
    assert_eq!(count["count"], 200);
    let next = post(
        &format!("{}/v1/events?organization_id={org}", server.url()),
        json!({"action": "a.c", "actor": {"id": "x"}}),
    )
    .await;
    assert_eq!(
        next["events"][0]["seq"], 200,
        "the sequence continues without a gap after restart"
    );
    server.stop().await.unwrap();
}
