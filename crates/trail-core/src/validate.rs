//! Ingest validation: parses a request body (one event, a JSON array, or NDJSON) and checks every
//! event against the limits of docs/api.md "POST /v1/events", reporting each broken rule with the field it concerns.

use crate::strict::Obj;
use std::net::IpAddr;

use serde_json::Value;

use crate::error::FieldError;
use crate::event::{Actor, ActorInput, Context, EventData, EventInput, NewEvent, Resource};
use crate::{Millis, ids};

/// Configurable ingest limits; the defaults are those docs/configuration.md lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_action_len: usize,
    pub max_string_len: usize,
    pub max_metadata_bytes: usize,
    pub max_targets: usize,
    pub max_changes: usize,
    pub max_events_per_request: usize,
    pub max_request_bytes: usize,
    pub max_future_skew_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_action_len: 128,
            max_string_len: 1024,
            max_metadata_bytes: 16 * 1024,
            max_targets: 64,
            max_changes: 256,
            max_events_per_request: 1000,
            max_request_bytes: 8 * 1024 * 1024,
            max_future_skew_ms: 5 * 60 * 1000,
        }
    }
}

/// The actor types docs/api.md names.
pub const ACTOR_TYPES: [&str; 4] = ["user", "api_key", "service", "system"];

/// Why a body could not be turned into events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// More events than `max_events_per_request` (answered 413).
    TooManyEvents { count: usize, max: usize },
    /// Bad JSON or bad fields (answered 400), at most 100 listed.
    Invalid(Vec<FieldError>),
}

const MAX_REPORTED_ERRORS: usize = 100;

/// Parses a request body into events. `ndjson` selects one JSON object per line; otherwise the body
/// is one object or an array of objects. Errors name the event as `events[i]`.
pub fn parse_body(
    body: &[u8],
    ndjson: bool,
    limits: &Limits,
) -> Result<Vec<EventInput>, BodyError> {
    let values: Vec<&[u8]> = if ndjson {
        body.split(|b| *b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .collect()
    } else {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            // Fast path: the whole array at once; on failure, reparse element by element to say where.
            if let Ok(events) = serde_json::from_slice::<Vec<Obj<EventInput>>>(body) {
                check_count(events.len(), limits)?;
                return Ok(events.into_iter().map(|Obj(e)| e).collect());
            }
            let array: Vec<Box<serde_json::value::RawValue>> = serde_json::from_slice(body)
                .map_err(|e| {
                    BodyError::Invalid(vec![FieldError::new("body", "json", json_message(&e))])
                })?;
            check_count(array.len(), limits)?;
            return parse_each(array.iter().map(|raw| raw.get().as_bytes()));
        }
        vec![body]
    };
    check_count(values.len(), limits)?;
    if values.is_empty() {
        return Err(BodyError::Invalid(vec![FieldError::new(
            "body",
            "required",
            "The body holds no event.",
        )]));
    }
    parse_each(values.into_iter())
}

fn check_count(count: usize, limits: &Limits) -> Result<(), BodyError> {
    if count > limits.max_events_per_request {
        return Err(BodyError::TooManyEvents {
            count,
            max: limits.max_events_per_request,
        });
    }
    if count == 0 {
        return Err(BodyError::Invalid(vec![FieldError::new(
            "body",
            "required",
            "The body holds no event.",
        )]));
    }
    Ok(())
}

fn parse_each<'a>(items: impl Iterator<Item = &'a [u8]>) -> Result<Vec<EventInput>, BodyError> {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.enumerate() {
        let de = &mut serde_json::Deserializer::from_slice(item);
        match serde_path_to_error::deserialize::<_, Obj<EventInput>>(de) {
            Ok(Obj(event)) => events.push(event),
            Err(err) => {
                if errors.len() < MAX_REPORTED_ERRORS {
                    errors.push(serde_field_error(&err).within(&format!("events[{i}]")));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(BodyError::Invalid(errors))
    }
}

fn serde_field_error(err: &serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = err.path().to_string();
    let inner = err.inner();
    let message = json_message(inner);
    let path = if path == "." { String::new() } else { path };
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        let field = if path.is_empty() {
            missing.to_owned()
        } else {
            format!("{path}.{missing}")
        };
        return FieldError::new(field.clone(), "required", format!("`{field}` is required."));
    }
    if let Some(unknown) = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        return FieldError::new(
            path,
            "unknown_field",
            format!("`{unknown}` is not a field of this object."),
        );
    }
    if inner.is_syntax() || inner.is_eof() {
        // The path of a syntax error is wherever the parser stopped, not a field at fault.
        return FieldError::new("", "json", message);
    }
    FieldError::new(path, "type", message)
}

fn json_message(err: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; keep it only for syntax errors, where it helps.
    let text = err.to_string();
    if err.is_syntax() || err.is_eof() {
        return format!("Invalid JSON: {text}.");
    }
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// Validates and normalises one event. `now` is the receive time: it bounds `occurred_at` and is
/// the default for it.
pub fn validate_event(
    input: EventInput,
    limits: &Limits,
    now: Millis,
) -> Result<NewEvent, Vec<FieldError>> {
    let mut v = Checker {
        limits,
        errors: Vec::new(),
    };

    let client_id = input.id.is_some();
    let id = match input.id {
        Some(id) => {
            v.identifier("id", &id, 128);
            id
        }
        None => ids::new_event_id(),
    };
    v.dotted_word("action", &input.action, limits.max_action_len);
    let area = match input.area {
        Some(area) => {
            v.dotted_word("area", &area, 64);
            area
        }
        None => input
            .action
            .split('.')
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let occurred_at_defaulted = input.occurred_at.is_none();
    let occurred_at = input.occurred_at.unwrap_or(now);
    if occurred_at.0 > now.0 + limits.max_future_skew_ms {
        v.fail(
            "occurred_at",
            "in_future",
            format!(
                "`occurred_at` is more than {} seconds in the future.",
                limits.max_future_skew_ms / 1000
            ),
        );
    }
    let actor = v.actor(input.actor);
    if let Some(resource) = &input.resource {
        v.resource("resource", resource);
    }
    let targets = input.targets.unwrap_or_default();
    if targets.len() > limits.max_targets {
        v.fail(
            "targets",
            "too_many",
            format!("At most {} targets are allowed.", limits.max_targets),
        );
    }
    for (i, target) in targets.iter().enumerate() {
        v.resource(&format!("targets[{i}]"), target);
    }
    if let Some(source) = &input.source {
        v.word("source", source, 32);
    }
    v.optional_text("reason", input.reason.as_deref());
    v.optional_text("description", input.description.as_deref());
    let context = input.context.map(|c| v.context(c));
    let changes = input.changes.unwrap_or_default();
    if changes.len() > limits.max_changes {
        v.fail(
            "changes",
            "too_many",
            format!("At most {} changes are allowed.", limits.max_changes),
        );
    }
    for (i, change) in changes.iter().enumerate() {
        v.text(&format!("changes[{i}].field"), &change.field);
    }
    let metadata = input.metadata.filter(|m| !m.is_empty());
    if let Some(metadata) = &metadata {
        let size = serde_json::to_vec(metadata)
            .map(|b| b.len())
            .unwrap_or(usize::MAX);
        if size > limits.max_metadata_bytes {
            v.fail(
                "metadata",
                "too_large",
                format!(
                    "`metadata` is {size} bytes encoded; at most {} are allowed.",
                    limits.max_metadata_bytes
                ),
            );
        }
        v.json_numbers("metadata", &Value::Object(metadata.clone()));
    }
    for (i, change) in changes.iter().enumerate() {
        v.json_numbers(&format!("changes[{i}]"), &change.old);
        v.json_numbers(&format!("changes[{i}]"), &change.new);
    }

    if !v.errors.is_empty() {
        return Err(v.errors);
    }
    let data = EventData {
        trail: None,
        id,
        action: input.action,
        area,
        occurred_at,
        actor,
        resource: input.resource,
        targets,
        source: input.source,
        outcome: input.outcome.unwrap_or_default(),
        reason: input.reason,
        description: input.description,
        context,
        changes,
        metadata,
    };
    Ok(NewEvent {
        data,
        received_at: now,
        client_id,
        occurred_at_defaulted,
    })
}

struct Checker<'a> {
    limits: &'a Limits,
    errors: Vec<FieldError>,
}

impl Checker<'_> {
    fn fail(&mut self, field: &str, rule: &str, message: String) {
        self.errors.push(FieldError::new(field, rule, message));
    }

    fn text(&mut self, field: &str, value: &str) -> bool {
        if value.len() > self.limits.max_string_len {
            self.fail(
                field,
                "too_long",
                format!(
                    "`{field}` is {} bytes; at most {} are allowed.",
                    value.len(),
                    self.limits.max_string_len
                ),
            );
            return false;
        }
        true
    }

    fn optional_text(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.text(field, value);
        }
    }

    fn required_text(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(field, "required", format!("`{field}` must not be empty."));
        } else {
            self.text(field, value);
        }
    }

    /// Lowercase dotted words: `[a-z0-9_.-]`, 1..=max.
    fn dotted_word(&mut self, field: &str, value: &str, max: usize) {
        let ok_chars = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
        if value.is_empty() || value.len() > max || !ok_chars {
            self.fail(field, "pattern", format!(
                "`{field}` must be 1 to {max} characters of a-z, 0-9, `_`, `.` and `-` (got {value:?})."
            ));
        }
    }

    /// A short lowercase word: `[a-z0-9_]`, 1..=max.
    fn word(&mut self, field: &str, value: &str, max: usize) {
        let ok_chars = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if value.is_empty() || value.len() > max || !ok_chars {
            self.fail(
                field,
                "pattern",
                format!(
                    "`{field}` must be 1 to {max} characters of a-z, 0-9 and `_` (got {value:?})."
                ),
            );
        }
    }

    /// A client-chosen identifier: printable ASCII without spaces, 1..=max.
    fn identifier(&mut self, field: &str, value: &str, max: usize) {
        let ok_chars = value.bytes().all(|b| b.is_ascii_graphic());
        if value.is_empty() || value.len() > max || !ok_chars {
            self.fail(
                field,
                "pattern",
                format!("`{field}` must be 1 to {max} printable ASCII characters without spaces."),
            );
        }
    }

    fn actor(&mut self, input: ActorInput) -> Actor {
        self.required_text("actor.id", &input.id);
        let kind = input.kind.unwrap_or_else(|| "user".to_owned());
        if !ACTOR_TYPES.contains(&kind.as_str()) {
            self.fail(
                "actor.type",
                "one_of",
                format!(
                    "`actor.type` must be one of {} (got {kind:?}).",
                    ACTOR_TYPES.join(", ")
                ),
            );
        }
        self.optional_text("actor.name", input.name.as_deref());
        self.optional_text("actor.role", input.role.as_deref());
        if let Some(email) = &input.email {
            let shaped = email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
            if self.text("actor.email", email) && !shaped {
                self.fail(
                    "actor.email",
                    "email",
                    format!("`actor.email` is not an email address (got {email:?})."),
                );
            }
        }
        Actor {
            id: input.id,
            kind,
            name: input.name,
            email: input.email,
            role: input.role,
        }
    }

    fn resource(&mut self, field: &str, resource: &Resource) {
        self.required_text(&format!("{field}.type"), &resource.kind);
        self.optional_text(&format!("{field}.id"), resource.id.as_deref());
        self.optional_text(&format!("{field}.name"), resource.name.as_deref());
        if resource.id.is_none() && resource.name.is_none() {
            self.fail(
                &format!("{field}.id"),
                "required",
                format!("`{field}` needs an `id` or a `name`."),
            );
        }
    }

    fn context(&mut self, mut context: Context) -> Context {
        if let Some(ip) = &context.ip {
            match ip.parse::<IpAddr>() {
                // Store the canonical spelling so that `ip:` searches match however it was sent.
                Ok(addr) => context.ip = Some(addr.to_canonical().to_string()),
                Err(_) => self.fail(
                    "context.ip",
                    "ip",
                    format!("`context.ip` is not an IPv4 or IPv6 address (got {ip:?})."),
                ),
            }
        }
        self.optional_text("context.user_agent", context.user_agent.as_deref());
        self.optional_text("context.request_id", context.request_id.as_deref());
        if let Some(location) = &mut context.location {
            if let Some(country) = &location.country {
                if country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()) {
                    location.country = Some(country.to_ascii_uppercase());
                } else {
                    self.fail("context.location.country", "country", format!(
                        "`context.location.country` must be an ISO 3166-1 alpha-2 code like DE (got {country:?})."
                    ));
                }
            }
            self.optional_text("context.location.region", location.region.as_deref());
            self.optional_text("context.location.city", location.city.as_deref());
        }
        context
    }

    /// Numbers must survive canonicalization unchanged (RFC 8785 uses IEEE doubles): reject
    /// integers beyond 2^53, which a verifier would read back differently.
    fn json_numbers(&mut self, field: &str, value: &Value) {
        const MAX_SAFE: u64 = (1 << 53) - 1;
        match value {
            Value::Number(n) => {
                let unsafe_int = n.as_u64().is_some_and(|u| u > MAX_SAFE)
                    || n.as_i64().is_some_and(|i| i.unsigned_abs() > MAX_SAFE);
                if unsafe_int {
                    self.fail(
                        field,
                        "number",
                        format!(
                            "`{field}` holds the integer {n}, beyond ±2^53; send it as a string."
                        ),
                    );
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.json_numbers(field, item)),
            Value::Object(map) => map.values().for_each(|item| self.json_numbers(field, item)),
            _ => {}
        }
    }
}

/// Validates a batch all-or-nothing: either every event is valid, or every error is reported.
pub fn validate_batch(
    inputs: Vec<EventInput>,
    limits: &Limits,
    now: Millis,
) -> Result<Vec<NewEvent>, Vec<FieldError>> {
    let mut events = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        match validate_event(input, limits, now) {
            Ok(event) => events.push(event),
            Err(errs) => {
                errors.extend(
                    errs.into_iter()
                        .map(|e| e.within(&format!("events[{i}]")))
                        .take(MAX_REPORTED_ERRORS - errors.len().min(MAX_REPORTED_ERRORS)),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn limits() -> Limits {
        Limits::default()
    }

    fn now() -> Millis {
        Millis::parse_rfc3339("2026-11-21T10:00:00Z").unwrap()
    }

    fn check(json: &str) -> Result<NewEvent, Vec<FieldError>> {
        let inputs = parse_body(json.as_bytes(), false, &limits()).map_err(|e| match e {
            BodyError::Invalid(errs) => errs,
            other => panic!("{other:?}"),
        })?;
        validate_batch(inputs, &limits(), now()).map(|mut v| v.remove(0))
    }

    #[test]
    fn minimal_event_gets_defaults() {
        let e = check(r#"{"action":"member.invited","actor":{"id":"usr_1"}}"#).unwrap();
        assert_eq!(e.data.area, "member");
        assert_eq!(e.data.actor.kind, "user");
        assert_eq!(e.data.occurred_at, now());
        assert!(e.occurred_at_defaulted && !e.client_id);
        assert!(e.data.id.starts_with("evt_"));
    }

    #[test]
    fn ip_and_country_are_normalised() {
        let e = check(r#"{"action":"a","actor":{"id":"u"},"context":{"ip":"::ffff:10.0.0.1","location":{"country":"de"}}}"#).unwrap();
        assert_eq!(e.data.ip(), Some("10.0.0.1"));
        assert_eq!(e.data.country(), Some("DE"));
    }

    #[rstest]
    #[case(r#"{"actor":{"id":"u"}}"#, "events[0].action", "required")]
    #[case(r#"{"action":"a","actor":{}}"#, "events[0].actor.id", "required")]
    #[case(
        r#"{"action":"a","actor":{"id":" "}}"#,
        "events[0].actor.id",
        "required"
    )]
    #[case(
        r#"{"action":"Member.Invited","actor":{"id":"u"}}"#,
        "events[0].action",
        "pattern"
    )]
    #[case(
        r#"{"action":"a","actr":{"id":"u"}}"#,
        "events[0].actr",
        "unknown_field"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u","type":"robot"}}"#,
        "events[0].actor.type",
        "one_of"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u","email":"nope"}}"#,
        "events[0].actor.email",
        "email"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"occurred_at":"2026-11-21T10:06:00Z"}"#,
        "events[0].occurred_at",
        "in_future"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"occurred_at":"yesterday"}"#,
        "events[0].occurred_at",
        "type"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"context":{"ip":"300.1.1.1"}}"#,
        "events[0].context.ip",
        "ip"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"context":{"location":{"country":"Germany"}}}"#,
        "events[0].context.location.country",
        "country"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"resource":{"type":"member"}}"#,
        "events[0].resource.id",
        "required"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"source":"Web UI"}"#,
        "events[0].source",
        "pattern"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"metadata":{"big":9007199254740993}}"#,
        "events[0].metadata",
        "number"
    )]
    #[case(
        r#"{"action":"a","actor":{"id":"u"},"outcome":"maybe"}"#,
        "events[0].outcome",
        "type"
    )]
    fn bad_input_names_the_field_and_rule(
        #[case] json: &str,
        #[case] field: &str,
        #[case] rule: &str,
    ) {
        let errors = check(json).unwrap_err();
        assert!(
            errors.iter().any(|e| e.field == field && e.rule == rule),
            "{errors:#?}"
        );
    }

    #[test]
    fn long_strings_and_big_metadata_are_refused() {
        let long = "x".repeat(1025);
        let errors = check(&format!(
            r#"{{"action":"a","actor":{{"id":"u","name":"{long}"}}}}"#
        ))
        .unwrap_err();
        assert_eq!(errors[0].field, "events[0].actor.name");
        let big = "y".repeat(17 * 1024);
        let errors = check(&format!(
            r#"{{"action":"a","actor":{{"id":"u"}},"metadata":{{"k":"{big}"}}}}"#
        ))
        .unwrap_err();
        assert_eq!(errors[0].rule, "too_large");
    }

    #[test]
    fn arrays_report_the_failing_position() {
        let body = r#"[{"action":"a","actor":{"id":"u"}},{"action":"b"}]"#;
        match parse_body(body.as_bytes(), false, &limits()) {
            Err(BodyError::Invalid(errors)) => assert_eq!(errors[0].field, "events[1].actor"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ndjson_lines_are_events() {
        let body = "{\"action\":\"a\",\"actor\":{\"id\":\"u\"}}\n\n{\"action\":\"b\",\"actor\":{\"id\":\"u\"}}\n";
        assert_eq!(
            parse_body(body.as_bytes(), true, &limits()).unwrap().len(),
            2
        );
    }

    #[test]
    fn too_many_events_is_its_own_error() {
        let one = r#"{"action":"a","actor":{"id":"u"}}"#;
        let body = format!("[{}]", vec![one; 1001].join(","));
        assert_eq!(
            parse_body(body.as_bytes(), false, &limits()),
            Err(BodyError::TooManyEvents {
                count: 1001,
                max: 1000
            })
        );
    }

    #[test]
    fn broken_json_is_a_json_error() {
        match parse_body(b"{\"action\":", false, &limits()) {
            Err(BodyError::Invalid(errors)) => assert_eq!(errors[0].rule, "json"),
            other => panic!("{other:?}"),
        }
    }
}
