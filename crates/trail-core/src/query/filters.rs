//! Structured filters (`{"field", "op", "value"}` rows of the web builder) → [`Filter`], with the
//! same field names and value rules as the text syntax.

use serde::Deserialize;
use serde_json::Value;

use super::ast::{CmpOp, Condition, Filter, Matcher};
use super::names;
use super::parse::QueryError;
use super::values::{self, Problem};
use crate::Millis;

/// One Field / Operator / Value row.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct StructuredFilter {
    pub field: String,
    pub op: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    Contains,
    NotContains,
    StartsWith,
    Cmp(CmpOp),
    Between,
    Exists,
    Cidr,
}

const OPS: [(&str, Op); 14] = [
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("contains", Op::Contains),
    ("not_contains", Op::NotContains),
    ("starts_with", Op::StartsWith),
    ("gt", Op::Cmp(CmpOp::Gt)),
    ("gte", Op::Cmp(CmpOp::Gte)),
    ("lt", Op::Cmp(CmpOp::Lt)),
    ("lte", Op::Cmp(CmpOp::Lte)),
    ("between", Op::Between),
    ("exists", Op::Exists),
    ("cidr", Op::Cidr),
];

/// Operators people write elsewhere, and the one they mean here.
const OP_ALIASES: [(&str, &str); 15] = [
    ("=", "eq"),
    ("==", "eq"),
    ("is", "eq"),
    ("equals", "eq"),
    ("!=", "ne"),
    ("<>", "ne"),
    ("not", "ne"),
    (">", "gt"),
    (">=", "gte"),
    ("<", "lt"),
    ("<=", "lte"),
    ("prefix", "starts_with"),
    ("startswith", "starts_with"),
    ("like", "contains"),
    ("range", "between"),
];

/// Converts rows into a filter: each row is one condition, and all must hold (rows on the same
/// field are not merged). Times and `seq` follow the text syntax: `gt` a date starts at the next
/// midnight, `between` includes a date's whole day and is exclusive of a full timestamp's end, and
/// `between` on `seq` includes both ends. Errors name the row (`filters[i].value`) in `field` and
/// in the message; their `column` is 0.
pub fn from_structured(rows: &[StructuredFilter], now: Millis) -> Result<Filter, QueryError> {
    let conditions = rows
        .iter()
        .enumerate()
        .map(|(i, row)| condition(i, row, now))
        .collect::<Result<_, _>>()?;
    Ok(Filter { conditions })
}

fn condition(i: usize, row: &StructuredFilter, now: Millis) -> Result<Condition, QueryError> {
    let field = names::field(&row.field).ok_or_else(|| {
        let (message, suggestion) = names::unknown_field(&row.field);
        row_error(
            i,
            "field",
            Problem {
                message,
                suggestion,
            },
        )
    })?;
    let op_name = row.op.to_ascii_lowercase();
    let op = OPS
        .iter()
        .find(|(name, _)| *name == op_name)
        .map(|(_, op)| *op)
        .ok_or_else(|| row_error(i, "op", unknown_op(&row.op)))?;
    let value = &row.value;
    let equals = |v: &Value| values::equals(&field, &scalar(v)?, now);
    let result = match op {
        Op::Eq | Op::Ne => equals(value).map(|m| vec![m]),
        Op::In | Op::NotIn => list(value).and_then(|items| items.iter().map(equals).collect()),
        Op::Contains | Op::NotContains => scalar(value)
            .and_then(|v| values::contains(&field, &v))
            .map(|m| vec![m]),
        Op::StartsWith => scalar(value)
            .and_then(|v| values::prefix(&field, &v))
            .map(|m| vec![m]),
        Op::Cmp(cmp) => scalar(value)
            .and_then(|v| values::compare(&field, cmp, &v, now))
            .map(|m| vec![m]),
        Op::Between => between(value)
            .and_then(|(low, high)| values::range(&field, low.as_deref(), high.as_deref(), now))
            .map(|m| vec![m]),
        Op::Exists => exists(value).map(|_| vec![Matcher::Exists]),
        Op::Cidr => scalar(value)
            .and_then(|v| values::cidr(&field, &v))
            .map(|m| vec![m]),
    };
    let matchers = result.map_err(|problem| row_error(i, "value", problem))?;
    let negated = match op {
        Op::Ne | Op::NotIn | Op::NotContains => true,
        Op::Exists => value == &Value::Bool(false),
        _ => false,
    };
    Ok(Condition {
        field,
        negated,
        matchers,
    })
}

fn row_error(i: usize, member: &str, problem: Problem) -> QueryError {
    let path = format!("filters[{i}].{member}");
    QueryError {
        column: 0,
        message: format!("{path}: {}", problem.message),
        suggestion: problem.suggestion,
        field: Some(path),
    }
}

fn unknown_op(op: &str) -> Problem {
    let lower = op.to_ascii_lowercase();
    let suggestion = OP_ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, name)| *name)
        .or_else(|| names::nearest(&lower, OPS.iter().map(|(name, _)| *name)));
    let all: Vec<&str> = OPS.iter().map(|(name, _)| *name).collect();
    Problem {
        message: format!("unknown operator `{op}`: use one of {}", all.join(", ")),
        suggestion: suggestion.map(str::to_owned),
    }
}

/// A single value: a non-empty string, or a number.
fn scalar(value: &Value) -> Result<String, Problem> {
    match value {
        Value::String(s) if s.is_empty() => Err(Problem::new("the value is empty")),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(Problem::new(format!(
            "expected a string or a number, not {}",
            describe(other)
        ))),
    }
}

fn list(value: &Value) -> Result<&[Value], Problem> {
    match value {
        Value::Array(items) if !items.is_empty() => Ok(items),
        other => Err(Problem::new(format!(
            "expected a non-empty array of values like [\"a\", \"b\"], not {}",
            describe(other)
        ))),
    }
}

/// `[low, high]`; either may be null for an open end.
fn between(value: &Value) -> Result<(Option<String>, Option<String>), Problem> {
    let bound = |v: &Value| match v {
        Value::Null => Ok(None),
        v => scalar(v).map(Some),
    };
    match value {
        Value::Array(pair) if pair.len() == 2 => Ok((bound(&pair[0])?, bound(&pair[1])?)),
        other => Err(Problem::new(format!(
            "expected [low, high] like [\"2026-11-01\", \"2026-11-05\"], not {}",
            describe(other)
        ))),
    }
}

/// `true` (or no value) asks for the field to be present, `false` for it to be absent.
fn exists(value: &Value) -> Result<(), Problem> {
    match value {
        Value::Bool(_) | Value::Null => Ok(()),
        other => Err(Problem::new(format!(
            "`exists` takes true or false, not {}",
            describe(other)
        ))),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;
    use crate::query::ast::{Field, Scalar};

    fn now() -> Millis {
        Millis::parse_rfc3339("2026-11-21T12:00:00Z").unwrap()
    }

    fn t(s: &str) -> Scalar {
        Scalar::Time(Millis::parse_rfc3339(s).unwrap())
    }

    fn row(field: &str, op: &str, value: Value) -> StructuredFilter {
        StructuredFilter {
            field: field.to_owned(),
            op: op.to_owned(),
            value,
        }
    }

    fn eq(s: &str) -> Matcher {
        Matcher::Eq(s.to_owned())
    }

    #[rstest]
    #[case(row("actor", "eq", json!("alice")), Field::Actor, false, vec![eq("alice")])]
    #[case(row("source", "ne", json!("api")), Field::Source, true, vec![eq("api")])]
    #[case(row("action", "in", json!(["a", "b"])), Field::Action, false, vec![eq("a"), eq("b")])]
    #[case(row("action", "not_in", json!(["a"])), Field::Action, true, vec![eq("a")])]
    #[case(row("actor.name", "contains", json!("Kim")), Field::ActorName, false, vec![Matcher::Contains("Kim".into())])]
    #[case(row("actor.name", "not_contains", json!("Kim")), Field::ActorName, true, vec![Matcher::Contains("Kim".into())])]
    #[case(row("action", "starts_with", json!("member.")), Field::Action, false, vec![Matcher::Prefix("member.".into())])]
    #[case(row("occurred", "gt", json!("2026-11-05")), Field::Occurred, false, vec![Matcher::Cmp(CmpOp::Gte, t("2026-11-06T00:00:00Z"))])]
    #[case(row("occurred", "gte", json!("2026-11-05")), Field::Occurred, false, vec![Matcher::Cmp(CmpOp::Gte, t("2026-11-05T00:00:00Z"))])]
    #[case(row("occurred", "lt", json!("2026-11-05T10:00:00Z")), Field::Occurred, false, vec![Matcher::Cmp(CmpOp::Lt, t("2026-11-05T10:00:00Z"))])]
    #[case(row("received", "lte", json!("2026-11-05")), Field::Received, false, vec![Matcher::Cmp(CmpOp::Lt, t("2026-11-06T00:00:00Z"))])]
    #[case(row("occurred", "gte", json!("30d")), Field::Occurred, false, vec![Matcher::Cmp(CmpOp::Gte, t("2026-10-22T12:00:00Z"))])]
    #[case(row("seq", "gt", json!(10)), Field::Seq, false, vec![Matcher::Cmp(CmpOp::Gt, Scalar::Int(10))])]
    #[case(row("seq", "lte", json!("10")), Field::Seq, false, vec![Matcher::Cmp(CmpOp::Lte, Scalar::Int(10))])]
    #[case(row("occurred", "between", json!(["2026-11-01", "2026-11-05"])), Field::Occurred, false, vec![Matcher::Range(t("2026-11-01T00:00:00Z"), t("2026-11-06T00:00:00Z"))])]
    #[case(row("occurred", "between", json!(["2026-11-01T00:00:00Z", "2026-11-05T00:00:00Z"])), Field::Occurred, false, vec![Matcher::Range(t("2026-11-01T00:00:00Z"), t("2026-11-05T00:00:00Z"))])]
    #[case(row("occurred", "between", json!(["2026-11-01", null])), Field::Occurred, false, vec![Matcher::Cmp(CmpOp::Gte, t("2026-11-01T00:00:00Z"))])]
    #[case(row("seq", "between", json!([10, 20])), Field::Seq, false, vec![Matcher::Range(Scalar::Int(10), Scalar::Int(21))])]
    #[case(row("seq", "eq", json!(7)), Field::Seq, false, vec![Matcher::Range(Scalar::Int(7), Scalar::Int(8))])]
    #[case(row("occurred", "eq", json!("2026-11-05")), Field::Occurred, false, vec![Matcher::Range(t("2026-11-05T00:00:00Z"), t("2026-11-06T00:00:00Z"))])]
    #[case(row("metadata.plan", "exists", json!(true)), Field::Metadata("plan".into()), false, vec![Matcher::Exists])]
    #[case(row("actor.email", "exists", json!(null)), Field::ActorEmail, false, vec![Matcher::Exists])]
    #[case(row("actor.email", "exists", json!(false)), Field::ActorEmail, true, vec![Matcher::Exists])]
    #[case(row("ip", "cidr", json!("10.1.2.3/8")), Field::Ip, false, vec![Matcher::Cidr("10.0.0.0/8".parse().unwrap())])]
    #[case(row("ip", "cidr", json!("2001:db8::1/32")), Field::Ip, false, vec![Matcher::Cidr("2001:db8::/32".parse().unwrap())])]
    #[case(row("ip", "eq", json!("::ffff:10.0.0.1")), Field::Ip, false, vec![eq("10.0.0.1")])]
    #[case(row("ip", "in", json!(["10.0.0.1", "::1"])), Field::Ip, false, vec![eq("10.0.0.1"), eq("::1")])]
    #[case(row("country", "eq", json!("de")), Field::Country, false, vec![eq("DE")])]
    #[case(row("outcome", "eq", json!("Failure")), Field::Outcome, false, vec![eq("failure")])]
    #[case(row("metadata.count", "eq", json!(3)), Field::Metadata("count".into()), false, vec![eq("3")])]
    #[case(row("Actor", "EQ", json!("x")), Field::Actor, false, vec![eq("x")])]
    fn every_op(
        #[case] row: StructuredFilter,
        #[case] field: Field,
        #[case] negated: bool,
        #[case] matchers: Vec<Matcher>,
    ) {
        let filter = from_structured(&[row], now()).unwrap();
        assert_eq!(
            filter.conditions,
            vec![Condition {
                field,
                negated,
                matchers
            }]
        );
    }

    #[test]
    fn rows_are_separate_conditions_in_order() {
        let rows = [
            row("actor", "eq", json!("alice")),
            row("actor", "eq", json!("bob")),
            row("source", "ne", json!("api")),
        ];
        let filter = from_structured(&rows, now()).unwrap();
        let fields: Vec<(&Field, bool)> = filter
            .conditions
            .iter()
            .map(|c| (&c.field, c.negated))
            .collect();
        assert_eq!(
            fields,
            [
                (&Field::Actor, false),
                (&Field::Actor, false),
                (&Field::Source, true)
            ]
        );
        assert_eq!(from_structured(&[], now()).unwrap(), Filter::default());
    }

    /// (row, which member is named, a piece of the message, suggestion)
    #[rstest]
    #[case(row("actr", "eq", json!("a")), "field", "unknown field `actr`", Some("actor"))]
    #[case(row("actor", "equals", json!("a")), "op", "unknown operator `equals`", Some("eq"))]
    #[case(row("actor", "not_inn", json!(["a"])), "op", "use one of eq, ne", Some("not_in"))]
    #[case(row("actor", ">=", json!("a")), "op", "unknown operator", Some("gte"))]
    #[case(row("actor", "frobnicate", json!("a")), "op", "unknown operator", None)]
    #[case(row("actor", "eq", json!(null)), "value", "expected a string or a number, not null", None)]
    #[case(row("actor", "eq", json!("")), "value", "the value is empty", None)]
    #[case(row("actor", "eq", json!(["a"])), "value", "not an array", None)]
    #[case(row("actor", "in", json!("a")), "value", "non-empty array", None)]
    #[case(row("actor", "in", json!([])), "value", "non-empty array", None)]
    #[case(row("actor", "in", json!(["a", {}])), "value", "not an object", None)]
    #[case(row("actor", "gt", json!("a")), "value", "do not apply to `actor`", None)]
    #[case(row("actor", "between", json!(["a", "b"])), "value", "do not apply to `actor`", None)]
    #[case(row("occurred", "between", json!(["2026-11-01"])), "value", "expected [low, high]", None)]
    #[case(row("occurred", "between", json!([null, null])), "value", "needs a start", None)]
    #[case(row("occurred", "between", json!(["2026-11-05", "2026-11-01"])), "value", "is empty", None)]
    #[case(row("occurred", "gt", json!("soon")), "value", "is not a time", None)]
    #[case(row("occurred", "contains", json!("2026")), "value", "use a range", None)]
    #[case(row("seq", "eq", json!(1.5)), "value", "whole number", None)]
    #[case(row("seq", "between", json!([5, 1])), "value", "is empty", None)]
    #[case(row("ip", "starts_with", json!("10.")), "value", "CIDR", None)]
    #[case(row("ip", "eq", json!("10.0.0.0/8")), "value", "not an IP address", None)]
    #[case(row("ip", "cidr", json!("10.0.0")), "value", "CIDR notation", None)]
    #[case(row("actor", "cidr", json!("10.0.0.0/8")), "value", "only to `ip`", None)]
    #[case(row("actor", "exists", json!("yes")), "value", "true or false", None)]
    #[case(row("outcome", "eq", json!("sucess")), "value", "not a valid `outcome`", Some("success"))]
    #[case(row("actor.type", "in", json!(["user", "robot"])), "value", "not a valid `actor.type`", None)]
    #[case(row("country", "eq", json!("Germany")), "value", "ISO 3166-1", None)]
    fn errors_name_the_row(
        #[case] bad: StructuredFilter,
        #[case] member: &str,
        #[case] needle: &str,
        #[case] suggestion: Option<&str>,
    ) {
        let rows = [row("action", "eq", json!("member.invited")), bad];
        let err = from_structured(&rows, now()).unwrap_err();
        let path = format!("filters[1].{member}");
        assert_eq!(err.field.as_deref(), Some(path.as_str()), "{err}");
        assert!(err.message.starts_with(&format!("{path}: ")), "{err}");
        assert!(err.message.contains(needle), "{err}");
        assert_eq!(err.suggestion.as_deref(), suggestion, "{err}");
        assert_eq!(err.column, 0);
    }

    #[test]
    fn error_display_has_no_column() {
        let err = from_structured(&[row("actr", "eq", json!("a"))], now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "filters[0].field: unknown field `actr` (did you mean `actor`?)"
        );
    }

    #[test]
    fn rows_deserialize_from_the_wire() {
        let rows: Vec<StructuredFilter> = serde_json::from_value(json!([
            {"field": "action", "op": "in", "value": ["member.invited", "member.removed"]},
            {"field": "metadata.plan", "op": "exists"}
        ]))
        .unwrap();
        let filter = from_structured(&rows, now()).unwrap();
        assert_eq!(filter.conditions[1].matchers, vec![Matcher::Exists]);
        assert!(!filter.conditions[1].negated);
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("../../../../docs/query-language.md");
        let section = &doc[doc.find("## Structured filters").unwrap()..];
        let start = section.find("```json\n").unwrap() + "```json\n".len();
        let end = start + section[start..].find("```").unwrap();
        let body: Value = serde_json::from_str(&section[start..end]).unwrap();
        let rows: Vec<StructuredFilter> = serde_json::from_value(body["filters"].clone()).unwrap();
        let filter = from_structured(&rows, now()).unwrap();
        assert_eq!(filter.conditions.len(), 6);
        assert_eq!(
            filter.to_string(),
            "action:member.* actor.role:Admin,Owner -source:api \
             occurred:2026-11-01T00:00:00.000Z..2026-11-06T00:00:00.000Z ip:10.0.0.0/8 metadata.ticket:*"
        );
    }
}
