//! One organization's catalogue compiled for use: schemas compiled, templates parsed, labels
//! indexed. Built once per change of the catalogue (the server caches it), then used for every
//! ingested batch ([`Catalogue::check_batch`]) and every event shown ([`Catalogue::display`]).

use std::collections::HashMap;

use minijinja::Environment;
use serde::Serialize;

use super::schema::Schemas;
use super::{EventType, ValidationMode, default_label, template, title_case};
use crate::FieldError;
use crate::event::{EventData, NewEvent, TrailAdded};

/// One event type, ready.
#[derive(Debug)]
struct Ready {
    label: String,
    area: String,
    version: u32,
    enabled: bool,
    schemas: Schemas,
    has_template: bool,
}

/// Read-time text of an event, outside its hashed leaf (`display` in answers and exports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Display {
    /// The event type's label, or one made from the action.
    pub label: String,
    pub area: String,
    pub area_label: String,
    /// The rendered template, or the default sentence.
    pub text: String,
    /// Whether the action is in the catalogue.
    pub catalogued: bool,
}

/// A compiled catalogue and its organization's validation mode.
pub struct Catalogue {
    mode: ValidationMode,
    types: HashMap<String, Ready>,
    templates: Environment<'static>,
    /// Lower-cased label → actions with that label.
    by_label: HashMap<String, Vec<String>>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("mode", &self.mode)
            .field("types", &self.types.len())
            .finish_non_exhaustive()
    }
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue::new(Vec::new(), ValidationMode::Off).0
    }
}

impl Catalogue {
    /// Compiles `types`. A type whose schema or template no longer compiles (a store written by
    /// another version) is left out of validation and named in the second value.
    pub fn new(types: Vec<EventType>, mode: ValidationMode) -> (Catalogue, Vec<String>) {
        let mut templates = template::environment();
        let mut broken = Vec::new();
        let mut ready = HashMap::with_capacity(types.len());
        let mut by_label: HashMap<String, Vec<String>> = HashMap::new();
        for t in types {
            let schemas = match Schemas::compile(
                t.metadata_schema.as_ref(),
                t.resource_schema.as_ref(),
                t.targets_schema.as_ref(),
            ) {
                Ok(schemas) => schemas,
                Err(err) => {
                    broken.push(format!("{}: {err}", t.action));
                    Schemas::compile(None, None, None).expect("no schema compiles")
                }
            };
            let has_template = match &t.template {
                Some(source) => templates
                    .add_template_owned(t.action.clone(), source.clone())
                    .map_err(|err| broken.push(format!("{}: {err}", t.action)))
                    .is_ok(),
                None => false,
            };
            by_label
                .entry(t.label.to_lowercase())
                .or_default()
                .push(t.action.clone());
            ready.insert(
                t.action,
                Ready {
                    label: t.label,
                    area: t.area,
                    version: t.version,
                    enabled: t.enabled,
                    schemas,
                    has_template,
                },
            );
        }
        let catalogue = Catalogue {
            mode,
            types: ready,
            templates,
            by_label,
        };
        (catalogue, broken)
    }

    pub fn mode(&self) -> ValidationMode {
        self.mode
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    pub fn contains(&self, action: &str) -> bool {
        self.types.contains_key(action)
    }

    /// Checks a batch against the catalogue in the organization's mode. Each event of an
    /// enabled type with a schema records the version it was checked against; in `warn` mode
    /// it also carries what it broke; in `enforce` mode any broken rule refuses the whole batch,
    /// each error naming `events[i].<field path>` and the JSON Schema keyword.
    pub fn check_batch(&self, events: &mut [NewEvent]) -> Result<(), Vec<FieldError>> {
        if self.mode == ValidationMode::Off || self.types.is_empty() {
            return Ok(());
        }
        let mut errors = Vec::new();
        for (i, event) in events.iter_mut().enumerate() {
            let Some(ready) = self.types.get(&event.data.action) else {
                continue;
            };
            if !ready.enabled || ready.schemas.is_empty() {
                continue;
            }
            let violations = ready.schemas.violations(&mut event.data);
            if self.mode == ValidationMode::Enforce && !violations.is_empty() {
                errors.extend(violations.into_iter().map(|v| {
                    FieldError::new(
                        format!("events[{i}].{}", v.field),
                        &v.rule,
                        format!(
                            "Event {i} breaks the schema of `{}` (version {}): {}",
                            event.data.action, ready.version, v.message
                        ),
                    )
                }));
                continue;
            }
            let added = event.data.trail.get_or_insert_with(TrailAdded::default);
            added.schema_version = Some(ready.version);
            added.violations = violations;
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The label, area and sentence of an event.
    pub fn display(&self, data: &EventData) -> Display {
        match self.types.get(&data.action) {
            Some(ready) => {
                let text = ready
                    .has_template
                    .then(|| template::render(&self.templates, &data.action, data, &ready.label))
                    .flatten()
                    .unwrap_or_else(|| template::default_sentence(data, &ready.label));
                Display {
                    label: ready.label.clone(),
                    area_label: title_case(&ready.area),
                    area: ready.area.clone(),
                    text,
                    catalogued: true,
                }
            }
            None => {
                let label = default_label(&data.action, &data.area);
                Display {
                    text: template::default_sentence(data, &label),
                    label,
                    area_label: title_case(&data.area),
                    area: data.area.clone(),
                    catalogued: false,
                }
            }
        }
    }

    /// The label and area of an action, catalogued or not (facets, the action drop-down).
    pub fn label_of(&self, action: &str) -> (String, String, bool) {
        match self.types.get(action) {
            Some(ready) => (ready.label.clone(), ready.area.clone(), true),
            None => {
                let area = super::default_area(action);
                (default_label(action, area), area.to_owned(), false)
            }
        }
    }

    /// The actions whose label is `label` (ASCII case-insensitively), for `action:"Role Changed"`.
    pub fn actions_labelled(&self, label: &str) -> Option<&[String]> {
        self.by_label.get(&label.to_lowercase()).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Millis;
    use crate::catalogue::EventTypeDraft;
    use serde_json::json;

    fn catalogue(mode: ValidationMode) -> Catalogue {
        let spec = EventTypeDraft {
            action: "member.invited".into(),
            area: Some("members".into()),
            label: Some("Invited".into()),
            metadata_schema: Some(json!({"type": "object", "required": ["role"]})),
            template: Some("{{ actor.name }} invited {{ resource.name }}".into()),
            ..Default::default()
        }
        .check("")
        .unwrap();
        let t = spec.into_event_type(3, Millis(1), Millis(1));
        let (catalogue, broken) = Catalogue::new(vec![t], mode);
        assert!(broken.is_empty());
        catalogue
    }

    fn new_event(action: &str, metadata: serde_json::Value) -> NewEvent {
        let input = serde_json::from_value(json!({
            "action": action, "actor": {"id": "u1", "name": "Alice"},
            "resource": {"type": "member", "id": "u2", "name": "Bob"}, "metadata": metadata,
        }))
        .unwrap();
        crate::validate::validate_event(input, &Default::default(), Millis(1_000_000)).unwrap()
    }

    #[test]
    fn enforce_refuses_with_index_field_and_rule() {
        let c = catalogue(ValidationMode::Enforce);
        let mut batch = vec![
            new_event("member.invited", json!({"role": "admin"})),
            new_event("other.thing", json!({})),
            new_event("member.invited", json!({"x": 1})),
        ];
        let errors = c.check_batch(&mut batch).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "events[2].metadata");
        assert_eq!(errors[0].rule, "required");
    }

    #[test]
    fn warn_accepts_and_marks_with_the_version() {
        let c = catalogue(ValidationMode::Warn);
        let mut batch = vec![
            new_event("member.invited", json!({"role": "admin"})),
            new_event("member.invited", json!({"x": 1})),
            new_event("other.thing", json!({})),
        ];
        c.check_batch(&mut batch).unwrap();
        let good = batch[0].data.trail.as_ref().unwrap();
        assert_eq!((good.schema_version, good.violations.len()), (Some(3), 0));
        let bad = batch[1].data.trail.as_ref().unwrap();
        assert_eq!(bad.violations[0].rule, "required");
        assert_eq!(
            batch[2].data.trail, None,
            "uncatalogued actions are not marked"
        );
        let mut off = vec![new_event("member.invited", json!({"x": 1}))];
        catalogue(ValidationMode::Off)
            .check_batch(&mut off)
            .unwrap();
        assert_eq!(off[0].data.trail, None);
    }

    #[test]
    fn display_uses_the_template_then_the_default() {
        let c = catalogue(ValidationMode::Off);
        let shown = c.display(&new_event("member.invited", json!({})).data);
        assert_eq!(shown.text, "Alice invited Bob");
        assert_eq!(
            (shown.label.as_str(), shown.area_label.as_str()),
            ("Invited", "Members")
        );
        let other = c.display(&new_event("api_key.created", json!({})).data);
        assert_eq!(other.label, "Created");
        assert_eq!(other.area_label, "API Key");
        assert_eq!(other.text, "Alice — Created — member Bob");
        assert!(!other.catalogued);
        assert_eq!(c.actions_labelled("invited").unwrap(), ["member.invited"]);
    }
}
