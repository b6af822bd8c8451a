//! Retraced events: `POST …/project/{projectId}/event` and `…/event/bulk`. Each event becomes an
//! ordinary Trail event through `services::ingest::append_events`, with a server-chosen id, and
//! the answer carries that id and the Retraced hash the client recomputes (`hash.rs`). The
//! mapping (docs/migrating.md "Retraced"):
//!
//! - `actor` → `actor` (`id`, `name`; an anonymous event's actor is `anonymous`);
//! - `target` → `resource` (`type` defaults to `target`);
//! - `source_ip` → `context.ip`, `description` → `description`, `is_failure` → `outcome`,
//!   `created` → `occurred_at`;
//! - `fields` → `metadata` (its top-level keys);
//! - `crud` → `metadata.retraced_crud`, `group.id` → `metadata.retraced_group`, and what Trail's
//!   model has no place for (`group`, hrefs, actor and target fields, `is_anonymous`,
//!   `component`, `version`, `external_id`, `metadata`) under `metadata.retraced`;
//! - `source` is `retraced`.
//!
//! A request is checked whole before anything is stored: one bad event refuses the bulk.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use trail_core::event::{ActorInput, Context, EventInput, Outcome, Resource};
use trail_core::{FieldError, Millis, ids};

use super::hash::{self, Hashed};

pub const EXTRAS_KEY: &str = "retraced";
pub const CRUD_KEY: &str = "retraced_crud";
pub const GROUP_KEY: &str = "retraced_group";
pub const SOURCE: &str = "retraced";
/// The actor id of events sent with `is_anonymous` and no actor.
pub const ANONYMOUS: &str = "anonymous";

#[derive(Debug, Default, Deserialize)]
pub struct RetracedEvent {
    pub action: Option<String>,
    pub group: Option<Party>,
    pub crud: Option<String>,
    pub created: Option<String>,
    pub actor: Option<Party>,
    pub target: Option<Party>,
    pub source_ip: Option<String>,
    pub description: Option<String>,
    pub is_failure: Option<bool>,
    pub is_anonymous: Option<bool>,
    pub fields: Option<Map<String, Value>>,
    pub component: Option<String>,
    pub version: Option<String>,
    pub external_id: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

/// A group, actor or target.
#[derive(Debug, Default, Deserialize)]
pub struct Party {
    pub id: Option<String>,
    pub name: Option<String>,
    pub href: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub fields: Option<Map<String, Value>>,
}

/// An event ready to append, with the hash to answer.
pub struct Prepared {
    pub input: EventInput,
    pub id: String,
    pub hash: String,
}

fn strings(
    errors: &mut Vec<FieldError>,
    field: &str,
    map: Option<&Map<String, Value>>,
) -> Option<BTreeMap<String, String>> {
    let map = map?;
    let mut out = BTreeMap::new();
    for (key, value) in map {
        match value.as_str() {
            Some(text) => {
                out.insert(key.clone(), text.to_owned());
            }
            None => errors.push(FieldError::new(
                format!("{field}.{key}"),
                "type",
                format!("`{field}.{key}` must be a string."),
            )),
        }
    }
    Some(out)
}

fn needs_id(errors: &mut Vec<FieldError>, field: &str, party: Option<&Party>) {
    if party.is_some_and(|p| p.id.as_deref().is_none_or(|id| id.trim().is_empty())) {
        errors.push(FieldError::new(
            format!("{field}.id"),
            "required",
            format!("`{field}.id` is required."),
        ));
    }
}

/// Checks `event` (errors named `{prefix}action`, …) and prepares its Trail event and hash.
pub fn prepare(event: RetracedEvent, prefix: &str) -> Result<Prepared, Vec<FieldError>> {
    let mut errors = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    let action = event.action.clone().unwrap_or_default();
    if action.trim().is_empty() {
        errors.push(FieldError::new(
            field("action"),
            "required",
            "`action` is required.",
        ));
    }
    let crud = event.crud.clone().unwrap_or_default();
    if !matches!(crud.as_str(), "c" | "r" | "u" | "d") {
        errors.push(FieldError::new(
            field("crud"),
            "one_of",
            "`crud` must be one of c, r, u or d.",
        ));
    }
    let is_anonymous = event.is_anonymous.unwrap_or(false);
    if event.actor.is_none() && !is_anonymous {
        errors.push(FieldError::new(
            field("actor"),
            "required",
            "`actor` is required unless `is_anonymous` is true.",
        ));
    }
    needs_id(&mut errors, &field("actor"), event.actor.as_ref());
    needs_id(&mut errors, &field("group"), event.group.as_ref());
    needs_id(&mut errors, &field("target"), event.target.as_ref());
    if let Some(ip) = &event.source_ip
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        errors.push(FieldError::new(
            field("source_ip"),
            "ip",
            "`source_ip` must be an IPv4 or IPv6 address.",
        ));
    }
    let created = match &event.created {
        Some(text) => match Millis::parse_rfc3339(text) {
            Some(at) => Some(at),
            None => {
                errors.push(FieldError::new(
                    field("created"),
                    "format",
                    "`created` must be an ISO 8601 date-time.",
                ));
                None
            }
        },
        None => None,
    };
    let fields = strings(&mut errors, &field("fields"), event.fields.as_ref());
    let metadata = strings(&mut errors, &field("metadata"), event.metadata.as_ref());
    let actor_fields = strings(
        &mut errors,
        &field("actor.fields"),
        event.actor.as_ref().and_then(|a| a.fields.as_ref()),
    );
    let target_fields = strings(
        &mut errors,
        &field("target.fields"),
        event.target.as_ref().and_then(|t| t.fields.as_ref()),
    );
    for reserved in [EXTRAS_KEY, CRUD_KEY, GROUP_KEY] {
        if fields.as_ref().is_some_and(|f| f.contains_key(reserved)) {
            errors.push(FieldError::new(
                field(&format!("fields.{reserved}")),
                "reserved",
                format!("`fields.{reserved}` is reserved by Trail."),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let id = ids::new_event_id();
    let hash = hash::hash(&Hashed {
        id: &id,
        action: &action,
        target_id: event.target.as_ref().and_then(|t| t.id.as_deref()),
        actor_id: event.actor.as_ref().and_then(|a| a.id.as_deref()),
        group_id: event.group.as_ref().and_then(|g| g.id.as_deref()),
        source_ip: event.source_ip.as_deref(),
        is_failure: event.is_failure.unwrap_or(false),
        is_anonymous,
        fields: fields.as_ref(),
        external_id: event.external_id.as_deref(),
        metadata: metadata.as_ref(),
    });
    let mut extras = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value.filter(|v| !v.is_null()) {
            extras.insert(key.to_owned(), value);
        }
    };
    put(
        "group",
        event
            .group
            .as_ref()
            .map(|g| json!({"id": g.id, "name": g.name})),
    );
    put(
        "actor_href",
        event
            .actor
            .as_ref()
            .and_then(|a| a.href.clone())
            .map(Value::from),
    );
    put("actor_fields", actor_fields.map(|f| json!(f)));
    put(
        "target_href",
        event
            .target
            .as_ref()
            .and_then(|t| t.href.clone())
            .map(Value::from),
    );
    put("target_fields", target_fields.map(|f| json!(f)));
    put("is_anonymous", is_anonymous.then_some(Value::Bool(true)));
    put("component", event.component.clone().map(Value::from));
    put("version", event.version.clone().map(Value::from));
    put("external_id", event.external_id.clone().map(Value::from));
    put("metadata", metadata.map(|m| json!(m)));
    put("hash", Some(hash.clone().into()));
    let mut trail_metadata: Map<String, Value> = fields
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    trail_metadata.insert(CRUD_KEY.into(), crud.into());
    if let Some(group) = event.group.as_ref().and_then(|g| g.id.clone()) {
        trail_metadata.insert(GROUP_KEY.into(), group.into());
    }
    trail_metadata.insert(EXTRAS_KEY.into(), Value::Object(extras));
    let actor = match event.actor {
        Some(actor) => ActorInput {
            id: actor.id.unwrap_or_default(),
            kind: Some("user".into()),
            name: actor.name,
            email: None,
            role: None,
        },
        None => ActorInput {
            id: ANONYMOUS.into(),
            kind: Some("user".into()),
            name: None,
            email: None,
            role: None,
        },
    };
    let input = EventInput {
        id: Some(id.clone()),
        action,
        area: None,
        occurred_at: created,
        actor,
        resource: event.target.map(|t| Resource {
            kind: t.kind.unwrap_or_else(|| "target".into()),
            id: t.id,
            name: t.name,
        }),
        targets: None,
        source: Some(SOURCE.into()),
        outcome: Some(if event.is_failure.unwrap_or(false) {
            Outcome::Failure
        } else {
            Outcome::Success
        }),
        reason: None,
        description: event.description,
        context: event.source_ip.map(|ip| Context {
            ip: Some(ip),
            ..Context::default()
        }),
        changes: None,
        metadata: Some(trail_metadata),
    };
    Ok(Prepared { input, id, hash })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(body: Value) -> RetracedEvent {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn an_event_maps_onto_trail_fields_and_hashes_with_its_new_id() {
        let prepared = prepare(
            event(json!({"action": "user.login", "crud": "c", "group": {"id": "g1", "name": "Acme"},
                "actor": {"id": "jane", "name": "Jane", "href": "https://x/jane"},
                "target": {"id": "doc:42", "name": "Q3", "type": "document"}, "source_ip": "10.0.0.1",
                "fields": {"a": "1"}, "is_failure": true, "external_id": "e1", "metadata": {"k": "v"}})),
            "",
        )
        .map_err(|e| format!("{e:?}"))
        .unwrap();
        let input = &prepared.input;
        assert_eq!(input.id.as_deref(), Some(prepared.id.as_str()));
        assert_eq!(input.actor.id, "jane");
        assert_eq!(input.resource.as_ref().unwrap().kind, "document");
        assert_eq!(input.outcome, Some(Outcome::Failure));
        let metadata = Value::Object(input.metadata.clone().unwrap());
        assert_eq!(metadata["a"], "1");
        assert_eq!(metadata["retraced_crud"], "c");
        assert_eq!(metadata["retraced_group"], "g1");
        assert_eq!(metadata["retraced"]["actor_href"], "https://x/jane");
        let fields = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        let meta = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
        let expected = hash::hash(&Hashed {
            id: &prepared.id,
            action: "user.login",
            target_id: Some("doc:42"),
            actor_id: Some("jane"),
            group_id: Some("g1"),
            source_ip: Some("10.0.0.1"),
            is_failure: true,
            is_anonymous: false,
            fields: Some(&fields),
            external_id: Some("e1"),
            metadata: Some(&meta),
        });
        assert_eq!(prepared.hash, expected);
    }

    #[test]
    fn bad_events_are_refused_field_by_field() {
        let errors = prepare(
            event(
                json!({"crud": "x", "actor": {"name": "n"}, "source_ip": "nowhere",
                "fields": {"n": 1, "retraced": "x"}}),
            ),
            "events[2].",
        )
        .err()
        .unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "events[2].action",
                "events[2].crud",
                "events[2].actor.id",
                "events[2].source_ip",
                "events[2].fields.n",
                "events[2].fields.retraced"
            ]
        );
        assert!(
            prepare(event(json!({"action": "a", "crud": "r"})), "").is_err(),
            "no actor"
        );
        assert!(
            prepare(
                event(json!({"action": "a", "crud": "r", "is_anonymous": true})),
                ""
            )
            .is_ok()
        );
    }
}
