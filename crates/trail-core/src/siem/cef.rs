//! ArcSight Common Event Format: `CEF:0|Trail|Trail|1|<action>|<name>|<severity>|<extension>`,
//! with the header's `\` and `|` escaped, and the extension values' `\`, `=` and line breaks
//! escaped, as the CEF specification requires. `externalId` is Trail's `id`; `cn1` (labelled
//! `seq`) its `seq`.

use crate::event::{Event, Outcome};

/// Escapes a header field: `\` and `|`; line breaks become spaces.
pub fn header(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an extension value: `\`, `=`, and line breaks as `\n` / `\r`.
pub fn value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

pub fn to_cef(event: &Event) -> String {
    let data = &event.data;
    let severity = match data.outcome {
        Outcome::Success => 3,
        Outcome::Failure => 6,
    };
    let name = data.description.as_deref().unwrap_or(&data.action);
    let mut ext: Vec<(&str, String)> = vec![
        ("rt", data.occurred_at.0.to_string()),
        ("externalId", data.id.clone()),
        ("cn1", event.seq.to_string()),
        ("cn1Label", "seq".into()),
        ("act", data.action.clone()),
        ("cat", data.area.clone()),
        ("outcome", data.outcome.as_str().into()),
        ("suid", data.actor.id.clone()),
        ("cs1", event.organization_id.clone()),
        ("cs1Label", "organization".into()),
    ];
    if let Some(name) = &data.actor.name {
        ext.push(("suser", name.clone()));
    }
    if let Some(email) = &data.actor.email {
        ext.push(("cs2", email.clone()));
        ext.push(("cs2Label", "actorEmail".into()));
    }
    if let Some(resource) = &data.resource {
        ext.push(("cs3", resource.kind.clone()));
        ext.push(("cs3Label", "resourceType".into()));
        if let Some(id) = &resource.id {
            ext.push(("cs4", id.clone()));
            ext.push(("cs4Label", "resourceId".into()));
        }
        if let Some(name) = &resource.name {
            ext.push(("duser", name.clone()));
        }
    }
    if let Some(source) = &data.source {
        ext.push(("cs5", source.clone()));
        ext.push(("cs5Label", "source".into()));
    }
    if let Some(context) = &data.context {
        if let Some(ip) = &context.ip {
            ext.push(("src", ip.clone()));
        }
        if let Some(agent) = &context.user_agent {
            ext.push(("requestClientApplication", agent.clone()));
        }
    }
    if let Some(reason) = &data.reason {
        ext.push(("reason", reason.clone()));
    }
    if let Some(description) = &data.description {
        ext.push(("msg", description.clone()));
    }
    let extension: Vec<String> = ext
        .iter()
        .map(|(k, v)| format!("{k}={}", value(v)))
        .collect();
    format!(
        "CEF:0|Trail|Trail|1|{}|{}|{severity}|{}",
        header(&data.action),
        header(name),
        extension.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_extension_escaping_follow_the_specification() {
        assert_eq!(header(r"a|b\c"), r"a\|b\\c");
        assert_eq!(value("a=b\\c\nd\re|f"), "a\\=b\\\\c\\nd\\re|f");
    }
}
