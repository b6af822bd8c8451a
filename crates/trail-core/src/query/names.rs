//! Field names as users type them: resolving them, and suggesting the nearest valid name (or
//! operator, or value) when one is misspelt.

use super::ast::Field;

const METADATA_PREFIX: &str = "metadata.";

/// Words people reach for that are not field names, and the field they mean.
const FIELD_ALIASES: [(&str, &str); 16] = [
    ("user", "actor"),
    ("who", "actor"),
    ("email", "actor.email"),
    ("role", "actor.role"),
    ("event", "action"),
    ("category", "area"),
    ("status", "outcome"),
    ("result", "outcome"),
    ("location", "country"),
    ("address", "ip"),
    ("ip_address", "ip"),
    ("date", "occurred"),
    ("time", "occurred"),
    ("timestamp", "occurred"),
    ("created", "occurred"),
    ("created_at", "occurred"),
];

/// Resolves a field name. Names are ASCII case-insensitive; the key of `metadata.<key>` is kept as typed.
pub(super) fn field(name: &str) -> Option<Field> {
    if let Some(head) = name.get(..METADATA_PREFIX.len())
        && head.eq_ignore_ascii_case(METADATA_PREFIX)
    {
        let key = &name[METADATA_PREFIX.len()..];
        return (!key.is_empty()).then(|| Field::Metadata(key.to_owned()));
    }
    Field::from_name(&name.to_ascii_lowercase())
}

/// Why `name` is not a field (a message), and the field the user probably meant.
pub(super) fn unknown_field(name: &str) -> (String, Option<String>) {
    let lower = name.to_ascii_lowercase();
    if lower == "metadata" || lower == METADATA_PREFIX {
        return (
            "`metadata` needs a key, like `metadata.plan`".to_owned(),
            Some("metadata.<key>".to_owned()),
        );
    }
    let suggestion = FIELD_ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, field)| (*field).to_owned())
        .or_else(|| nearest(&lower, field_names()).map(str::to_owned))
        .or_else(|| {
            let (head, key) = name.split_once('.')?;
            nearest(&head.to_ascii_lowercase(), ["metadata"])?;
            Some(format!("{METADATA_PREFIX}{key}"))
        });
    let message = if suggestion.is_some() {
        format!("unknown field `{name}`")
    } else {
        format!("unknown field `{name}` (to search for text that contains `:`, put it in quotes)")
    };
    (message, suggestion)
}

fn field_names() -> impl Iterator<Item = &'static str> {
    Field::NAMES
        .into_iter()
        .filter(|name| *name != "metadata")
        .chain(["occurred_at", "received_at"])
}

/// The candidate closest to `input` by Damerau–Levenshtein distance, when it is close enough to be
/// a likely typo: at most two edits, and no more edits than half the input's length.
pub(super) fn nearest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = input.chars().count();
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(input, candidate), candidate))
        .filter(|(distance, _)| *distance <= 2 && 2 * distance <= len)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("actor", Some(Field::Actor))]
    #[case("Actor.Email", Some(Field::ActorEmail))]
    #[case("occurred_at", Some(Field::Occurred))]
    #[case("metadata.plan", Some(Field::Metadata("plan".into())))]
    #[case("Metadata.Plan", Some(Field::Metadata("Plan".into())))]
    #[case("metadata.", None)]
    #[case("metadata", None)]
    #[case("text", None)]
    #[case("actr", None)]
    fn resolves_names(#[case] name: &str, #[case] field_: Option<Field>) {
        assert_eq!(field(name), field_);
    }

    #[rstest]
    #[case("actr", Some("actor"))]
    #[case("ACTR", Some("actor"))]
    #[case("occured", Some("occurred"))]
    #[case("occured_at", Some("occurred_at"))]
    #[case("resouce.type", Some("resource.type"))]
    #[case("actor.emial", Some("actor.email"))]
    #[case("metdata.plan", Some("metadata.plan"))]
    #[case("user", Some("actor"))]
    #[case("date", Some("occurred"))]
    #[case("metadata", Some("metadata.<key>"))]
    #[case("xyz", None)]
    #[case("ab", None)]
    #[case("https", None)]
    fn suggests_the_nearest_field(#[case] name: &str, #[case] suggestion: Option<&str>) {
        assert_eq!(unknown_field(name).1.as_deref(), suggestion);
    }

    #[test]
    fn unknown_field_without_a_suggestion_hints_at_quoting() {
        let (message, _) = unknown_field("https");
        assert!(message.contains("put it in quotes"), "{message}");
        assert_eq!(unknown_field("actr").0, "unknown field `actr`");
    }
}
