//! The ingest clients of the kill loop and the ledger of what the server acknowledged.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// What was acknowledged and what is in doubt (sent, no answer).
#[derive(Default)]
pub struct Ledger {
    acknowledged: Mutex<HashSet<String>>,
    in_doubt: Mutex<HashSet<String>>,
}

/// The verdict of the final read.
pub struct Report {
    pub acknowledged: usize,
    pub in_doubt: usize,
    pub stored: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub unknown: usize,
    pub gaps: usize,
    pub first_seq: u64,
    pub last_seq: u64,
}

impl Ledger {
    pub fn acknowledged(&self) -> usize {
        self.acknowledged.lock().expect("ledger").len()
    }

    fn ack(&self, markers: &[String]) {
        let mut doubt = self.in_doubt.lock().expect("ledger");
        for m in markers {
            doubt.remove(m);
        }
        self.acknowledged
            .lock()
            .expect("ledger")
            .extend(markers.iter().cloned());
    }

    fn doubt(&self, markers: &[String]) {
        self.in_doubt
            .lock()
            .expect("ledger")
            .extend(markers.iter().cloned());
    }

    /// Checks the stored `(seq, marker)` pairs against the ledger.
    pub fn check(&self, found: &[(u64, String)]) -> Report {
        let acknowledged = self.acknowledged.lock().expect("ledger");
        let in_doubt = self.in_doubt.lock().expect("ledger");
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (_, marker) in found.iter().filter(|(_, m)| !m.is_empty()) {
            *counts.entry(marker.as_str()).or_default() += 1;
        }
        let lost = acknowledged
            .iter()
            .filter(|m| !counts.contains_key(m.as_str()))
            .count();
        let duplicated = counts.values().filter(|c| **c > 1).count();
        let unknown = counts
            .keys()
            .filter(|m| !acknowledged.contains(**m) && !in_doubt.contains(**m))
            .count();
        let mut seqs: Vec<u64> = found.iter().map(|(s, _)| *s).collect();
        seqs.sort_unstable();
        let gaps = seqs.windows(2).filter(|w| w[1] != w[0] + 1).count();
        Report {
            acknowledged: acknowledged.len(),
            in_doubt: in_doubt.len(),
            stored: found.len(),
            lost,
            duplicated,
            unknown,
            gaps,
            first_seq: seqs.first().copied().unwrap_or(0),
            last_seq: seqs.last().copied().unwrap_or(0),
        }
    }
}

pub struct Client {
    number: usize,
    url: String,
    key: String,
    /// Sends client-chosen ids and retries a batch until it is acknowledged.
    idempotent: bool,
    ledger: Arc<Ledger>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(
        number: usize,
        url: String,
        key: &str,
        idempotent: bool,
        ledger: Arc<Ledger>,
    ) -> Client {
        Client {
            number,
            url,
            key: key.to_owned(),
            idempotent,
            ledger,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Sends batches until `stop`; an idempotent client then still finishes its current batch.
    pub async fn run(self, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let mut next = 0usize;
        while !stop.load(Ordering::SeqCst) {
            let size = 1 + (next * 7 + self.number * 3) % 20;
            let markers: Vec<String> = (next..next + size)
                .map(|n| format!("c{}-{n}", self.number))
                .collect();
            next += size;
            let events: Vec<Value> = markers
                .iter()
                .map(|m| {
                    let mut event = json!({
                        "action": "torture.write",
                        "actor": {"id": format!("client-{}", self.number)},
                        "resource": {"type": "torture", "id": m},
                    });
                    if self.idempotent {
                        event["id"] = json!(format!("evt_torture_{m}"));
                    }
                    event
                })
                .collect();
            let mut attempts = 0;
            loop {
                attempts += 1;
                if self.send(&events).await {
                    self.ledger.ack(&markers);
                    break;
                }
                self.ledger.doubt(&markers);
                // Without an id a retry could store the batch twice: leave it in doubt.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if !self.idempotent || attempts > 600 {
                    break;
                }
            }
        }
        Ok(())
    }

    async fn send(&self, events: &[Value]) -> bool {
        let response = self
            .http
            .post(format!("{}/v1/events", self.url))
            .bearer_auth(&self.key)
            .json(events)
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
            _ => false,
        }
    }
}
