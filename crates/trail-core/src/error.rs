//! The field-level error every validation failure is reported with.

use serde::Serialize;

/// One rule one field broke: `{"field": "events[3].actor.email", "rule": "too_long", "message": "…"}`.
/// A list of these is the `details` of a 400 answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the field, with `[i]` for array positions.
    pub field: String,
    /// Snake-case name of the rule that failed (`required`, `too_long`, `pattern`, …).
    pub rule: String,
    /// One human sentence.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }

    /// The same error with `prefix` in front of its field path (`events[2]` + `actor.id`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}
