//! A typed async client for Trail's `/v1` HTTP API: organizations, API keys, members and roles,
//! ingest, search and export jobs.
//!
//! ```no_run
//! # async fn example() -> Result<(), trail_client::Error> {
//! let client = trail_client::Client::new("http://127.0.0.1:8480", "trail_…")?;
//! let page = client.search(&trail_client::SearchParams {
//!     q: Some("action:member.*".into()),
//!     ..Default::default()
//! }).await?;
//! # Ok(()) }
//! ```

mod error;
mod event_types;
mod exports;
mod streams;
mod types;

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::{Error, describe_detail};
pub use event_types::{CatalogueFile, EventType, EventTypeDraft};
pub use exports::{Download, Export, NewExport};
pub use streams::{Stream, StreamHealth};
pub use types::{
    ApiKey, Appended, CreatedApiKey, FacetValue, Facets, Filter, Member, MemberChange, NewApiKey,
    NewMember, Order, Organization, Page, Role, SearchParams, SearchRequest, Sort,
};

/// `Content-Type` of a newline-delimited JSON ingest body.
pub const NDJSON: &str = "application/x-ndjson";

/// How long one request may take before it fails as a transport error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to one Trail server with one bearer credential. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: String,
    organization_id: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &"[redacted]")
            .field("organization_id", &self.organization_id)
            .finish()
    }
}

impl Client {
    /// A client for the server at `base_url` (`http://127.0.0.1:8480`) authenticating with `token`
    /// (an organization API key or the operator credential).
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<Client, Error> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let mut base = Url::parse(base_url).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("trail-client/", env!("CARGO_PKG_VERSION")))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(Error::Transport)?;
        Ok(Client {
            http,
            base,
            token: token.into(),
            organization_id: None,
        })
    }

    /// Names the organization on every call about one, as the operator credential must
    /// (`organization_id` as a query parameter, or a body field where the body carries it).
    pub fn with_organization(mut self, organization_id: Option<String>) -> Client {
        self.organization_id = organization_id;
        self
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// `POST /v1/organizations` (operator credential).
    pub async fn create_organization(&self, name: &str) -> Result<Organization, Error> {
        let body = serde_json::json!({ "name": name });
        self.send_json(Method::POST, "v1/organizations", &[], Some(&body))
            .await
    }

    /// `GET /v1/organizations`.
    pub async fn list_organizations(&self) -> Result<Vec<Organization>, Error> {
        #[derive(serde::Deserialize)]
        struct List {
            organizations: Vec<Organization>,
        }
        let list: List = self
            .send_json(Method::GET, "v1/organizations", &[], None::<&()>)
            .await?;
        Ok(list.organizations)
    }

    /// `PUT /v1/organizations/{id}/external-ids/{external_id}` (operator credential): the
    /// compatibility routes then accept `external_id` as organization `id`.
    pub async fn link_external_id(&self, id: &str, external_id: &str) -> Result<(), Error> {
        let path = format!(
            "v1/organizations/{}/external-ids/{}",
            path_segment(id),
            path_segment(external_id)
        );
        let _: serde_json::Value = self.send_json(Method::PUT, &path, &[], None::<&()>).await?;
        Ok(())
    }

    /// `POST /v1/api-keys`; the answer carries the secret, shown only this once. Fills
    /// `organization_id` from [`Client::with_organization`] when the request leaves it out.
    pub async fn create_api_key(&self, key: &NewApiKey) -> Result<CreatedApiKey, Error> {
        let mut key = key.clone();
        if key.organization_id.is_none() {
            key.organization_id.clone_from(&self.organization_id);
        }
        self.send_json(Method::POST, "v1/api-keys", &[], Some(&key))
            .await
    }

    /// `GET /v1/api-keys`.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, Error> {
        #[derive(serde::Deserialize)]
        struct List {
            api_keys: Vec<ApiKey>,
        }
        let list: List = self
            .send_json(Method::GET, "v1/api-keys", &self.org_query(), None::<&()>)
            .await?;
        Ok(list.api_keys)
    }

    /// `DELETE /v1/api-keys/{id}`: answers the revoked key.
    pub async fn revoke_api_key(&self, id: &str) -> Result<ApiKey, Error> {
        let path = format!("v1/api-keys/{}", path_segment(id));
        self.send_json(Method::DELETE, &path, &self.org_query(), None::<&()>)
            .await
    }

    /// `GET /v1/members`: the organization's members, deactivated ones included.
    pub async fn list_members(&self) -> Result<Vec<Member>, Error> {
        #[derive(serde::Deserialize)]
        struct List {
            members: Vec<Member>,
        }
        let list: List = self
            .send_json(Method::GET, "v1/members", &self.org_query(), None::<&()>)
            .await?;
        Ok(list.members)
    }

    /// `POST /v1/members`. Fills `organization_id` from [`Client::with_organization`].
    pub async fn add_member(&self, member: &NewMember) -> Result<Member, Error> {
        let mut member = member.clone();
        if member.organization_id.is_none() {
            member.organization_id.clone_from(&self.organization_id);
        }
        self.send_json(Method::POST, "v1/members", &[], Some(&member))
            .await
    }

    /// `PATCH /v1/members/{id}`: change a role or actor id, deactivate or reactivate.
    pub async fn update_member(&self, id: &str, change: &MemberChange) -> Result<Member, Error> {
        let mut change = change.clone();
        if change.organization_id.is_none() {
            change.organization_id.clone_from(&self.organization_id);
        }
        let path = format!("v1/members/{}", path_segment(id));
        self.send_json(Method::PATCH, &path, &[], Some(&change))
            .await
    }

    /// `GET /v1/roles`: the built-in roles, then the organization's custom roles.
    pub async fn list_roles(&self) -> Result<Vec<Role>, Error> {
        #[derive(serde::Deserialize)]
        struct List {
            roles: Vec<Role>,
        }
        let list: List = self
            .send_json(Method::GET, "v1/roles", &self.org_query(), None::<&()>)
            .await?;
        Ok(list.roles)
    }

    /// `POST /v1/events` with a body as is: one JSON event, a JSON array (`application/json`) or
    /// NDJSON ([`NDJSON`]). All or nothing; answers once the write is durable.
    pub async fn ingest(&self, body: Vec<u8>, content_type: &str) -> Result<Vec<Appended>, Error> {
        #[derive(serde::Deserialize)]
        struct Answer {
            events: Vec<Appended>,
        }
        let content_type = HeaderValue::from_str(content_type)
            .map_err(|_| Error::Decode(format!("invalid content type `{content_type}`")))?;
        let request = self
            .request(Method::POST, "v1/events", &self.org_query())?
            .header(CONTENT_TYPE, content_type)
            .body(body);
        let answer: Answer = self.execute(request).await?;
        Ok(answer.events)
    }

    /// `POST /v1/events` with events as a JSON array (`serde_json::Value`s, `EventInput`s, …).
    pub async fn ingest_events<E: Serialize>(&self, events: &[E]) -> Result<Vec<Appended>, Error> {
        let body = serde_json::to_vec(events).map_err(|e| Error::Decode(e.to_string()))?;
        self.ingest(body, "application/json").await
    }

    /// `GET /v1/events`: one page.
    pub async fn search(&self, params: &SearchParams) -> Result<Page, Error> {
        let mut pairs = params.query_pairs();
        pairs.extend(self.org_query());
        self.send_json(Method::GET, "v1/events", &pairs, None::<&()>)
            .await
    }

    /// `POST /v1/events/search`: one page, with structured filters.
    pub async fn search_post(&self, request: &SearchRequest) -> Result<Page, Error> {
        let mut body = serde_json::to_value(request).map_err(|e| Error::Decode(e.to_string()))?;
        if let (Some(org), Some(fields)) = (&self.organization_id, body.as_object_mut()) {
            fields.insert("organization_id".to_owned(), Value::String(org.clone()));
        }
        self.send_json(Method::POST, "v1/events/search", &[], Some(&body))
            .await
    }

    /// `GET /v1/events/count`: how many events match (paging does not apply).
    pub async fn count(&self, params: &SearchParams) -> Result<u64, Error> {
        #[derive(serde::Deserialize)]
        struct Count {
            count: u64,
        }
        let mut pairs = params.query_pairs();
        pairs.retain(|(key, _)| !matches!(*key, "limit" | "cursor"));
        pairs.extend(self.org_query());
        let count: Count = self
            .send_json(Method::GET, "v1/events/count", &pairs, None::<&()>)
            .await?;
        Ok(count.count)
    }

    /// `GET /v1/events/facets?field=…`: distinct values of `field` among events matching the
    /// query and time window of `params` (its paging and order do not apply).
    pub async fn facets(
        &self,
        field: &str,
        params: &SearchParams,
        limit: Option<u32>,
    ) -> Result<Facets, Error> {
        let mut pairs: Vec<(&str, String)> = vec![("field", field.to_owned())];
        pairs.extend(
            params
                .query_pairs()
                .into_iter()
                .filter(|(key, _)| matches!(*key, "q" | "from" | "to")),
        );
        if let Some(limit) = limit {
            pairs.push(("limit", limit.to_string()));
        }
        pairs.extend(self.org_query());
        self.send_json(Method::GET, "v1/events/facets", &pairs, None::<&()>)
            .await
    }

    /// `GET /v1/events/{id}`: the event as the server returns it (with its inclusion `proof`).
    pub async fn get_event(&self, id: &str) -> Result<Value, Error> {
        let path = format!("v1/events/{}", path_segment(id));
        self.send_json(Method::GET, &path, &self.org_query(), None::<&()>)
            .await
    }

    /// `organization_id` as a query parameter, when the client names one.
    fn org_query(&self) -> Vec<(&'static str, String)> {
        self.organization_id
            .iter()
            .map(|org| ("organization_id", org.clone()))
            .collect()
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<reqwest::RequestBuilder, Error> {
        let mut url = self.base.join(path).map_err(|e| Error::InvalidUrl {
            url: format!("{}{path}", self.base),
            reason: e.to_string(),
        })?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|_| Error::Decode("the token holds characters a header cannot".into()))?;
        auth.set_sensitive(true);
        Ok(self.http.request(method, url).header(AUTHORIZATION, auth))
    }

    async fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, Error> {
        let mut request = self.request(method, path, query)?;
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).map_err(|e| Error::Decode(e.to_string()))?;
            request = request.header(CONTENT_TYPE, "application/json").body(bytes);
        }
        self.execute(request).await
    }

    async fn execute<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        let response = request.send().await.map_err(Error::Transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(Error::Transport)?;
        if !status.is_success() {
            return Err(Error::from_response(
                status.as_u16(),
                retry_after.as_deref(),
                &body,
            ));
        }
        serde_json::from_slice(&body).map_err(|e| Error::Decode(e.to_string()))
    }
}

/// Percent-encodes an id for use as one path segment.
fn path_segment(id: &str) -> String {
    let mut url = Url::parse("http://x/").expect("a constant URL parses");
    url.path_segments_mut()
        .expect("an http URL has path segments")
        .push(id);
    url.path().trim_start_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths_under_a_base_with_or_without_a_prefix() {
        let client = Client::new("http://127.0.0.1:8480", "t").unwrap();
        let request = client
            .request(Method::GET, "v1/events", &[("q", "actor:a b".into())])
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            request.url().as_str(),
            "http://127.0.0.1:8480/v1/events?q=actor%3Aa+b"
        );
        let client = Client::new("https://example.com/trail", "t")
            .unwrap()
            .with_organization(Some("org_1".into()));
        let request = client
            .request(Method::GET, "v1/api-keys", &client.org_query())
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            request.url().as_str(),
            "https://example.com/trail/v1/api-keys?organization_id=org_1"
        );
    }

    #[test]
    fn rejects_unusable_urls_and_hides_the_token() {
        assert!(matches!(
            Client::new("ftp://x", "t"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(Client::new("not a url", "t").is_err());
        let client = Client::new("http://localhost", "trail_secret_value").unwrap();
        assert!(!format!("{client:?}").contains("secret_value"));
    }

    #[test]
    fn ids_are_one_path_segment() {
        assert_eq!(path_segment("evt_1"), "evt_1");
        assert_eq!(path_segment("a/b?c"), "a%2Fb%3Fc");
    }
}
