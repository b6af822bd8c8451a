//! A create or change request of `/v1/streams`, checked field by field (errors name the field)
//! and turned into the stored [`Stream`]: the kind's settings in `settings`, its secrets
//! (`token`, webhook secrets) in `secrets`, which the API never returns.

use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use trail_core::Millis;
use trail_core::siem::Format;
use trail_store::Stream;
use utoipa::ToSchema;

use super::Kind;
use crate::error::{ApiError, ApiResult};
use crate::extract;

/// How long a replaced webhook secret keeps signing alongside the new one.
pub const SECRET_OVERLAP_MS: i64 = 24 * 3600 * 1000;
const MAX_TEXT: usize = 200;

/// A stream to create, or the fields to change (`PATCH`: absent fields stay as they are).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamInput {
    /// Required with the operator credential (create only).
    pub organization_id: Option<String>,
    /// 1–100 characters, unique in the organization (required to create).
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    /// `splunk_hec`, `webhook`, `syslog` or `object_store` (required to create; cannot change).
    #[schema(value_type = Option<String>, example = "splunk_hec")]
    pub kind: Option<String>,
    /// HEC: `https://splunk.example.com:8088` (`/services/collector/event` is added when the
    /// path is empty); webhook: any `https://` URL; syslog: `tcp://host:514` or `tls://host:6514`;
    /// object storage: `s3://bucket/prefix`.
    #[schema(example = "https://splunk.example.com:8088")]
    pub url: Option<String>,
    /// `trail` (default), `ocsf`, `ecs`, or `cef` (syslog only).
    #[schema(value_type = Option<String>, example = "ocsf")]
    pub format: Option<String>,
    /// Query-language filter selecting the events delivered; empty for every event.
    #[schema(example = "action:member.* OR outcome:failure")]
    pub filter: Option<String>,
    /// HEC: the HEC token (write-only; required to create).
    pub token: Option<String>,
    /// HEC: the index [default: the token's].
    pub index: Option<String>,
    /// HEC: the sourcetype [default: `trail:audit`].
    pub sourcetype: Option<String>,
    /// HEC: the source [default: `trail`].
    pub source: Option<String>,
    /// HEC: the host field; syslog: the HOSTNAME [default: the server's log origin].
    pub host: Option<String>,
    /// HEC: wait for indexer acknowledgement on a channel [default: false].
    pub ack: Option<bool>,
    /// Webhook: a `whsec_…` secret (write-only). Generated and shown once when absent at create;
    /// a new one replaces the old, which keeps signing for 24 hours.
    pub secret: Option<String>,
    /// Webhook: generate a new secret (shown once), keeping the old one for 24 hours.
    pub rotate_secret: Option<bool>,
    /// Syslog: the facility, 0–23 [default: 13, log audit].
    #[schema(minimum = 0, maximum = 23)]
    pub facility: Option<u8>,
    /// Syslog: APP-NAME, 1–48 printable ASCII characters [default: `trail`].
    pub app_name: Option<String>,
    /// Syslog: the structured-data id of the event's id and seq [default: `trail@32473`].
    pub sd_id: Option<String>,
    /// Syslog over TLS: a PEM CA certificate to trust besides the system's.
    pub ca_cert: Option<String>,
    /// Object storage: the bucket's region [default: `us-east-1`].
    #[schema(example = "eu-west-1")]
    pub region: Option<String>,
    /// Object storage: the endpoint of an S3-compatible server (MinIO, Ceph, R2, Google Cloud
    /// Storage's XML API …) [default: AWS S3 in the region].
    #[schema(example = "https://storage.googleapis.com")]
    pub endpoint: Option<String>,
    /// Object storage: the access key id (required to create; shown in `settings`).
    pub access_key_id: Option<String>,
    /// Object storage: the secret access key (write-only; required to create).
    pub secret_access_key: Option<String>,
    /// Object storage: how long events may wait to fill a file before a smaller one is written,
    /// 1–3600 seconds [default: 60]. A full batch is written at once.
    #[schema(minimum = 1, maximum = 3600)]
    pub flush_seconds: Option<u64>,
}

/// A checked stream, and the webhook secret to show once when one was generated.
pub struct Checked {
    pub stream: Stream,
    pub shown_secret: Option<String>,
}

fn invalid(field: &str, rule: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_field(field, rule, message)
}

fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    Ok(extract::name(field, value, max)?.to_owned())
}

/// A new `whsec_` secret: 32 random bytes, base64.
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The key bytes of a `whsec_` secret.
pub fn webhook_key(secret: &str) -> Option<Vec<u8>> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    (16..=64).contains(&key.len()).then_some(key)
}

impl StreamInput {
    /// The fields that belong to one kind only, with the kind they belong to.
    fn kind_fields(&self) -> [(&'static str, bool, Kind); 16] {
        [
            ("token", self.token.is_some(), Kind::SplunkHec),
            ("index", self.index.is_some(), Kind::SplunkHec),
            ("sourcetype", self.sourcetype.is_some(), Kind::SplunkHec),
            ("source", self.source.is_some(), Kind::SplunkHec),
            ("ack", self.ack.is_some(), Kind::SplunkHec),
            ("secret", self.secret.is_some(), Kind::Webhook),
            ("rotate_secret", self.rotate_secret.is_some(), Kind::Webhook),
            ("facility", self.facility.is_some(), Kind::Syslog),
            ("app_name", self.app_name.is_some(), Kind::Syslog),
            ("sd_id", self.sd_id.is_some(), Kind::Syslog),
            ("ca_cert", self.ca_cert.is_some(), Kind::Syslog),
            ("region", self.region.is_some(), Kind::ObjectStore),
            ("endpoint", self.endpoint.is_some(), Kind::ObjectStore),
            (
                "access_key_id",
                self.access_key_id.is_some(),
                Kind::ObjectStore,
            ),
            (
                "secret_access_key",
                self.secret_access_key.is_some(),
                Kind::ObjectStore,
            ),
            (
                "flush_seconds",
                self.flush_seconds.is_some(),
                Kind::ObjectStore,
            ),
        ]
    }

    /// A new stream from this request (every required field present), or a change of
    /// `existing`; `now` stamps it and resolves relative times in the filter.
    pub fn check(
        self,
        existing: Option<&Stream>,
        organization_id: &str,
        now: Millis,
    ) -> ApiResult<Checked> {
        let kind = match (existing, self.kind.as_deref()) {
            (Some(old), Some(new)) if old.kind != new => {
                return Err(invalid(
                    "kind",
                    "immutable",
                    "A stream's `kind` cannot change; create another stream.",
                ));
            }
            (Some(old), _) => Kind::parse(&old.kind)
                .ok_or_else(|| ApiError::internal("a stored stream has an unknown kind"))?,
            (None, None) => return Err(invalid("kind", "required", "`kind` is required.")),
            (None, Some(text)) => Kind::parse(text).ok_or_else(|| {
                invalid(
                    "kind",
                    "one_of",
                    format!(
                        "`{text}` is not a stream kind; use splunk_hec, webhook, syslog or object_store."
                    ),
                )
            })?,
        };
        if let Some((field, _, owner)) = self
            .kind_fields()
            .into_iter()
            .find(|(_, set, owner)| *set && *owner != kind)
        {
            return Err(invalid(
                field,
                "not_for_kind",
                format!(
                    "`{field}` is a setting of `{}` streams, not `{}`.",
                    owner.as_str(),
                    kind.as_str()
                ),
            ));
        }
        if self.host.is_some() && matches!(kind, Kind::Webhook | Kind::ObjectStore) {
            return Err(invalid(
                "host",
                "not_for_kind",
                "`host` is a setting of `splunk_hec` and `syslog` streams.",
            ));
        }
        let name = match (&self.name, existing) {
            (Some(name), _) => text("name", name, 100)?,
            (None, Some(old)) => old.name.clone(),
            (None, None) => return Err(invalid("name", "required", "`name` is required.")),
        };
        let url = match (&self.url, existing) {
            (Some(url), _) => check_url(kind, url)?,
            (None, Some(old)) => old.url.clone(),
            (None, None) => return Err(invalid("url", "required", "`url` is required.")),
        };
        let format = match (&self.format, existing) {
            (Some(text), _) => Format::parse(text).ok_or_else(|| {
                invalid(
                    "format",
                    "one_of",
                    format!("`{text}` is not a format; use trail, ocsf, ecs or cef."),
                )
            })?,
            (None, Some(old)) => Format::parse(&old.format).unwrap_or(Format::Trail),
            (None, None) => Format::Trail,
        };
        if format == Format::Cef && kind != Kind::Syslog {
            return Err(invalid(
                "format",
                "not_for_kind",
                "`cef` is a format of syslog streams; use trail, ocsf or ecs.",
            ));
        }
        let filter = match (&self.filter, existing) {
            (Some(filter), _) => {
                let filter = filter.trim().to_owned();
                trail_core::query::parse(&filter, now)
                    .map_err(|e| ApiError::invalid_query("filter", &e))?;
                filter
            }
            (None, Some(old)) => old.filter.clone(),
            (None, None) => String::new(),
        };
        let mut settings = existing
            .and_then(|s| s.settings.as_object().cloned())
            .unwrap_or_default();
        let mut secrets = existing
            .and_then(|s| s.secrets.as_object().cloned())
            .unwrap_or_default();
        let mut shown_secret = None;
        match kind {
            Kind::SplunkHec => {
                match (&self.token, existing) {
                    (Some(token), _) => {
                        secrets.insert("token".into(), json!(text("token", token, MAX_TEXT)?));
                    }
                    (None, None) => {
                        return Err(invalid(
                            "token",
                            "required",
                            "`token` (the HEC token) is required.",
                        ));
                    }
                    (None, Some(_)) => {}
                }
                for (field, value) in [
                    ("index", &self.index),
                    ("sourcetype", &self.sourcetype),
                    ("source", &self.source),
                    ("host", &self.host),
                ] {
                    put_text(&mut settings, field, value.as_deref())?;
                }
                if let Some(ack) = self.ack {
                    settings.insert("ack".into(), json!(ack));
                }
            }
            Kind::Webhook => {
                let new = match (&self.secret, self.rotate_secret) {
                    (Some(_), Some(true)) => {
                        return Err(invalid(
                            "rotate_secret",
                            "conflict",
                            "Give `secret` or `rotate_secret`, not both.",
                        ));
                    }
                    (Some(secret), _) => {
                        webhook_key(secret).ok_or_else(|| {
                            invalid(
                                "secret",
                                "format",
                                "`secret` must be `whsec_` followed by 16–64 bytes in base64.",
                            )
                        })?;
                        Some(secret.clone())
                    }
                    (None, Some(true)) => Some(new_webhook_secret()),
                    (None, _) if existing.is_none() => Some(new_webhook_secret()),
                    (None, _) => None,
                };
                if let Some(new) = new {
                    if self.secret.is_none() {
                        shown_secret = Some(new.clone());
                    }
                    let mut keys = vec![json!({"secret": new})];
                    // The old secrets keep signing for a day, so receivers can switch over.
                    if let Some(old) = secrets.get("secrets").and_then(Value::as_array) {
                        keys.extend(old.iter().filter(|k| k.get("until").is_none()).map(
                            |k| json!({"secret": k["secret"], "until": now.0 + SECRET_OVERLAP_MS}),
                        ));
                        keys.extend(
                            old.iter()
                                .filter(|k| {
                                    k.get("until")
                                        .and_then(Value::as_i64)
                                        .is_some_and(|u| u > now.0)
                                })
                                .cloned(),
                        );
                    }
                    secrets.insert("secrets".into(), Value::Array(keys));
                }
            }
            Kind::Syslog => {
                if let Some(facility) = self.facility {
                    if facility > 23 {
                        return Err(invalid("facility", "range", "`facility` must be 0–23."));
                    }
                    settings.insert("facility".into(), json!(facility));
                }
                if let Some(app) = &self.app_name {
                    if app.is_empty()
                        || app.len() > 48
                        || !app.bytes().all(|b| (33..=126).contains(&b))
                    {
                        return Err(invalid(
                            "app_name",
                            "format",
                            "`app_name` must be 1–48 printable ASCII characters without spaces.",
                        ));
                    }
                    settings.insert("app_name".into(), json!(app));
                }
                if let Some(sd_id) = &self.sd_id {
                    let ok = !sd_id.is_empty()
                        && sd_id.len() <= 32
                        && sd_id
                            .bytes()
                            .all(|b| (33..=126).contains(&b) && !b"=]\" ".contains(&b));
                    if !ok {
                        return Err(invalid(
                            "sd_id",
                            "format",
                            "`sd_id` must be 1–32 printable ASCII characters other than `=`, `]`, `\"` and space, like `trail@32473`.",
                        ));
                    }
                    settings.insert("sd_id".into(), json!(sd_id));
                }
                put_text(&mut settings, "host", self.host.as_deref())?;
                if let Some(pem) = &self.ca_cert {
                    if pem.trim().is_empty() {
                        settings.remove("ca_cert");
                    } else {
                        super::sinks::syslog::parse_ca(pem).map_err(|e| {
                            invalid(
                                "ca_cert",
                                "pem",
                                format!("`ca_cert` is not a PEM certificate: {e}"),
                            )
                        })?;
                        settings.insert("ca_cert".into(), json!(pem));
                    }
                }
            }
            Kind::ObjectStore => {
                if let Some(region) = &self.region {
                    let ok = !region.is_empty()
                        && region.len() <= 50
                        && region
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                    if !ok {
                        return Err(invalid(
                            "region",
                            "format",
                            "`region` must be a region name like `eu-west-1` (lower-case letters, digits and `-`).",
                        ));
                    }
                    settings.insert("region".into(), json!(region));
                }
                if let Some(seconds) = self.flush_seconds {
                    if !(1..=3600).contains(&seconds) {
                        return Err(invalid(
                            "flush_seconds",
                            "range",
                            "`flush_seconds` must be 1–3600.",
                        ));
                    }
                    settings.insert("flush_seconds".into(), json!(seconds));
                }
                match self.endpoint.as_deref().map(str::trim) {
                    Some("") => {
                        settings.remove("endpoint");
                    }
                    Some(endpoint) => {
                        settings.insert("endpoint".into(), json!(check_endpoint(endpoint)?));
                    }
                    None => {}
                }
                for (field, value, into_secrets) in [
                    ("access_key_id", &self.access_key_id, false),
                    ("secret_access_key", &self.secret_access_key, true),
                ] {
                    let target = if into_secrets {
                        &mut secrets
                    } else {
                        &mut settings
                    };
                    match (value, existing) {
                        (Some(value), _) => {
                            target.insert(field.into(), json!(text(field, value, MAX_TEXT)?));
                        }
                        (None, None) => {
                            return Err(invalid(
                                field,
                                "required",
                                format!("`{field}` is required (the bucket's credentials)."),
                            ));
                        }
                        (None, Some(_)) => {}
                    }
                }
            }
        }
        let created_at = existing.map_or(now, |s| s.created_at);
        Ok(Checked {
            stream: Stream {
                organization_id: organization_id.to_owned(),
                id: existing.map_or_else(trail_core::ids::new_stream_id, |s| s.id.clone()),
                name,
                kind: kind.as_str().into(),
                format: format.as_str().into(),
                url,
                filter,
                settings: Value::Object(settings),
                secrets: Value::Object(secrets),
                created_at,
                updated_at: now,
            },
            shown_secret,
        })
    }
}

/// Sets a text setting (an empty string removes it).
fn put_text(settings: &mut Map<String, Value>, field: &str, value: Option<&str>) -> ApiResult<()> {
    match value {
        Some(v) if v.trim().is_empty() => {
            settings.remove(field);
        }
        Some(v) => {
            settings.insert(field.into(), json!(text(field, v, MAX_TEXT)?));
        }
        None => {}
    }
    Ok(())
}

/// The URL, checked for the kind: scheme, a host, no credentials in it.
fn check_url(kind: Kind, text: &str) -> ApiResult<String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| invalid("url", "format", format!("`url` is not a URL: {e}.")))?;
    let schemes: &[&str] = match kind {
        Kind::SplunkHec | Kind::Webhook => &["https", "http"],
        Kind::Syslog => &["tcp", "tls"],
        Kind::ObjectStore => &["s3"],
    };
    if !schemes.contains(&url.scheme()) {
        return Err(invalid(
            "url",
            "scheme",
            format!(
                "A `{}` stream's `url` must start with {}.",
                kind.as_str(),
                schemes
                    .iter()
                    .map(|s| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("url", "host", "`url` must name a host."));
    }
    if kind == Kind::ObjectStore {
        check_bucket_url(&url)?;
    }
    if kind == Kind::Syslog && url.port().is_none() {
        return Err(invalid(
            "url",
            "port",
            "A syslog `url` must name its port (`tcp://host:514`, `tls://host:6514`).",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "url",
            "credentials",
            "Put credentials in `token`, `secret` or `secret_access_key`, not in `url`.",
        ));
    }
    if text.len() > 2048 {
        return Err(invalid(
            "url",
            "length",
            "`url` must be at most 2048 characters.",
        ));
    }
    Ok(url.to_string())
}

/// An `s3://bucket/prefix` URL: a valid bucket name, a prefix of plain path segments.
fn check_bucket_url(url: &reqwest::Url) -> ApiResult<()> {
    let (bucket, prefix) = super::sinks::object_store::bucket_and_prefix(url);
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !ok {
        return Err(invalid(
            "url",
            "bucket",
            format!(
                "`{bucket}` is not a bucket name: 3–63 lower-case letters, digits, `.` and `-`, \
                 starting and ending with a letter or digit (`s3://my-bucket/audit`)."
            ),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "url",
            "format",
            "An object storage `url` is `s3://bucket/prefix`, without `?` or `#`.",
        ));
    }
    if !prefix.is_empty() && object_store::path::Path::parse(&prefix).is_err() {
        return Err(invalid(
            "url",
            "prefix",
            format!("`{prefix}` is not a usable key prefix (empty segments, `.` or `..`)."),
        ));
    }
    Ok(())
}

/// The endpoint of an S3-compatible server: `http(s)://host[:port]`, nothing more.
fn check_endpoint(text: &str) -> ApiResult<String> {
    let url = reqwest::Url::parse(text).map_err(|e| {
        invalid(
            "endpoint",
            "format",
            format!("`endpoint` is not a URL: {e}."),
        )
    })?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain || text.len() > 2048 {
        return Err(invalid(
            "endpoint",
            "format",
            "`endpoint` must be `https://host[:port]` (or `http://`), without a path or credentials.",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}
