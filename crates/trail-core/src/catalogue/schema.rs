//! An event type's JSON Schemas (`metadata_schema`, `resource_schema`, `targets_schema`),
//! compiled once with the `jsonschema` crate, and the check of one event against them. Schemas
//! resolve no remote or file `$ref`: the crate is built without retrieval, so a schema never
//! makes Trail fetch anything.

use jsonschema::Validator;
use serde_json::Value;

use super::MAX_SCHEMA_BYTES;
use crate::event::{EventData, Violation};

/// Checks that `schema` is a JSON Schema Trail can compile; the error is one sentence.
pub fn check(schema: &Value) -> Result<(), String> {
    let size = serde_json::to_vec(schema).map_or(usize::MAX, |b| b.len());
    if size > MAX_SCHEMA_BYTES {
        return Err(format!(
            "The schema is {size} bytes of JSON; at most {MAX_SCHEMA_BYTES} are allowed."
        ));
    }
    if !(schema.is_object() || schema.is_boolean()) {
        return Err("A JSON Schema is an object (or `true`/`false`).".into());
    }
    compile(schema).map(drop)
}

fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::validator_for(schema).map_err(|err| {
        let at = err.instance_path().as_str();
        let at = if at.is_empty() { "" } else { at };
        if at.is_empty() {
            format!("Not a valid JSON Schema: {err}.")
        } else {
            format!("Not a valid JSON Schema at `{at}`: {err}.")
        }
    })
}

/// The compiled schemas of one event type.
#[derive(Debug)]
pub struct Schemas {
    metadata: Option<Validator>,
    resource: Option<Validator>,
    targets: Option<Validator>,
}

impl Schemas {
    /// Compiles the schemas; they were checked when stored, so an error here means a store
    /// written by another version, and is reported as such.
    pub fn compile(
        metadata: Option<&Value>,
        resource: Option<&Value>,
        targets: Option<&Value>,
    ) -> Result<Schemas, String> {
        let one = |schema: Option<&Value>| schema.map(compile).transpose();
        Ok(Schemas {
            metadata: one(metadata)?,
            resource: one(resource)?,
            targets: one(targets)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.metadata.is_none() && self.resource.is_none() && self.targets.is_none()
    }

    /// The rules `data` breaks (empty when it is valid). An absent `metadata` is checked as `{}`,
    /// an absent `resource` as `null`.
    pub fn violations(&self, data: &mut EventData) -> Vec<Violation> {
        let mut found = Vec::new();
        if let Some(validator) = &self.metadata {
            // Checked in place: the map is moved into a `Value` and back, not copied.
            let metadata = Value::Object(data.metadata.take().unwrap_or_default());
            collect(validator, &metadata, "metadata", &mut found);
            if let Value::Object(map) = metadata
                && !map.is_empty()
            {
                data.metadata = Some(map);
            }
        }
        if let Some(validator) = &self.resource {
            let resource = serde_json::to_value(&data.resource).unwrap_or(Value::Null);
            collect(validator, &resource, "resource", &mut found);
        }
        if let Some(validator) = &self.targets {
            for (i, target) in data.targets.iter().enumerate() {
                let target = serde_json::to_value(target).unwrap_or(Value::Null);
                collect(validator, &target, &format!("targets[{i}]"), &mut found);
            }
        }
        found
    }
}

fn collect(validator: &Validator, instance: &Value, field: &str, found: &mut Vec<Violation>) {
    if validator.is_valid(instance) {
        return;
    }
    for error in validator.iter_errors(instance).take(16) {
        let mut path = field.to_owned();
        for segment in error.instance_path().as_str().split('/').skip(1) {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                path.push_str(&format!("[{segment}]"));
            } else {
                path.push('.');
                path.push_str(&segment);
            }
        }
        found.push(Violation {
            field: path,
            rule: error.kind().keyword().to_owned(),
            message: error.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(metadata: Value) -> EventData {
        serde_json::from_value(json!({
            "id": "evt_1", "action": "a.b", "area": "a", "occurred_at": "2026-11-21T10:00:00.000Z",
            "actor": {"id": "u", "type": "user"}, "outcome": "success",
            "targets": [{"type": "team", "id": "t1"}, {"type": "team"}],
            "metadata": metadata,
        }))
        .unwrap()
    }

    #[test]
    fn violations_name_the_field_path_and_the_rule() {
        let schemas = Schemas::compile(
            Some(&json!({"type": "object", "required": ["plan"],
                "properties": {"seats": {"type": "integer"}, "tags": {"items": {"type": "string"}}}})),
            None,
            Some(&json!({"required": ["id"]})),
        )
        .unwrap();
        let mut data = event(json!({"seats": "ten", "tags": ["a", 2]}));
        let mut found = schemas.violations(&mut data);
        found.sort_by(|a, b| a.field.cmp(&b.field));
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|v| (v.field.as_str(), v.rule.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("metadata", "required"),
                ("metadata.seats", "type"),
                ("metadata.tags[1]", "type"),
                ("targets[1]", "required"),
            ]
        );
        assert_eq!(
            data.metadata.unwrap()["seats"],
            "ten",
            "metadata is put back"
        );
        let mut good = event(json!({"plan": "pro", "seats": 3}));
        good.targets.pop();
        assert!(schemas.violations(&mut good).is_empty());
    }

    #[test]
    fn invalid_schemas_are_refused_with_a_reason() {
        assert!(check(&json!({"type": "object"})).is_ok());
        let err = check(&json!({"type": 7})).unwrap_err();
        assert!(err.starts_with("Not a valid JSON Schema"), "{err}");
        assert!(check(&json!([1])).is_err());
        let remote = check(&json!({"$ref": "https://example.com/s.json"}));
        assert!(remote.is_err(), "remote references are never fetched");
    }
}
