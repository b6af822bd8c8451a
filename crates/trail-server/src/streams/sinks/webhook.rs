//! Webhooks per the Standard Webhooks specification: one `POST` per batch with the headers
//! `webhook-id` (stable across retries of the same batch), `webhook-timestamp` (Unix seconds) and
//! `webhook-signature` — `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for each secret
//! in force, space-separated, so that during a rotation receivers can check either. Any 2xx is
//! success; 408, 429 and 5xx are retried; other answers stop the stream.

use async_trait::async_trait;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use trail_core::event::Event;
use trail_core::siem::Format;
use trail_store::Stream;

use super::hec::request_error;
use super::{Sink, SinkError, chunks_by_size, snippet};
use crate::streams::input::webhook_key;
use crate::streams::safety;
use crate::streams::settings::StreamSettings;

/// Bodies stay under this many bytes; a larger batch goes as several messages.
pub const MAX_BODY_BYTES: usize = 900 * 1024;

pub struct WebhookSink {
    client: reqwest::Client,
    url: reqwest::Url,
    stream_id: String,
    format: Format,
    /// The stream's secrets (the ones in force are picked at each send, so a replaced secret
    /// stops signing when its overlap ends).
    secrets: Value,
    allow_private: bool,
}

/// The `webhook-signature` header for a message signed with each key.
pub fn signature(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The secrets of a stream in force at `now_ms` (a replaced one until its `until`).
pub fn keys_in_force(secrets: &Value, now_ms: i64) -> Vec<Vec<u8>> {
    secrets
        .get("secrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|k| {
            k.get("until")
                .and_then(Value::as_i64)
                .is_none_or(|until| until > now_ms)
        })
        .filter_map(|k| {
            k.get("secret")
                .and_then(Value::as_str)
                .and_then(webhook_key)
        })
        .collect()
}

impl WebhookSink {
    pub fn new(
        stream: &Stream,
        format: Format,
        settings: &StreamSettings,
    ) -> Result<WebhookSink, SinkError> {
        Ok(WebhookSink {
            client: safety::http_client(
                settings.allow_private_destinations,
                settings.request_timeout,
            )
            .map_err(|e| SinkError::retry(None, e))?,
            url: reqwest::Url::parse(&stream.url)
                .map_err(|e| SinkError::fatal(None, format!("bad url: {e}")))?,
            stream_id: stream.id.clone(),
            format,
            secrets: stream.secrets.clone(),
            allow_private: settings.allow_private_destinations,
        })
    }

    async fn post(
        &self,
        events: &[Event],
        encoded: &[Value],
        keys: &[Vec<u8>],
    ) -> Result<u64, SinkError> {
        let (first, last) = (events[0].seq, events[events.len() - 1].seq);
        let id = format!("msg_{}_{first}_{last}", self.stream_id);
        let body = serde_json::to_vec(&json!({
            "type": "trail.events",
            "timestamp": trail_core::Millis::now().to_rfc3339(),
            "data": {
                "organization_id": events[0].organization_id,
                "first_seq": first,
                "last_seq": last,
                "events": encoded,
            },
        }))
        .unwrap_or_default();
        let timestamp = trail_core::Millis::now().0 / 1000;
        let response = self
            .client
            .post(self.url.clone())
            .header("Content-Type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature(keys, &id, timestamp, &body))
            .body(body.clone())
            .send()
            .await
            .map_err(|e| request_error("webhook request", &e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(body.len() as u64);
        }
        let text = response.text().await.unwrap_or_default();
        let message = format!("webhook {status}: {}", snippet(&text));
        match status {
            408 | 429 | 500..=599 => Err(SinkError::retry(Some(status), message)),
            _ => Err(SinkError::fatal(Some(status), message)),
        }
    }
}

#[async_trait]
impl Sink for WebhookSink {
    async fn send(&self, events: &[Event]) -> Result<u64, SinkError> {
        safety::check_url(&self.url, self.allow_private).map_err(|e| SinkError::fatal(None, e))?;
        let keys = keys_in_force(&self.secrets, trail_core::Millis::now().0);
        if keys.is_empty() {
            return Err(SinkError::fatal(
                None,
                "the webhook has no secret in force; set `secret` or `rotate_secret`",
            ));
        }
        let encoded: Vec<Value> = events.iter().map(|e| self.format.to_json(e)).collect();
        let sizes: Vec<usize> = encoded.iter().map(|v| v.to_string().len() + 1).collect();
        let (mut sent, mut done) = (0u64, 0usize);
        for range in chunks_by_size(&sizes, MAX_BODY_BYTES) {
            sent += self
                .post(&events[range.clone()], &encoded[range.clone()], &keys)
                .await
                .map_err(|e| e.after(done, sent))?;
            done = range.end;
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks reference vector (the specification's test of every library).
    #[test]
    fn signs_the_reference_vector() {
        let key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&[key], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_until_the_old_one_expires() {
        let secrets = json!({"secrets": [
            {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
            {"secret": "whsec_dGhpcyBpcyB0aGUgb2xkIHNlY3JldCEh", "until": 2_000},
        ]});
        assert_eq!(keys_in_force(&secrets, 1_000).len(), 2);
        assert_eq!(keys_in_force(&secrets, 2_000).len(), 1);
        let both = signature(&keys_in_force(&secrets, 1_000), "msg_1", 1, b"{}");
        assert_eq!(both.split(' ').count(), 2);
        assert!(both.split(' ').all(|s| s.starts_with("v1,")));
    }
}
