//! Sending batches for `trail ingest`: several requests in flight, retries with backoff for what
//! can be retried, the acknowledged prefix advanced (and saved) as batches succeed, and refusals
//! reported by input line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use indicatif::ProgressBar;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use trail_client::{Appended, Client, NDJSON};
use trail_core::Millis;

use super::source::Batch;
use super::state::{self, State};

/// Longest pause between two attempts, and the longest `Retry-After` honoured as given.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Keeps `concurrency` requests in flight and advances the acknowledged prefix as they succeed.
pub struct Sender {
    pub client: Client,
    pub retries: u32,
    pub concurrency: usize,
    pub progress: ProgressBar,
    pub state_path: Option<PathBuf>,
}

/// A batch that came back acknowledged before an earlier one did.
struct Acked {
    events: u64,
    last_line: u64,
    end: u64,
}

impl Sender {
    /// Sends every batch from `rx`; stops taking new ones at the first failure, lets those in
    /// flight finish, and answers that failure.
    pub async fn send_all(
        &self,
        mut rx: mpsc::Receiver<anyhow::Result<Batch>>,
        state: &mut State,
    ) -> anyhow::Result<()> {
        let mut in_flight: JoinSet<(Batch, Result<Vec<Appended>, trail_client::Error>)> =
            JoinSet::new();
        let mut done: BTreeMap<u64, Acked> = BTreeMap::new();
        let mut failure: Option<anyhow::Error> = None;
        let mut input_done = false;
        loop {
            let want_more = failure.is_none() && !input_done && in_flight.len() < self.concurrency;
            if !want_more && in_flight.is_empty() {
                break;
            }
            tokio::select! {
                next = rx.recv(), if want_more => match next {
                    Some(Ok(batch)) => {
                        let (client, retries, progress) =
                            (self.client.clone(), self.retries, self.progress.clone());
                        in_flight.spawn(async move {
                            let result = send_with_retries(&client, &batch, retries, &progress).await;
                            (batch, result)
                        });
                    }
                    Some(Err(err)) => failure = Some(err),
                    None => input_done = true,
                },
                Some(joined) = in_flight.join_next() => {
                    let (batch, result) = joined.context("a request task failed")?;
                    match result {
                        Ok(appended) if appended.len() == batch.lines.len() => {
                            done.insert(batch.first_index, Acked {
                                events: batch.lines.len() as u64,
                                last_line: batch.lines.last().copied().unwrap_or_default(),
                                end: batch.end,
                            });
                            self.advance(state, &mut done)?;
                        }
                        Ok(appended) => {
                            failure.get_or_insert(anyhow!(
                                "the server acknowledged {} events of a batch of {} ({})",
                                appended.len(),
                                batch.lines.len(),
                                line_range(&batch)
                            ));
                        }
                        Err(err) => {
                            failure.get_or_insert(anyhow!(rejection(&err, &batch)));
                        }
                    }
                }
            }
        }
        match failure {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Moves the acknowledged count over every batch that now follows on without a gap.
    fn advance(&self, state: &mut State, done: &mut BTreeMap<u64, Acked>) -> anyhow::Result<()> {
        let mut moved = false;
        while let Some(acked) = done.remove(&state.acknowledged) {
            state.acknowledged += acked.events;
            state.last_line = acked.last_line;
            self.progress.set_position(acked.end);
            moved = true;
        }
        if moved {
            state.updated_at = Millis::now();
            self.progress
                .set_message(format!("{} events acknowledged", state.acknowledged));
            if let Some(path) = &self.state_path {
                state::save(path, state)?;
            }
        }
        Ok(())
    }
}

async fn send_with_retries(
    client: &Client,
    batch: &Batch,
    retries: u32,
    progress: &ProgressBar,
) -> Result<Vec<Appended>, trail_client::Error> {
    let mut attempt = 0;
    loop {
        match client.ingest(batch.body.clone(), NDJSON).await {
            Err(err) if err.is_retryable() && attempt < retries => {
                attempt += 1;
                let pause = backoff(attempt, err.retry_after());
                progress.suspend(|| {
                    eprintln!(
                        "warning: {}: {}; retrying in {:.1} s (attempt {attempt} of {retries})",
                        line_range(batch),
                        with_causes(&err),
                        pause.as_secs_f64()
                    );
                });
                tokio::time::sleep(pause).await;
            }
            result => return result,
        }
    }
}

/// The pause before retry `attempt` (1-based): what the server asked for, else 0.5 s doubling,
/// with ±25 % jitter so that parallel requests do not return together.
fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(asked) = retry_after {
        return asked.min(MAX_BACKOFF);
    }
    let base = Duration::from_millis(500).saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let jitter = rand::random_range(0.75..1.25);
    base.min(MAX_BACKOFF).mul_f64(jitter)
}

/// `line 7` or `lines 7–12`.
fn line_range(batch: &Batch) -> String {
    match (batch.lines.first(), batch.lines.last()) {
        (Some(first), Some(last)) if first != last => format!("lines {first}–{last}"),
        (Some(first), _) => format!("line {first}"),
        _ => "no lines".to_owned(),
    }
}

/// An error with its causes: `cannot reach the server: error sending request …: connection refused`.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Why the server refused a batch, with each reported event named by its line in the input.
fn rejection(err: &trail_client::Error, batch: &Batch) -> String {
    let trail_client::Error::Api {
        status,
        code,
        message,
        details,
        ..
    } = err
    else {
        return format!("{}: {}", line_range(batch), with_causes(err));
    };
    let mut out = format!(
        "the server rejected the batch of {}: HTTP {status} {code}: {message}",
        line_range(batch)
    );
    for detail in details {
        let field = detail.get("field").and_then(|f| f.as_str()).unwrap_or("");
        let text = detail
            .get("message")
            .or_else(|| detail.get("rule"))
            .and_then(|m| m.as_str())
            .map_or_else(|| detail.to_string(), str::to_owned);
        let located = event_index(field)
            .and_then(|(i, rest)| Some((*batch.lines.get(i)?, rest)))
            .map(|(line, rest)| {
                if rest.is_empty() {
                    format!("line {line}: {text}")
                } else {
                    format!("line {line}: {rest}: {text}")
                }
            });
        out.push_str("\n  - ");
        out.push_str(&located.unwrap_or_else(|| trail_client::describe_detail(detail)));
    }
    out
}

/// `events[3].actor.id` → `(3, "actor.id")`.
fn event_index(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("events[")?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.trim_start_matches('.')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    /// A server answering each request (one per connection) with the next of `answers`.
    async fn scripted(answers: Vec<&'static str>) -> (String, tokio::task::JoinHandle<usize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            for answer in &answers {
                let (socket, _) = listener.accept().await.unwrap();
                let mut socket = BufReader::new(socket);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    socket.read_line(&mut line).await.unwrap();
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                socket.read_exact(&mut body).await.unwrap();
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
            answers.len()
        });
        (url, task)
    }

    #[tokio::test]
    async fn retries_what_the_server_asks_to_retry_and_stops_on_the_rest() {
        const BUSY: &str = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nConnection: close\r\n\
            Content-Length: 63\r\n\r\n{\"error\":{\"code\":\"unavailable\",\"message\":\"Busy.\",\"details\":[]}}";
        const OK: &str = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 47\r\n\r\n\
            {\"events\":[{\"id\":\"evt_1\",\"seq\":0,\"hash\":\"ab\"}]}";
        const BAD: &str = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 65\r\n\r\n\
            {\"error\":{\"code\":\"invalid_request\",\"message\":\"No.\",\"details\":[]}}";
        let batch = Batch {
            first_index: 0,
            lines: vec![1],
            end: 0,
            body: b"{}\n".to_vec(),
        };
        let progress = ProgressBar::hidden();

        let (url, server) = scripted(vec![BUSY, BUSY, OK]).await;
        let client = Client::new(&url, "t").unwrap();
        let appended = send_with_retries(&client, &batch, 2, &progress)
            .await
            .unwrap();
        assert_eq!(appended[0].id, "evt_1");
        assert_eq!(server.await.unwrap(), 3);

        let (url, _server) = scripted(vec![BUSY, BUSY]).await;
        let client = Client::new(&url, "t").unwrap();
        let err = send_with_retries(&client, &batch, 1, &progress)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(503), "gives up after --retries");

        let (url, _server) = scripted(vec![BAD, OK]).await;
        let client = Client::new(&url, "t").unwrap();
        let err = send_with_retries(&client, &batch, 5, &progress)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(400), "a refusal is not retried");
    }

    #[test]
    fn rejections_name_input_lines() {
        let batch = Batch {
            first_index: 10,
            lines: vec![12, 14, 15],
            end: 0,
            body: Vec::new(),
        };
        let err = trail_client::Error::Api {
            status: 400,
            code: "invalid_event".into(),
            message: "The body holds invalid events.".into(),
            details: vec![
                json!({"field": "events[1].actor.id", "rule": "required", "message": "`actor.id` is required."}),
                json!({"field": "events[2]", "rule": "json", "message": "Bad JSON."}),
                json!({"field": "body", "rule": "json", "message": "Other."}),
            ],
            retry_after: None,
        };
        assert_eq!(
            rejection(&err, &batch),
            "the server rejected the batch of lines 12–15: HTTP 400 invalid_event: The body holds invalid events.\n  \
             - line 14: actor.id: `actor.id` is required.\n  \
             - line 15: Bad JSON.\n  \
             - body: Other."
        );
    }

    #[test]
    fn backoff_honours_retry_after_and_grows_otherwise() {
        assert_eq!(
            backoff(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(backoff(1, Some(Duration::from_secs(3600))), MAX_BACKOFF);
        let first = backoff(1, None);
        assert!(first >= Duration::from_millis(375) && first <= Duration::from_millis(625));
        let fifth = backoff(5, None);
        assert!(fifth >= Duration::from_secs(6) && fifth <= Duration::from_secs(10));
        assert!(backoff(40, None) <= MAX_BACKOFF.mul_f64(1.25));
    }
}
