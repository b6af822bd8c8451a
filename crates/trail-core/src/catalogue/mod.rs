//! The event-type catalogue: an organization's actions with a label, an area, a description, an
//! optional JSON Schema for `metadata`, `resource` and `targets`, an optional display template,
//! and whether the type is enabled (docs/event-types.md). [`EventTypeDraft::check`] refuses bad
//! input field by field; [`compiled::Catalogue`] compiles a whole catalogue once, validates
//! events against it and renders their display text.

pub mod compiled;
pub mod schema;
pub mod template;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{FieldError, Millis};

/// Largest JSON Schema accepted, in bytes of JSON.
pub const MAX_SCHEMA_BYTES: usize = 16 * 1024;
/// Longest display template, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 1024;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Most event types one organization may catalogue.
pub const MAX_EVENT_TYPES: usize = 2000;

/// How an organization checks events against its catalogue (`PATCH /v1/settings`
/// `{"event_type_validation"}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationMode {
    /// Nothing is checked.
    #[default]
    Off,
    /// Events are accepted and marked with the rules they break (`trail.violations`).
    Warn,
    /// A batch with an event that breaks its type's schema is refused (422).
    Enforce,
}

impl ValidationMode {
    pub const ALL: [ValidationMode; 3] = [
        ValidationMode::Off,
        ValidationMode::Warn,
        ValidationMode::Enforce,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ValidationMode::Off => "off",
            ValidationMode::Warn => "warn",
            ValidationMode::Enforce => "enforce",
        }
    }

    pub fn parse(text: &str) -> Option<ValidationMode> {
        ValidationMode::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// An event type as a client writes it (`PUT /v1/event-types/{action}`, one entry of an import).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTypeDraft {
    /// Set from the path on `PUT`; required in an imported file.
    #[serde(default)]
    pub action: String,
    /// Defaults to the action's first segment.
    #[serde(default)]
    pub area: Option<String>,
    /// Defaults to the action's words after the area ("member.role_changed" → "Role Changed").
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata_schema: Option<Value>,
    #[serde(default)]
    pub resource_schema: Option<Value>,
    /// Checked against each of `targets`.
    #[serde(default)]
    pub targets_schema: Option<Value>,
    /// A sentence with `{{ placeholders }}` (docs/event-types.md "Templates").
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// An event type as stored and returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventType {
    pub action: String,
    pub area: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    pub enabled: bool,
    /// The schema version: 1 for the first, +1 whenever the schemas change.
    pub version: u32,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl EventType {
    /// Whether a check against this type's schemas means anything.
    pub fn has_schema(&self) -> bool {
        self.metadata_schema.is_some()
            || self.resource_schema.is_some()
            || self.targets_schema.is_some()
    }

    /// The draft that would store this type again (exports, adopting).
    pub fn to_draft(&self) -> EventTypeDraft {
        EventTypeDraft {
            action: self.action.clone(),
            area: Some(self.area.clone()),
            label: Some(self.label.clone()),
            description: self.description.clone(),
            metadata_schema: self.metadata_schema.clone(),
            resource_schema: self.resource_schema.clone(),
            targets_schema: self.targets_schema.clone(),
            template: self.template.clone(),
            enabled: Some(self.enabled),
        }
    }
}

/// A checked draft, ready to store: defaults applied, schemas compiled once to prove they are
/// valid, and `schemas` the canonical JSON the store compares to decide the version.
#[derive(Debug, Clone, PartialEq)]
pub struct EventTypeSpec {
    pub action: String,
    pub area: String,
    pub label: String,
    pub description: Option<String>,
    pub metadata_schema: Option<Value>,
    pub resource_schema: Option<Value>,
    pub targets_schema: Option<Value>,
    pub template: Option<String>,
    pub enabled: bool,
    /// RFC 8785 JSON of `{"metadata", "resource", "targets"}` schemas: equal text, same version.
    pub schemas: String,
}

impl EventTypeSpec {
    /// The stored type this spec becomes at `version`.
    pub fn into_event_type(self, version: u32, created_at: Millis, now: Millis) -> EventType {
        EventType {
            action: self.action,
            area: self.area,
            label: self.label,
            description: self.description,
            metadata_schema: self.metadata_schema,
            resource_schema: self.resource_schema,
            targets_schema: self.targets_schema,
            template: self.template,
            enabled: self.enabled,
            version,
            created_at,
            updated_at: now,
        }
    }
}

/// Whether `action` is a valid action name (`[a-z0-9_.-]`, 1–128 characters, starting with a
/// letter or digit): the rule ingest applies.
pub fn is_action_name(action: &str) -> bool {
    !action.is_empty()
        && action.len() <= 128
        && action
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        && action
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Whether `area` is a valid area name (`[a-z0-9_.-]`, 1–64 characters).
pub fn is_area_name(area: &str) -> bool {
    area.len() <= 64 && is_action_name(area)
}

/// The area an action defaults to: its first segment.
pub fn default_area(action: &str) -> &str {
    action.split('.').next().unwrap_or(action)
}

/// Words joined by `_`, `-` or `.` in title case, with well-known initialisms in capitals:
/// `api_keys` → "API Keys", `role_changed` → "Role Changed".
pub fn title_case(words: &str) -> String {
    const UPPER: [&str; 12] = [
        "api", "ip", "sso", "mfa", "rbac", "url", "ui", "id", "saml", "scim", "oauth", "siem",
    ];
    words
        .split(['_', '-', '.', ' '])
        .filter(|w| !w.is_empty())
        .map(|word| {
            if UPPER.contains(&word) {
                word.to_ascii_uppercase()
            } else {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// The label of an action with no event type: its words after the area ("member.role_changed"
/// in `members` → "Member Role Changed"; "scan.started" in `scan` → "Started").
pub fn default_label(action: &str, area: &str) -> String {
    let rest = action
        .strip_prefix(area)
        .and_then(|r| r.strip_prefix('.'))
        .filter(|r| !r.is_empty())
        .unwrap_or(action);
    title_case(rest)
}

impl EventTypeDraft {
    /// Checks the draft and applies its defaults. Every broken rule is reported, each naming its
    /// field under `prefix` (`""` for a PUT body, `event_types[3]` in an import).
    pub fn check(self, prefix: &str) -> Result<EventTypeSpec, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, rule: &str, message: String| {
            let error = FieldError::new(field, rule, message);
            errors.push(if prefix.is_empty() {
                error
            } else {
                error.within(prefix)
            });
        };
        if !is_action_name(&self.action) {
            fail(
                "action",
                "pattern",
                format!(
                    "`action` {:?} must be 1–128 characters of lowercase letters, digits, `_`, `.` or `-`, starting with a letter or digit.",
                    self.action
                ),
            );
        }
        let area = self
            .area
            .clone()
            .unwrap_or_else(|| default_area(&self.action).to_owned());
        // A derived area is only as good as the action, which is reported already.
        if !is_area_name(&area) && (self.area.is_some() || is_action_name(&self.action)) {
            fail(
                "area",
                "pattern",
                format!(
                    "`area` {area:?} must be 1–64 characters of lowercase letters, digits, `_`, `.` or `-`."
                ),
            );
        }
        let label = match self.label.as_deref().map(str::trim) {
            Some(label) => label.to_owned(),
            None => default_label(&self.action, &area),
        };
        if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
            fail(
                "label",
                "length",
                format!("`label` must be 1–{MAX_LABEL_CHARS} characters."),
            );
        }
        if label.chars().any(char::is_control) {
            fail(
                "label",
                "pattern",
                "`label` must not hold control characters.".into(),
            );
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            fail(
                "description",
                "length",
                format!("`description` must be at most {MAX_DESCRIPTION_CHARS} characters."),
            );
        }
        for (field, value) in [
            ("metadata_schema", &self.metadata_schema),
            ("resource_schema", &self.resource_schema),
            ("targets_schema", &self.targets_schema),
        ] {
            if let Some(value) = value
                && let Err(message) = schema::check(value)
            {
                fail(field, "json_schema", message);
            }
        }
        if let Some(source) = &self.template
            && let Err(message) = template::check(source)
        {
            fail("template", "template", message);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let schemas = serde_json_canonicalizer::to_string(&serde_json::json!({
            "metadata": self.metadata_schema,
            "resource": self.resource_schema,
            "targets": self.targets_schema,
        }))
        .expect("JSON values canonicalize");
        Ok(EventTypeSpec {
            action: self.action,
            area,
            label,
            description: self.description.filter(|d| !d.trim().is_empty()),
            metadata_schema: self.metadata_schema,
            resource_schema: self.resource_schema,
            targets_schema: self.targets_schema,
            template: self.template.filter(|t| !t.trim().is_empty()),
            enabled: self.enabled.unwrap_or(true),
            schemas,
        })
    }
}

/// The whole catalogue as one JSON file (`GET /v1/event-types/export`,
/// `POST /v1/event-types/import`, `trail event-types export|import`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueFile {
    /// The file format's version, 1.
    #[serde(default = "file_version")]
    pub trail_event_types: u32,
    pub event_types: Vec<EventTypeDraft>,
}

fn file_version() -> u32 {
    1
}

/// Checks every entry of an imported file; errors name `event_types[i].field`. An action listed
/// twice is an error too.
pub fn check_file(file: CatalogueFile) -> Result<Vec<EventTypeSpec>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if file.trail_event_types != 1 {
        errors.push(FieldError::new(
            "trail_event_types",
            "version",
            "Only version 1 of the event-types file is known.",
        ));
    }
    if file.event_types.len() > MAX_EVENT_TYPES {
        errors.push(FieldError::new(
            "event_types",
            "too_many",
            format!("At most {MAX_EVENT_TYPES} event types are allowed."),
        ));
        return Err(errors);
    }
    let mut specs = Vec::with_capacity(file.event_types.len());
    let mut seen = std::collections::HashSet::new();
    for (i, draft) in file.event_types.into_iter().enumerate() {
        let prefix = format!("event_types[{i}]");
        if !seen.insert(draft.action.clone()) {
            errors.push(FieldError::new(
                format!("{prefix}.action"),
                "unique",
                format!("`{}` is listed more than once.", draft.action),
            ));
            continue;
        }
        match draft.check(&prefix) {
            Ok(spec) => specs.push(spec),
            Err(more) => errors.extend(more),
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(action: &str) -> EventTypeDraft {
        EventTypeDraft {
            action: action.into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_come_from_the_action() {
        let spec = draft("member.role_changed").check("").unwrap();
        assert_eq!(spec.area, "member");
        assert_eq!(spec.label, "Role Changed");
        assert!(spec.enabled);
        let spec = EventTypeDraft {
            area: Some("api_keys".into()),
            ..draft("api_key.created")
        }
        .check("")
        .unwrap();
        assert_eq!(spec.label, "API Key Created");
        assert_eq!(title_case("api_keys"), "API Keys");
    }

    #[test]
    fn bad_drafts_name_every_broken_field() {
        let errors = EventTypeDraft {
            area: Some("Members!".into()),
            metadata_schema: Some(json!({"type": "strnig"})),
            template: Some("{{ actor.name ".into()),
            ..draft("Member Invited")
        }
        .check("")
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["action", "area", "metadata_schema", "template"]);
        assert!(
            errors[2].message.contains("strnig"),
            "{}",
            errors[2].message
        );
    }

    #[test]
    fn the_schema_text_ignores_key_order() {
        let a = EventTypeDraft {
            metadata_schema: Some(json!({"type": "object", "required": ["plan"]})),
            ..draft("a.b")
        };
        let b = EventTypeDraft {
            metadata_schema: serde_json::from_str(r#"{"required":["plan"],"type":"object"}"#)
                .unwrap(),
            label: Some("Other".into()),
            ..draft("a.b")
        };
        assert_eq!(a.check("").unwrap().schemas, b.check("").unwrap().schemas);
    }

    #[test]
    fn files_refuse_duplicates_with_their_index() {
        let file = CatalogueFile {
            trail_event_types: 1,
            event_types: vec![draft("a.b"), draft("a.c"), draft("a.b")],
        };
        let errors = check_file(file).unwrap_err();
        assert_eq!(errors[0].field, "event_types[2].action");
        assert_eq!(errors[0].rule, "unique");
    }
}
