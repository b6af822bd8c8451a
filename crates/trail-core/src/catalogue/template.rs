//! Display templates: a sentence per event with `{{ placeholders }}` (minijinja syntax), rendered
//! as plain text. Nothing is HTML-escaped here because nothing is HTML: the web app puts the text
//! in `textContent`, and exports carry it as a string. A missing value renders as `—` (or what
//! the template's `default` filter gives), and each template has a bounded amount of work (fuel),
//! so a template can neither fail a read nor stall it.

use minijinja::value::Value as TemplateValue;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Map, Value, json};

use super::MAX_TEMPLATE_BYTES;
use crate::event::EventData;

/// What a missing value renders as.
pub const MISSING: &str = "—";

/// Work one rendering may do (minijinja fuel): ample for a sentence, small for a loop.
const FUEL: u64 = 5_000;

/// The environment every catalogue's templates live in.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_fuel(Some(FUEL));
    env.set_formatter(|out, state, value| {
        if value.is_undefined() || value.is_none() {
            out.write_str(MISSING).map_err(minijinja::Error::from)
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env
}

/// Checks that `source` parses and renders against a sample event.
pub fn check(source: &str) -> Result<(), String> {
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(format!(
            "The template is {} bytes; at most {MAX_TEMPLATE_BYTES} are allowed.",
            source.len()
        ));
    }
    let mut env = environment();
    env.add_template_owned("t".to_owned(), source.to_owned())
        .map_err(|err| format!("The template does not parse: {err}."))?;
    Ok(())
}

/// The values a template sees: the event's fields, `changes` as a map from field name to
/// `{old, new}`, and `label`.
pub fn context(data: &EventData, label: &str) -> TemplateValue {
    let mut value = serde_json::to_value(data).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        let changes: Map<String, Value> = data
            .changes
            .iter()
            .map(|c| (c.field.clone(), json!({"old": c.old, "new": c.new})))
            .collect();
        fields.insert("changes".into(), Value::Object(changes));
        fields.insert("label".into(), Value::String(label.to_owned()));
        fields.remove("trail");
    }
    TemplateValue::from(minijinja::value::Serde(value))
}

/// Renders the template `name` of `env` for `data`; `None` when rendering fails (the caller
/// then uses [`default_sentence`]).
pub fn render(
    env: &Environment<'static>,
    name: &str,
    data: &EventData,
    label: &str,
) -> Option<String> {
    let template = env.get_template(name).ok()?;
    let text = template.render(context(data, label)).ok()?;
    Some(tidy(&text))
}

/// Control characters out, runs of white space made one space.
fn tidy(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The sentence shown when an event type has no template: the sender's description if there is
/// one, else "<actor> — <label> — <resource>" ("Alice Kim — Role Changed — member Bob Ray"),
/// with "(failed: reason)" for a failure.
pub fn default_sentence(data: &EventData, label: &str) -> String {
    if let Some(description) = data.description.as_deref().filter(|d| !d.trim().is_empty()) {
        return tidy(description);
    }
    let actor = data
        .actor
        .name
        .as_deref()
        .or(data.actor.email.as_deref())
        .unwrap_or(&data.actor.id);
    let mut text = format!("{actor} — {label}");
    if let Some(resource) = &data.resource {
        text.push_str(" — ");
        text.push_str(&resource.kind);
        if let Some(name) = resource.name.as_deref().or(resource.id.as_deref()) {
            text.push(' ');
            text.push_str(name);
        }
    }
    if data.outcome == crate::event::Outcome::Failure {
        match data.reason.as_deref() {
            Some(reason) => text.push_str(&format!(" (failed: {reason})")),
            None => text.push_str(" (failed)"),
        }
    }
    tidy(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> EventData {
        serde_json::from_value(json!({
            "id": "evt_1", "action": "member.role_changed", "area": "members",
            "occurred_at": "2026-11-21T10:00:00.000Z",
            "actor": {"id": "u1", "type": "user", "name": "Alice <b>Kim</b>"},
            "resource": {"type": "member", "id": "u2", "name": "Bob Ray"},
            "outcome": "success",
            "changes": [{"field": "role", "old": "Developer", "new": "Admin"}],
        }))
        .unwrap()
    }

    fn render_one(source: &str, data: &EventData) -> Option<String> {
        let mut env = environment();
        env.add_template_owned("t".to_owned(), source.to_owned())
            .unwrap();
        render(&env, "t", data, "Role Changed")
    }

    #[test]
    fn templates_render_text_with_changes_by_field_name() {
        let text = render_one(
            "{{actor.name}} changed {{resource.name}}'s role from {{changes.role.old}} to {{changes.role.new}}",
            &event(),
        );
        assert_eq!(
            text.as_deref(),
            Some("Alice <b>Kim</b> changed Bob Ray's role from Developer to Admin"),
            "markup stays text: the caller never renders it as HTML"
        );
    }

    #[test]
    fn missing_values_render_as_a_dash_or_their_default() {
        let mut data = event();
        data.changes.clear();
        data.resource = None;
        let text = render_one(
            "{{ actor.name }} set {{ resource.name }} to {{ changes.role.new }} ({{ metadata.plan | default('no plan') }})",
            &data,
        );
        assert_eq!(
            text.as_deref(),
            Some("Alice <b>Kim</b> set — to — (no plan)")
        );
    }

    #[test]
    fn runaway_templates_fail_and_bad_ones_do_not_parse() {
        let stall = "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}";
        assert_eq!(render_one(stall, &event()), None, "fuel runs out");
        let err = check("{{ actor.name ").unwrap_err();
        assert!(err.starts_with("The template does not parse"), "{err}");
        assert!(check("{{ actor.name }}").is_ok());
    }

    #[test]
    fn the_default_sentence_names_actor_label_and_resource() {
        let mut data = event();
        assert_eq!(
            default_sentence(&data, "Role Changed"),
            "Alice <b>Kim</b> — Role Changed — member Bob Ray"
        );
        data.outcome = crate::event::Outcome::Failure;
        data.reason = Some("not allowed".into());
        assert!(default_sentence(&data, "X").ends_with("(failed: not allowed)"));
        data.description = Some("Alice did it".into());
        assert_eq!(default_sentence(&data, "X"), "Alice did it");
    }
}
