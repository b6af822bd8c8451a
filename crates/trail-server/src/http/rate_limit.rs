//! Per-credential and per-organization rate limits on ingest and search: token buckets refilled
//! at the configured requests per second, holding one second's worth. Every limited answer
//! carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF draft
//! ratelimit-headers) of the tightest bucket; past it 429 `rate_limited` with `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::HttpSettings;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// Buckets kept before full (unused) ones are dropped.
const PRUNE_AT: usize = 10_000;

/// What a request is counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Ingest,
    Search,
}

impl Class {
    pub fn of(method: &Method, path: &str) -> Option<Class> {
        let path = path.trim_end_matches('/');
        if super::limits::is_ingest(method, path) || crate::compat::is_ingest(method, path) {
            return Some(Class::Ingest);
        }
        let search_path = path == "/v1/events" || path.starts_with("/v1/events/");
        let reads =
            method == Method::GET || (method == Method::POST && path == "/v1/events/search");
        (search_path && reads).then_some(Class::Search)
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every credential and organization.
pub struct RateLimiter {
    settings: HttpSettings,
    buckets: Mutex<HashMap<(Class, String), Bucket>>,
}

/// The state of the tightest bucket after a request was counted.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds until one request is allowed again.
    pub retry_after_secs: u64,
}

impl RateLimiter {
    pub fn new(settings: &HttpSettings) -> Arc<RateLimiter> {
        Arc::new(RateLimiter {
            settings: settings.clone(),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    fn rates(&self, class: Class) -> (u32, u32) {
        let r = &self.settings.rates;
        match class {
            Class::Ingest => (r.ingest_per_key, r.ingest_per_org),
            Class::Search => (r.search_per_key, r.search_per_org),
        }
    }

    /// Counts one request of `class` by credential `key` in organization `org`, at `now`.
    pub fn check(
        &self,
        class: Class,
        key: &str,
        org: Option<&str>,
        now: Instant,
    ) -> Option<Verdict> {
        let (per_key, per_org) = self.rates(class);
        let mut wanted = Vec::with_capacity(2);
        if per_key > 0 {
            wanted.push((format!("key:{key}"), per_key));
        }
        if let Some(org) = org
            && per_org > 0
        {
            wanted.push((format!("org:{org}"), per_org));
        }
        if wanted.is_empty() {
            return None;
        }
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() > PRUNE_AT {
            buckets.retain(|_, b| now.duration_since(b.at).as_secs() < 2);
        }
        // Refill every bucket, then take a token from all of them only if each has one.
        let mut states = Vec::with_capacity(wanted.len());
        for (name, rate) in &wanted {
            let bucket = buckets.entry((class, name.clone())).or_insert(Bucket {
                tokens: f64::from(*rate),
                at: now,
            });
            let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * f64::from(*rate)).min(f64::from(*rate));
            bucket.at = now;
            states.push(bucket.tokens);
        }
        let allowed = states.iter().all(|t| *t >= 1.0);
        let mut tightest: Option<Verdict> = None;
        for ((name, rate), _) in wanted.iter().zip(&states) {
            let bucket = buckets
                .get_mut(&(class, name.clone()))
                .expect("just inserted");
            if allowed {
                bucket.tokens -= 1.0;
            }
            let rate_f = f64::from(*rate);
            let verdict = Verdict {
                allowed,
                limit: *rate,
                remaining: bucket.tokens.max(0.0).floor() as u32,
                reset_secs: ((rate_f - bucket.tokens) / rate_f).ceil().max(0.0) as u64,
                retry_after_secs: ((1.0 - bucket.tokens).max(0.0) / rate_f).ceil().max(1.0) as u64,
            };
            if tightest.is_none_or(|t| verdict.remaining < t.remaining) {
                tightest = Some(verdict);
            }
        }
        tightest
    }
}

/// Counts ingest and search requests against their buckets; other requests pass untouched.
pub async fn middleware(
    State((state, limiter)): State<(AppState, Arc<RateLimiter>)>,
    request: Request,
    next: Next,
) -> Response {
    let Some(class) = Class::of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    if limiter.rates(class) == (0, 0) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // A request that does not authenticate is not counted; its handler answers 401.
    let Ok(principal) = Principal::from_request_parts(&mut parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let query_org = query_organization(parts.uri.query());
    let (key, org) = identity(&principal, query_org);
    parts.extensions.insert(principal);
    let verdict = limiter.check(class, &key, org.as_deref(), Instant::now());
    let mut response = match verdict {
        Some(v) if !v.allowed => {
            metrics::counter!("trail_http_rate_limited_total").increment(1);
            let mut err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "Too many {} requests: at most {} per second; retry after the time in Retry-After.",
                    match class {
                        Class::Ingest => "ingest",
                        Class::Search => "search",
                    },
                    v.limit
                ),
            );
            err.retry_after_secs = Some(v.retry_after_secs);
            err.into_response()
        }
        _ => next.run(Request::from_parts(parts, body)).await,
    };
    if let Some(v) = verdict {
        let headers = response.headers_mut();
        headers.insert("ratelimit-limit", HeaderValue::from(v.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(v.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(v.reset_secs));
    }
    response
}

/// The credential and organization a request is counted against.
fn identity(principal: &Principal, query_org: Option<String>) -> (String, Option<String>) {
    match principal {
        Principal::Operator => ("operator".to_owned(), query_org),
        Principal::Key(key) => (
            format!("api_key:{}", key.id),
            key.organization_id.clone().or(query_org),
        ),
        Principal::Member(member) => (
            format!("user:{}", member.user.id),
            member
                .membership
                .as_ref()
                .map(|m| m.organization_id.clone()),
        ),
        Principal::Viewer(claims) => (
            format!("viewer:{}:{}", claims.org, claims.iat),
            Some(claims.org.clone()),
        ),
    }
}

fn query_organization(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "organization_id")
        .map(|(_, v)| v.into_owned())
}
