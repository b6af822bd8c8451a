//! Request and answer shapes of the `/v1` API as the client sends and reads them. Answers ignore
//! fields they do not know, so a newer server stays readable.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trail_core::Millis;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub created_at: Option<Millis>,
}

/// An API key as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiKey {
    pub id: String,
    #[serde(default)]
    pub organization_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// First characters of the secret, to tell keys apart.
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub created_at: Option<Millis>,
    #[serde(default)]
    pub expires_at: Option<Millis>,
    #[serde(default)]
    pub last_used_at: Option<Millis>,
    #[serde(default)]
    pub revoked_at: Option<Millis>,
}

/// A key just created: the only time its secret is ever shown.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreatedApiKey {
    pub secret: String,
    #[serde(flatten)]
    pub key: ApiKey,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("secret", &"[redacted]")
            .field("key", &self.key)
            .finish()
    }
}

/// `POST /v1/api-keys`. `organization_id` is needed only with the operator credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewApiKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub name: String,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
}

/// What one ingested event became.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Appended {
    pub id: String,
    pub seq: u64,
    pub hash: String,
}

/// Newest first (`desc`, the default) or oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

/// The key results are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    OccurredAt,
    Seq,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::OccurredAt => "occurred_at",
            Sort::Seq => "seq",
        }
    }
}

/// A search: the query language in `q`, a time window (RFC 3339 or relative like `30d`), paging.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// 1–1000; the server's default is 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<Sort>,
}

impl SearchParams {
    /// The parameters as query-string pairs, in a fixed order.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        let mut push = |key, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((key, value));
            }
        };
        push("q", self.q.clone());
        push("from", self.from.clone());
        push("to", self.to.clone());
        push("limit", self.limit.map(|l| l.to_string()));
        push("cursor", self.cursor.clone());
        push("order", self.order.map(|o| o.as_str().to_owned()));
        push("sort", self.sort.map(|s| s.as_str().to_owned()));
        pairs
    }
}

/// One structured filter row: `{"field": "actor.email", "op": "eq", "value": "alice@example.com"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub field: String,
    pub op: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
}

/// `POST /v1/events/search`: the search parameters plus structured filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchRequest {
    #[serde(flatten)]
    pub params: SearchParams,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<Filter>,
}

/// One page of events. Events are kept exactly as the server sent them (including `proof` or
/// `display` when present); each deserializes into a [`trail_core::Event`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Page {
    pub events: Vec<Value>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// Distinct values of a field with how many matching events carry each.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Facets {
    pub field: String,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_params_skip_what_is_unset() {
        let params = SearchParams {
            q: Some("actor:alice".into()),
            limit: Some(10),
            order: Some(Order::Asc),
            sort: Some(Sort::Seq),
            ..SearchParams::default()
        };
        let pairs = params.query_pairs();
        assert_eq!(
            pairs,
            vec![
                ("q", "actor:alice".to_owned()),
                ("limit", "10".to_owned()),
                ("order", "asc".to_owned()),
                ("sort", "seq".to_owned()),
            ]
        );
        let body = serde_json::to_value(SearchRequest {
            params,
            filters: vec![Filter {
                field: "action".into(),
                op: "starts_with".into(),
                value: "member.".into(),
            }],
        })
        .unwrap();
        assert_eq!(body["order"], "asc");
        assert_eq!(body["filters"][0]["op"], "starts_with");
        assert!(body.get("cursor").is_none());
    }

    #[test]
    fn created_key_reads_flat_and_never_debug_prints_its_secret() {
        let created: CreatedApiKey = serde_json::from_str(
            r#"{"id":"key_1","secret":"trail_s3cret","scopes":["events:read"],"name":"ci",
                "prefix":"trail_s3","organization_id":"org_1","created_at":"2026-11-21T10:00:00.000Z",
                "expires_at":null,"future_field":true}"#,
        )
        .unwrap();
        assert_eq!(created.key.scopes, ["events:read"]);
        assert!(!format!("{created:?}").contains("s3cret"));
    }
}

/// A member of an organization (`GET /v1/members`). `id` is the user's id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Member {
    pub id: String,
    #[serde(default)]
    pub organization_id: Option<String>,
    pub email: String,
    #[serde(default)]
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub actor_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<Millis>,
    #[serde(default)]
    pub deactivated_at: Option<Millis>,
}

/// `POST /v1/members`. `password` creates the account when the email is new; leave it out to
/// add an existing account.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct NewMember {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub email: String,
    pub name: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
}

impl std::fmt::Debug for NewMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMember")
            .field("organization_id", &self.organization_id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("actor_id", &self.actor_id)
            .finish()
    }
}

/// `PATCH /v1/members/{id}`: fields left `None` are not changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemberChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `Some(None)` clears the actor id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A built-in or custom role (`GET /v1/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub built_in: bool,
}
