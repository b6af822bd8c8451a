//! Text → [`Filter`]: the query language of the search box, the API's `q`, the CLI and saved
//! searches (docs/query-language.md is the user's description of what is accepted here).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::ast::{CmpOp, Condition, Field, Filter, Matcher};
use super::lexer::{Body, Term, Word, lex};
use super::names;
use super::values::{self, Problem};
use crate::Millis;

/// A query that could not be parsed: where (1-based character column), why, and the nearest field
/// name (or value) when the problem is a misspelt one. Errors in structured filters have no column
/// (it is 0) and name the row instead in `field`, e.g. `filters[2].op`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl QueryError {
    pub(super) fn at(column: usize, message: impl Into<String>) -> Self {
        Self {
            column,
            message: message.into(),
            suggestion: None,
            field: None,
        }
    }

    fn from_problem(column: usize, problem: Problem) -> Self {
        Self {
            suggestion: problem.suggestion,
            ..Self::at(column, problem.message)
        }
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_none() {
            write!(f, "column {}: ", self.column)?;
        }
        f.write_str(&self.message)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for QueryError {}

/// Parses `q`; relative times (`30d`) are resolved against `now`.
///
/// Conditions keep the order in which their fields first appear. A field given again with the same
/// sign joins the earlier condition (its values are ORed), except free text and comparisons:
/// every word is its own condition, and `occurred:>=2026-11-01 occurred:<2026-11-05` means both.
pub fn parse(q: &str, now: Millis) -> Result<Filter, QueryError> {
    let mut filter = Filter::default();
    let mut merged: HashMap<(Field, bool), usize> = HashMap::new();
    for term in lex(q)? {
        let condition = condition(term, now)?;
        let only_comparisons = condition
            .matchers
            .iter()
            .all(|m| matches!(m, Matcher::Cmp(..)));
        if condition.field == Field::Text || only_comparisons {
            filter.conditions.push(condition);
            continue;
        }
        match merged.entry((condition.field.clone(), condition.negated)) {
            Entry::Occupied(index) => filter.conditions[*index.get()]
                .matchers
                .extend(condition.matchers),
            Entry::Vacant(slot) => {
                slot.insert(filter.conditions.len());
                filter.conditions.push(condition);
            }
        }
    }
    Ok(filter)
}

fn condition(term: Term, now: Millis) -> Result<Condition, QueryError> {
    match term.body {
        Body::Text(word) => Ok(Condition {
            field: Field::Text,
            negated: term.negated,
            matchers: vec![Matcher::Contains(search_text(&word)?)],
        }),
        Body::Field {
            name,
            name_column,
            values,
        } => {
            let field = names::field(&name).ok_or_else(|| {
                let (message, suggestion) = names::unknown_field(&name);
                QueryError {
                    suggestion,
                    ..QueryError::at(name_column, message)
                }
            })?;
            let matchers = values
                .iter()
                .map(|word| matcher(&field, word, now))
                .collect::<Result<_, _>>()?;
            Ok(Condition {
                field,
                negated: term.negated,
                matchers,
            })
        }
    }
}

/// A bare word or phrase. Free text already matches anywhere, so a `*` at either end adds nothing.
fn search_text(word: &Word) -> Result<String, QueryError> {
    let (_, inner, _) = word.strip_stars();
    if let Some(column) = inner.star_column() {
        return Err(QueryError::at(
            column,
            "`*` may only start or end a word (quote the text to search for a `*`)",
        ));
    }
    if inner.is_empty() {
        let message = if word.is_empty() {
            "empty search text"
        } else {
            "`*` alone matches every event: leave it out"
        };
        return Err(QueryError::at(word.column, message));
    }
    Ok(inner.text())
}

/// One value of `field:a,b,…`.
fn matcher(field: &Field, word: &Word, now: Millis) -> Result<Matcher, QueryError> {
    if word.is_star() {
        return Ok(Matcher::Exists);
    }
    if word.is_empty() {
        return Err(QueryError::at(
            word.column,
            format!(
                "empty value for `{}` (use `-{}:*` for events without one)",
                field.name(),
                field.name()
            ),
        ));
    }
    let (leading, inner, trailing) = word.strip_stars();
    if let Some(column) = inner.star_column() {
        return Err(QueryError::at(
            column,
            "`*` may only start or end a value: `value*` matches a prefix, `*value*` text anywhere",
        ));
    }
    let at_word = |problem| QueryError::from_problem(word.column, problem);
    if leading || trailing {
        if inner.is_empty() {
            return Err(QueryError::at(
                word.column,
                "`**` matches nothing in particular: use `*` for \"present\"",
            ));
        }
        let text = inner.text();
        return match (leading, trailing) {
            (false, _) => values::prefix(field, &text),
            (true, true) => values::contains(field, &text),
            (true, false) => Err(Problem::new(
                "suffix matches (`*value`) are not supported: use `*value*` to match anywhere",
            )),
        }
        .map_err(at_word);
    }
    let raw = word.text();
    if word.starts_with_operator()
        && let Some((op, rest)) = split_operator(&raw)
    {
        return values::compare(field, op, rest, now).map_err(at_word);
    }
    if word.has_range_dots()
        && let Some((low, high)) = raw.split_once("..")
    {
        return values::range(field, non_empty(low), non_empty(high), now).map_err(at_word);
    }
    if *field == Field::Ip && raw.contains('/') {
        return values::cidr(field, &raw).map_err(at_word);
    }
    values::equals(field, &raw, now).map_err(at_word)
}

fn split_operator(raw: &str) -> Option<(CmpOp, &str)> {
    for (symbol, op) in [
        (">=", CmpOp::Gte),
        ("<=", CmpOp::Lte),
        (">", CmpOp::Gt),
        ("<", CmpOp::Lt),
    ] {
        if let Some(rest) = raw.strip_prefix(symbol) {
            return Some((op, rest));
        }
    }
    None
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use ipnet::IpNet;
    use rstest::rstest;

    use super::*;
    use crate::query::ast::Scalar;

    fn now() -> Millis {
        Millis::parse_rfc3339("2026-11-21T12:00:00Z").unwrap()
    }

    fn t(s: &str) -> Scalar {
        Scalar::Time(Millis::parse_rfc3339(s).unwrap())
    }

    fn cond(field: Field, negated: bool, matchers: Vec<Matcher>) -> Condition {
        Condition {
            field,
            negated,
            matchers,
        }
    }

    fn one(field: Field, matcher: Matcher) -> Filter {
        Filter {
            conditions: vec![cond(field, false, vec![matcher])],
        }
    }

    fn eq(s: &str) -> Matcher {
        Matcher::Eq(s.to_owned())
    }

    fn contains(s: &str) -> Matcher {
        Matcher::Contains(s.to_owned())
    }

    fn net(s: &str) -> Matcher {
        Matcher::Cidr(s.parse::<IpNet>().unwrap())
    }

    #[rstest]
    #[case("action:member.invited", Field::Action, eq("member.invited"))]
    #[case("area:members", Field::Area, eq("members"))]
    #[case("actor:alice@example.com", Field::Actor, eq("alice@example.com"))]
    #[case("actor.id:usr_42", Field::ActorId, eq("usr_42"))]
    #[case("actor.name:\"Alice Kim\"", Field::ActorName, eq("Alice Kim"))]
    #[case(
        "actor.email:alice@example.com",
        Field::ActorEmail,
        eq("alice@example.com")
    )]
    #[case("actor.role:Admin", Field::ActorRole, eq("Admin"))]
    #[case("actor.type:api_key", Field::ActorType, eq("api_key"))]
    #[case("resource:usr_77", Field::Resource, eq("usr_77"))]
    #[case("resource.type:member", Field::ResourceType, eq("member"))]
    #[case("resource.id:usr_77", Field::ResourceId, eq("usr_77"))]
    #[case("resource.name:\"Bob Ray\"", Field::ResourceName, eq("Bob Ray"))]
    #[case("target:team_3", Field::Target, eq("team_3"))]
    #[case("source:web_ui", Field::Source, eq("web_ui"))]
    #[case("outcome:SUCCESS", Field::Outcome, eq("success"))]
    #[case("ip:203.0.113.7", Field::Ip, eq("203.0.113.7"))]
    #[case("ip:::ffff:203.0.113.7", Field::Ip, eq("203.0.113.7"))]
    #[case("ip:2001:DB8::1", Field::Ip, eq("2001:db8::1"))]
    #[case("ip:10.9.8.7/8", Field::Ip, net("10.0.0.0/8"))]
    #[case("ip:2001:db8:aa::1/48", Field::Ip, net("2001:db8:aa::/48"))]
    #[case("country:de", Field::Country, eq("DE"))]
    #[case("id:evt_0193", Field::Id, eq("evt_0193"))]
    #[case("seq:5", Field::Seq, Matcher::Range(Scalar::Int(5), Scalar::Int(6)))]
    #[case("metadata.plan:enterprise", Field::Metadata("plan".into()), eq("enterprise"))]
    #[case("metadata.x-request-id:r1", Field::Metadata("x-request-id".into()), eq("r1"))]
    #[case(
        "occurred_at:2026-11-05",
        Field::Occurred,
        Matcher::Range(t("2026-11-05T00:00:00Z"), t("2026-11-06T00:00:00Z"))
    )]
    #[case(
        "received:2026-11-05T10:00:00Z",
        Field::Received,
        Matcher::Range(t("2026-11-05T10:00:00Z"), t("2026-11-05T10:00:00.001Z"))
    )]
    fn every_field(#[case] query: &str, #[case] field: Field, #[case] matcher: Matcher) {
        assert_eq!(parse(query, now()).unwrap(), one(field, matcher));
    }

    #[rstest]
    #[case("action:member.*", Matcher::Prefix("member.".into()))]
    #[case("action:*role*", Matcher::Contains("role".into()))]
    #[case("action:*", Matcher::Exists)]
    #[case("action:\"member.*\"", eq("member.*"))]
    #[case("action:\"mem ber\"*", Matcher::Prefix("mem ber".into()))]
    #[case("action:*\"a,b\"*", Matcher::Contains("a,b".into()))]
    #[case("country:d*", Matcher::Prefix("D".into()))]
    #[case("action:\"*\"", eq("*"))]
    fn wildcards(#[case] query: &str, #[case] matcher: Matcher) {
        let filter = parse(query, now()).unwrap();
        assert_eq!(filter.conditions[0].matchers, vec![matcher]);
    }

    #[test]
    fn exists_applies_to_every_field() {
        for name in Field::NAMES.iter().filter(|n| **n != "metadata") {
            let filter = parse(&format!("-{name}:*"), now()).unwrap();
            assert_eq!(
                filter.conditions[0].matchers,
                vec![Matcher::Exists],
                "{name}"
            );
            assert!(filter.conditions[0].negated);
        }
    }

    #[test]
    fn the_design_example() {
        let q = r#"actor:alice@example.com action:member.* -source:api occurred:>=2026-11-01 ip:10.0.0.0/8 "role changed""#;
        let expected = Filter {
            conditions: vec![
                cond(Field::Actor, false, vec![eq("alice@example.com")]),
                cond(
                    Field::Action,
                    false,
                    vec![Matcher::Prefix("member.".into())],
                ),
                cond(Field::Source, true, vec![eq("api")]),
                cond(
                    Field::Occurred,
                    false,
                    vec![Matcher::Cmp(CmpOp::Gte, t("2026-11-01T00:00:00Z"))],
                ),
                cond(Field::Ip, false, vec![net("10.0.0.0/8")]),
                cond(Field::Text, false, vec![contains("role changed")]),
            ],
        };
        assert_eq!(parse(q, now()).unwrap(), expected);
    }

    #[test]
    fn or_lists_and_merging() {
        let filter = parse(
            "source:api,web_ui actor:alice -action:a source:cli -action:b,c* actor:bob",
            now(),
        )
        .unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                cond(
                    Field::Source,
                    false,
                    vec![eq("api"), eq("web_ui"), eq("cli")]
                ),
                cond(Field::Actor, false, vec![eq("alice"), eq("bob")]),
                cond(
                    Field::Action,
                    true,
                    vec![eq("a"), eq("b"), Matcher::Prefix("c".into())]
                ),
            ]
        );
    }

    #[test]
    fn positive_and_negated_stay_apart() {
        let filter = parse("action:member.* -action:member.viewed", now()).unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                cond(
                    Field::Action,
                    false,
                    vec![Matcher::Prefix("member.".into())]
                ),
                cond(Field::Action, true, vec![eq("member.viewed")]),
            ]
        );
    }

    #[test]
    fn comparisons_on_one_field_all_hold() {
        let filter = parse(
            "occurred:>=2026-11-01 occurred:<2026-11-05 seq:>10 seq:<=20",
            now(),
        )
        .unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                cond(
                    Field::Occurred,
                    false,
                    vec![Matcher::Cmp(CmpOp::Gte, t("2026-11-01T00:00:00Z"))]
                ),
                cond(
                    Field::Occurred,
                    false,
                    vec![Matcher::Cmp(CmpOp::Lt, t("2026-11-05T00:00:00Z"))]
                ),
                cond(
                    Field::Seq,
                    false,
                    vec![Matcher::Cmp(CmpOp::Gt, Scalar::Int(10))]
                ),
                cond(
                    Field::Seq,
                    false,
                    vec![Matcher::Cmp(CmpOp::Lte, Scalar::Int(20))]
                ),
            ]
        );
    }

    #[test]
    fn days_on_one_field_are_ored() {
        let filter = parse("occurred:2026-11-01 occurred:2026-11-03", now()).unwrap();
        assert_eq!(filter.conditions.len(), 1);
        assert_eq!(filter.conditions[0].matchers.len(), 2);
    }

    #[test]
    fn free_text_words_are_separate_conditions() {
        let filter = parse(r#"role -changed "Bob Ray" role*"#, now()).unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                cond(Field::Text, false, vec![contains("role")]),
                cond(Field::Text, true, vec![contains("changed")]),
                cond(Field::Text, false, vec![contains("Bob Ray")]),
                cond(Field::Text, false, vec![contains("role")]),
            ]
        );
    }

    #[rstest]
    #[case(r#""say \"hi\"""#, r#"say "hi""#)]
    #[case(r#""C:\temp""#, r#"C:\temp"#)]
    #[case(r#""back\\slash""#, r#"back\slash"#)]
    #[case(r#""a:b""#, "a:b")]
    #[case(r#"-"-x""#, "-x")]
    #[case("a,b", "a,b")]
    #[case("ümlaut", "ümlaut")]
    fn quoted_and_unusual_text(#[case] query: &str, #[case] text: &str) {
        let filter = parse(query, now()).unwrap();
        assert_eq!(filter.conditions[0].matchers, vec![contains(text)]);
    }

    #[rstest]
    #[case("occurred:>2026-11-05", CmpOp::Gte, "2026-11-06T00:00:00Z")]
    #[case("occurred:>=2026-11-05", CmpOp::Gte, "2026-11-05T00:00:00Z")]
    #[case("occurred:<2026-11-05", CmpOp::Lt, "2026-11-05T00:00:00Z")]
    #[case("occurred:<=2026-11-05", CmpOp::Lt, "2026-11-06T00:00:00Z")]
    #[case("occurred:>2026-11-05T10:00:00Z", CmpOp::Gt, "2026-11-05T10:00:00Z")]
    #[case(
        "occurred:<=2026-11-05T10:00:00.250+01:00",
        CmpOp::Lte,
        "2026-11-05T09:00:00.250Z"
    )]
    #[case("occurred:>=30d", CmpOp::Gte, "2026-10-22T12:00:00Z")]
    #[case("occurred:>12h", CmpOp::Gt, "2026-11-21T00:00:00Z")]
    #[case("occurred:>=15m", CmpOp::Gte, "2026-11-21T11:45:00Z")]
    #[case("occurred:>=2w", CmpOp::Gte, "2026-11-07T12:00:00Z")]
    #[case("received:<now", CmpOp::Lt, "2026-11-21T12:00:00Z")]
    #[case("occurred:30d", CmpOp::Gte, "2026-10-22T12:00:00Z")]
    #[case("occurred:2026-11-01..", CmpOp::Gte, "2026-11-01T00:00:00Z")]
    #[case("occurred:..2026-11-05", CmpOp::Lt, "2026-11-06T00:00:00Z")]
    fn time_comparisons(#[case] query: &str, #[case] op: CmpOp, #[case] at: &str) {
        let filter = parse(query, now()).unwrap();
        assert_eq!(filter.conditions[0].matchers, vec![Matcher::Cmp(op, t(at))]);
    }

    #[rstest]
    #[case(
        "occurred:2026-11-01..2026-11-05",
        "2026-11-01T00:00:00Z",
        "2026-11-06T00:00:00Z"
    )]
    #[case(
        "occurred:2026-11-01..2026-11-05T12:00:00Z",
        "2026-11-01T00:00:00Z",
        "2026-11-05T12:00:00Z"
    )]
    #[case(
        "occurred:2026-11-01T08:00:00Z..2026-11-01T09:00:00Z",
        "2026-11-01T08:00:00Z",
        "2026-11-01T09:00:00Z"
    )]
    #[case("occurred:7d..1d", "2026-11-14T12:00:00Z", "2026-11-20T12:00:00Z")]
    #[case(
        "occurred:2026-11-20..now",
        "2026-11-20T00:00:00Z",
        "2026-11-21T12:00:00Z"
    )]
    #[case("received:2026-11-05", "2026-11-05T00:00:00Z", "2026-11-06T00:00:00Z")]
    fn time_ranges(#[case] query: &str, #[case] low: &str, #[case] end: &str) {
        let filter = parse(query, now()).unwrap();
        assert_eq!(
            filter.conditions[0].matchers,
            vec![Matcher::Range(t(low), t(end))]
        );
    }

    #[rstest]
    #[case("seq:10..20", Matcher::Range(Scalar::Int(10), Scalar::Int(21)))]
    #[case("seq:>=10", Matcher::Cmp(CmpOp::Gte, Scalar::Int(10)))]
    #[case("seq:<10", Matcher::Cmp(CmpOp::Lt, Scalar::Int(10)))]
    #[case("seq:10..", Matcher::Cmp(CmpOp::Gte, Scalar::Int(10)))]
    #[case("seq:..20", Matcher::Cmp(CmpOp::Lte, Scalar::Int(20)))]
    fn seq_forms(#[case] query: &str, #[case] matcher: Matcher) {
        let filter = parse(query, now()).unwrap();
        assert_eq!(filter.conditions[0].matchers, vec![matcher]);
    }

    #[rstest]
    #[case("", 0)]
    #[case("   \t\n ", 0)]
    #[case(" actor:a  ", 1)]
    fn blank_queries_match_everything(#[case] query: &str, #[case] conditions: usize) {
        assert_eq!(parse(query, now()).unwrap().conditions.len(), conditions);
    }

    /// (query, column, a piece of the message, suggestion)
    #[rstest]
    #[case("actr:alice", 1, "unknown field `actr`", Some("actor"))]
    #[case("action:a -actr:alice", 11, "unknown field `actr`", Some("actor"))]
    #[case("occured:>=1d", 1, "unknown field", Some("occurred"))]
    #[case("user:alice", 1, "unknown field", Some("actor"))]
    #[case("metadata:x", 1, "needs a key", Some("metadata.<key>"))]
    #[case("12:30", 1, "put it in quotes", None)]
    #[case("a \"role changed", 3, "unterminated quote", None)]
    #[case("actor:\"alice", 7, "unterminated quote", None)]
    #[case("action:a -", 10, "`-` must be followed", None)]
    #[case("actor:", 7, "missing value", None)]
    #[case("actor: alice", 7, "missing value", None)]
    #[case("actor:a,,b", 9, "empty value", None)]
    #[case("actor:a,", 9, "empty value", None)]
    #[case("actor:\"\"", 7, "empty value", None)]
    #[case("\"\"", 1, "empty search text", None)]
    #[case("a *", 3, "`*` alone", None)]
    #[case("ro*le", 3, "`*` may only start or end a word", None)]
    #[case("actor:a*b", 8, "may only start or end", None)]
    #[case("actor:**", 7, "`**`", None)]
    #[case("actor:*ice", 7, "suffix", None)]
    #[case(
        "actor:>alice",
        7,
        "comparisons (>, >=, <, <=) do not apply to `actor`",
        None
    )]
    #[case("outcome:<=x", 9, "do not apply to `outcome`", None)]
    #[case("actor:a..b", 7, "ranges (a..b) do not apply to `actor`", None)]
    #[case("ip:10.0.0.*", 4, "use a CIDR network", None)]
    #[case("ip:*10*", 4, "use a CIDR network", None)]
    #[case("ip:10.0.0", 4, "is not an IP address", None)]
    #[case("ip:10.0.0.0/33", 4, "CIDR notation", None)]
    #[case("ip:>10.0.0.1", 4, "do not apply to `ip`", None)]
    #[case(
        "occurred:yesterday",
        10,
        "is not a time for `occurred`: use an RFC 3339 time",
        None
    )]
    #[case("occurred:>=", 10, "`occurred` needs an RFC 3339 time", None)]
    #[case("occurred:2026-11*", 10, "use a range", None)]
    #[case("occurred:2026-11-05..2026-11-01", 10, "is empty", None)]
    #[case("occurred:..", 10, "needs a start, an end or both", None)]
    #[case("received:2026-13-01", 10, "is not a time", None)]
    #[case("received:é", 10, "is not a time", None)]
    #[case("seq:abc", 5, "whole number", None)]
    #[case("seq:-1", 5, "whole number", None)]
    #[case("seq:1.5", 5, "whole number", None)]
    #[case("seq:9..3", 5, "is empty", None)]
    #[case("seq:>x", 5, "whole number", None)]
    #[case("seq:9223372036854775807", 5, "too large", None)]
    #[case("seq:1*", 5, "use a range like seq:100..199", None)]
    #[case("outcome:sucess", 9, "not a valid `outcome`", Some("success"))]
    #[case("actor.type:usr", 12, "not a valid `actor.type`", Some("user"))]
    #[case("country:Germany", 9, "ISO 3166-1", None)]
    fn errors(
        #[case] query: &str,
        #[case] column: usize,
        #[case] needle: &str,
        #[case] suggestion: Option<&str>,
    ) {
        let err = parse(query, now()).unwrap_err();
        assert_eq!(err.column, column, "{err}");
        assert!(err.message.contains(needle), "{err}");
        assert_eq!(err.suggestion.as_deref(), suggestion, "{err}");
        assert_eq!(err.field, None);
    }

    #[test]
    fn error_display_names_the_column_and_suggestion() {
        let err = parse("action:x actr:alice", now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "column 10: unknown field `actr` (did you mean `actor`?)"
        );
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"column": 10, "message": "unknown field `actr`", "suggestion": "actor"})
        );
    }
}

/// The error examples docs/query-language.md shows, word for word.
#[cfg(test)]
mod documented_errors {
    use rstest::rstest;

    use super::parse;
    use crate::Millis;

    #[rstest]
    #[case(
        "action:member.* actr:alice",
        "column 17: unknown field `actr` (did you mean `actor`?)"
    )]
    #[case("user:alice", "column 1: unknown field `user` (did you mean `actor`?)")]
    #[case(
        "12:30",
        "column 1: unknown field `12` (to search for text that contains `:`, put it in quotes)"
    )]
    #[case("\"role changed", "column 1: unterminated quote: add the closing `\"`")]
    #[case(
        "actor:>alice",
        "column 7: comparisons (>, >=, <, <=) do not apply to `actor`: they work on occurred, received and seq"
    )]
    #[case(
        "ip:10.0.0.*",
        "column 4: a prefix match does not apply to `ip`: use a CIDR network like 10.0.0.0/24"
    )]
    #[case(
        "occurred:yesterday",
        "column 10: `yesterday` is not a time for `occurred`: use an RFC 3339 time (2026-11-21T10:00:00Z), a date (2026-11-21), `now`, or a time ago like 30d, 12h, 15m or 2w"
    )]
    #[case(
        "occurred:2026-11-05..2026-11-01",
        "column 10: the range `2026-11-05..2026-11-01` is empty: its start is not before its end (a full timestamp as the end is exclusive)"
    )]
    #[case(
        "seq:1.5",
        "column 5: `1.5` is not a sequence number: `seq` takes a whole number like 42"
    )]
    #[case(
        "outcome:sucess",
        "column 9: `sucess` is not a valid `outcome`: use one of success, failure (did you mean `success`?)"
    )]
    #[case(
        "actor:*ice",
        "column 7: suffix matches (`*value`) are not supported: use `*value*` to match anywhere"
    )]
    fn as_documented(#[case] query: &str, #[case] shown: &str) {
        let err = parse(query, Millis(0)).unwrap_err();
        assert_eq!(err.to_string(), shown);
        let doc = include_str!("../../../../docs/query-language.md");
        assert!(doc.contains(&format!("| `{query}` | {shown} |")), "{query}");
    }
}
