//! What a value means for a field: times (and how a date covers its whole day), `seq` numbers, IP
//! addresses and networks, and the fields with a fixed vocabulary. The text parser and structured
//! filters both build their matchers here, so `occurred:>2026-11-05` and `{"op": "gt"}` agree.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use super::ast::{CmpOp, Field, Matcher, Scalar};
use super::names::nearest;
use crate::Millis;
use crate::time::{TIME_BOUND_FORMS as TIME_FORMS, parse_time_bound};
use crate::validate::ACTOR_TYPES;

const DAY_MS: i64 = 86_400_000;
/// 0000-01-01T00:00:00Z and 9999-12-30T00:00:00Z: every bound built from a time in between (the
/// day after a date, the millisecond after an instant) still prints as RFC 3339.
const EARLIEST_MS: i64 = -62_167_219_200_000;
const LATEST_MS: i64 = 253_402_128_000_000;
const OUTCOMES: [&str; 2] = ["success", "failure"];

/// Why a value does not fit its field. The caller says where: a column, or a `filters[i]` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub message: String,
    pub suggestion: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            suggestion: None,
        }
    }
}

/// How a field's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Time,
    Seq,
    Ip,
    Str,
}

fn kind(field: &Field) -> Kind {
    match field {
        Field::Occurred | Field::Received => Kind::Time,
        Field::Seq => Kind::Seq,
        Field::Ip => Kind::Ip,
        _ => Kind::Str,
    }
}

/// `field:value` / `eq`: a date is its whole day, a full timestamp its millisecond, a relative time
/// (`30d`, `now`) means "since then"; `seq:5` is the one event 5; an IP address is compared in
/// canonical form; fixed vocabularies are checked.
pub(super) fn equals(field: &Field, value: &str, now: Millis) -> Result<Matcher, Problem> {
    match kind(field) {
        Kind::Time => {
            let (at, form) = time(field, value, now)?;
            Ok(match form {
                TimeForm::Date => time_range(at, at.plus_ms(DAY_MS)),
                TimeForm::Instant => time_range(at, at.plus_ms(1)),
                TimeForm::Relative => Matcher::Cmp(CmpOp::Gte, Scalar::Time(at)),
            })
        }
        Kind::Seq => {
            let n = seq(value)?;
            Ok(Matcher::Range(Scalar::Int(n), Scalar::Int(seq_after(n)?)))
        }
        Kind::Ip => address(value).map(Matcher::Eq),
        Kind::Str => exact(field, value).map(Matcher::Eq),
    }
}

/// `value*` / `starts_with`.
pub(super) fn prefix(field: &Field, value: &str) -> Result<Matcher, Problem> {
    strings_only(field, "a prefix match")?;
    Ok(Matcher::Prefix(fold_case(field, value)))
}

/// `*value*` / `contains`.
pub(super) fn contains(field: &Field, value: &str) -> Result<Matcher, Problem> {
    strings_only(field, "a contains match")?;
    Ok(Matcher::Contains(fold_case(field, value)))
}

/// `>`, `>=`, `<`, `<=` on times and `seq`. A date as a bound covers its whole day: `>2026-11-05`
/// starts at the next midnight and `<=2026-11-05` ends there.
pub(super) fn compare(
    field: &Field,
    op: CmpOp,
    value: &str,
    now: Millis,
) -> Result<Matcher, Problem> {
    match kind(field) {
        Kind::Time => {
            let (at, form) = time(field, value, now)?;
            let next_day = Scalar::Time(at.plus_ms(DAY_MS));
            Ok(match (form, op) {
                (TimeForm::Date, CmpOp::Gt) => Matcher::Cmp(CmpOp::Gte, next_day),
                (TimeForm::Date, CmpOp::Lte) => Matcher::Cmp(CmpOp::Lt, next_day),
                (_, op) => Matcher::Cmp(op, Scalar::Time(at)),
            })
        }
        Kind::Seq => Ok(Matcher::Cmp(op, Scalar::Int(seq(value)?))),
        Kind::Ip | Kind::Str => Err(Problem::new(format!(
            "comparisons (>, >=, <, <=) do not apply to `{}`: they work on occurred, received and seq",
            field.name()
        ))),
    }
}

/// `low..high` / `between`, either end optional. Times: the start is inclusive, and the end is
/// exclusive for a full timestamp or a relative time but covers the whole day for a date. `seq`:
/// both ends inclusive.
pub(super) fn range(
    field: &Field,
    low: Option<&str>,
    high: Option<&str>,
    now: Millis,
) -> Result<Matcher, Problem> {
    let shown = format!("{}..{}", low.unwrap_or(""), high.unwrap_or(""));
    let empty = || {
        Problem::new(format!(
            "the range `{shown}` is empty: its start is after its end"
        ))
    };
    match kind(field) {
        Kind::Time => {
            let start = low.map(|v| time(field, v, now)).transpose()?;
            let end = high.map(|v| time(field, v, now)).transpose()?;
            let end = end.map(|(at, form)| match form {
                TimeForm::Date => at.plus_ms(DAY_MS),
                TimeForm::Instant | TimeForm::Relative => at,
            });
            match (start.map(|(at, _)| at), end) {
                (Some(start), Some(end)) if start < end => Ok(time_range(start, end)),
                (Some(_), Some(_)) => Err(Problem::new(format!(
                    "the range `{shown}` is empty: its start is not before its end \
                     (a full timestamp as the end is exclusive)"
                ))),
                (Some(start), None) => Ok(Matcher::Cmp(CmpOp::Gte, Scalar::Time(start))),
                (None, Some(end)) => Ok(Matcher::Cmp(CmpOp::Lt, Scalar::Time(end))),
                (None, None) => Err(missing_ends(field)),
            }
        }
        Kind::Seq => match (low.map(seq).transpose()?, high.map(seq).transpose()?) {
            (Some(low), Some(high)) if low <= high => Ok(Matcher::Range(
                Scalar::Int(low),
                Scalar::Int(seq_after(high)?),
            )),
            (Some(_), Some(_)) => Err(empty()),
            (Some(low), None) => Ok(Matcher::Cmp(CmpOp::Gte, Scalar::Int(low))),
            (None, Some(high)) => Ok(Matcher::Cmp(CmpOp::Lte, Scalar::Int(high))),
            (None, None) => Err(missing_ends(field)),
        },
        Kind::Ip | Kind::Str => Err(Problem::new(format!(
            "ranges (a..b) do not apply to `{}`: they work on occurred, received and seq \
             (quote a value that contains `..`)",
            field.name()
        ))),
    }
}

/// A network in CIDR notation (or one address, as a network of one), for `ip` only.
pub(super) fn cidr(field: &Field, value: &str) -> Result<Matcher, Problem> {
    if kind(field) != Kind::Ip {
        return Err(Problem::new(format!(
            "CIDR networks apply only to `ip`, not `{}`",
            field.name()
        )));
    }
    let net = value
        .parse::<IpNet>()
        .ok()
        .or_else(|| value.parse::<IpAddr>().ok().map(IpNet::from))
        .ok_or_else(|| {
            Problem::new(format!(
                "`{value}` is not a network in CIDR notation like 10.0.0.0/8 or 2001:db8::/32"
            ))
        })?;
    Ok(Matcher::Cidr(canonical_net(net)))
}

/// The network with host bits cleared, an IPv4-mapped IPv6 network written as IPv4 (stored
/// addresses are canonical the same way).
pub(super) fn canonical_net(net: IpNet) -> IpNet {
    let net = net.trunc();
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.network().to_ipv4_mapped()
        && let Ok(v4) = Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(v4);
    }
    net
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeForm {
    Date,
    Instant,
    Relative,
}

fn time(field: &Field, value: &str, now: Millis) -> Result<(Millis, TimeForm), Problem> {
    let problem = || {
        if value.is_empty() {
            Problem::new(format!("`{}` needs {TIME_FORMS}", field.name()))
        } else {
            Problem::new(format!(
                "`{value}` is not a time for `{}`: use {TIME_FORMS}",
                field.name()
            ))
        }
    };
    // `parse_time_bound` splits at a byte offset, so only ASCII may reach it.
    if !value.is_ascii() {
        return Err(problem());
    }
    let (at, form) = if let Some(at) = Millis::parse_date(value) {
        (at, TimeForm::Date)
    } else if let Some(at) = Millis::parse_rfc3339(value) {
        (at, TimeForm::Instant)
    } else {
        let at = parse_time_bound(value, now).ok_or_else(problem)?;
        (at, TimeForm::Relative)
    };
    if !(EARLIEST_MS..=LATEST_MS).contains(&at.0) {
        return Err(Problem::new(format!(
            "`{value}` is out of range: times must fall between the years 0000 and 9999"
        )));
    }
    Ok((at, form))
}

fn time_range(start: Millis, end: Millis) -> Matcher {
    Matcher::Range(Scalar::Time(start), Scalar::Time(end))
}

fn seq(value: &str) -> Result<i64, Problem> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            Problem::new(format!(
                "`{value}` is not a sequence number: `seq` takes a whole number like 42"
            ))
        })
}

fn seq_after(n: i64) -> Result<i64, Problem> {
    n.checked_add(1)
        .ok_or_else(|| Problem::new(format!("`{n}` is too large for `seq`")))
}

fn missing_ends(field: &Field) -> Problem {
    Problem::new(format!(
        "a range needs a start, an end or both, like `{}:{}`",
        field.name(),
        if kind(field) == Kind::Seq {
            "100..200"
        } else {
            "2026-11-01..2026-11-05"
        }
    ))
}

fn address(value: &str) -> Result<String, Problem> {
    value
        .parse::<IpAddr>()
        .map(|addr| addr.to_canonical().to_string())
        .map_err(|_| {
            Problem::new(format!(
                "`{value}` is not an IP address like 203.0.113.7 or 2001:db8::1"
            ))
        })
}

/// Prefix and contains matches are for text; say what to use instead on the other fields.
fn strings_only(field: &Field, what: &str) -> Result<(), Problem> {
    let name = field.name();
    let instead = match kind(field) {
        Kind::Str => return Ok(()),
        Kind::Ip => "use a CIDR network like 10.0.0.0/24".to_owned(),
        Kind::Time => format!("use a range like {name}:2026-11-01..2026-11-05 or {name}:>=30d"),
        Kind::Seq => "use a range like seq:100..199 or seq:>=100".to_owned(),
    };
    Err(Problem::new(format!(
        "{what} does not apply to `{name}`: {instead}"
    )))
}

/// The exact value for a string field, checked and case-normalised where the field has a fixed form.
fn exact(field: &Field, value: &str) -> Result<String, Problem> {
    match field {
        Field::Country if value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(value.to_ascii_uppercase())
        }
        Field::Country => Err(Problem::new(format!(
            "`{value}` is not a country: use an ISO 3166-1 alpha-2 code like DE"
        ))),
        Field::Outcome => one_of(field, value, &OUTCOMES),
        Field::ActorType => one_of(field, value, &ACTOR_TYPES),
        _ => Ok(value.to_owned()),
    }
}

fn one_of(field: &Field, value: &str, allowed: &[&str]) -> Result<String, Problem> {
    let lower = value.to_ascii_lowercase();
    if allowed.contains(&lower.as_str()) {
        return Ok(lower);
    }
    Err(Problem {
        message: format!(
            "`{value}` is not a valid `{}`: use one of {}",
            field.name(),
            allowed.join(", ")
        ),
        suggestion: nearest(&lower, allowed.iter().copied()).map(str::to_owned),
    })
}

/// Countries are stored upper-case, outcomes and actor types lower-case.
fn fold_case(field: &Field, value: &str) -> String {
    match field {
        Field::Country => value.to_ascii_uppercase(),
        Field::Outcome | Field::ActorType => value.to_ascii_lowercase(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn t(s: &str) -> Scalar {
        Scalar::Time(Millis::parse_rfc3339(s).unwrap())
    }

    fn now() -> Millis {
        Millis::parse_rfc3339("2026-11-21T12:00:00Z").unwrap()
    }

    #[rstest]
    #[case(
        "2026-11-05",
        Matcher::Range(t("2026-11-05T00:00:00Z"), t("2026-11-06T00:00:00Z"))
    )]
    #[case(
        "2026-11-05T10:00:00Z",
        Matcher::Range(t("2026-11-05T10:00:00Z"), t("2026-11-05T10:00:00.001Z"))
    )]
    #[case("1d", Matcher::Cmp(CmpOp::Gte, t("2026-11-20T12:00:00Z")))]
    #[case("now", Matcher::Cmp(CmpOp::Gte, t("2026-11-21T12:00:00Z")))]
    #[case(
        "0000-01-01",
        Matcher::Range(t("0000-01-01T00:00:00Z"), t("0000-01-02T00:00:00Z"))
    )]
    #[case(
        "9999-12-29",
        Matcher::Range(t("9999-12-29T00:00:00Z"), t("9999-12-30T00:00:00Z"))
    )]
    fn time_equality(#[case] value: &str, #[case] expected: Matcher) {
        assert_eq!(equals(&Field::Occurred, value, now()).unwrap(), expected);
    }

    #[rstest]
    #[case(CmpOp::Gt, "2026-11-05", CmpOp::Gte, "2026-11-06T00:00:00Z")]
    #[case(CmpOp::Gte, "2026-11-05", CmpOp::Gte, "2026-11-05T00:00:00Z")]
    #[case(CmpOp::Lt, "2026-11-05", CmpOp::Lt, "2026-11-05T00:00:00Z")]
    #[case(CmpOp::Lte, "2026-11-05", CmpOp::Lt, "2026-11-06T00:00:00Z")]
    #[case(CmpOp::Gt, "2026-11-05T10:00:00Z", CmpOp::Gt, "2026-11-05T10:00:00Z")]
    #[case(
        CmpOp::Lte,
        "2026-11-05T10:00:00+02:00",
        CmpOp::Lte,
        "2026-11-05T08:00:00Z"
    )]
    #[case(CmpOp::Lte, "12h", CmpOp::Lte, "2026-11-21T00:00:00Z")]
    fn time_comparisons(
        #[case] op: CmpOp,
        #[case] value: &str,
        #[case] expected_op: CmpOp,
        #[case] expected: &str,
    ) {
        assert_eq!(
            compare(&Field::Received, op, value, now()).unwrap(),
            Matcher::Cmp(expected_op, t(expected))
        );
    }

    #[rstest]
    #[case(
        Some("2026-11-01"),
        Some("2026-11-05"),
        Matcher::Range(t("2026-11-01T00:00:00Z"), t("2026-11-06T00:00:00Z"))
    )]
    #[case(
        Some("2026-11-01"),
        Some("2026-11-05T00:00:00Z"),
        Matcher::Range(t("2026-11-01T00:00:00Z"), t("2026-11-05T00:00:00Z"))
    )]
    #[case(
        Some("7d"),
        Some("1d"),
        Matcher::Range(t("2026-11-14T12:00:00Z"), t("2026-11-20T12:00:00Z"))
    )]
    #[case(
        Some("2026-11-05"),
        Some("2026-11-05"),
        Matcher::Range(t("2026-11-05T00:00:00Z"), t("2026-11-06T00:00:00Z"))
    )]
    #[case(
        Some("2026-11-01"),
        None,
        Matcher::Cmp(CmpOp::Gte, t("2026-11-01T00:00:00Z"))
    )]
    #[case(
        None,
        Some("2026-11-05"),
        Matcher::Cmp(CmpOp::Lt, t("2026-11-06T00:00:00Z"))
    )]
    fn time_ranges(
        #[case] low: Option<&str>,
        #[case] high: Option<&str>,
        #[case] expected: Matcher,
    ) {
        assert_eq!(range(&Field::Occurred, low, high, now()).unwrap(), expected);
    }

    #[rstest]
    #[case(Some("2026-11-05"), Some("2026-11-01"), "is empty")]
    #[case(
        Some("2026-11-05T00:00:00Z"),
        Some("2026-11-05T00:00:00Z"),
        "exclusive"
    )]
    #[case(None, None, "needs a start")]
    #[case(Some("soon"), None, "is not a time")]
    #[case(Some("é"), None, "is not a time")]
    #[case(Some(""), None, "needs an RFC 3339 time")]
    #[case(Some("9999-12-31"), None, "out of range")]
    #[case(Some("99999999w"), None, "out of range")]
    fn bad_time_ranges(
        #[case] low: Option<&str>,
        #[case] high: Option<&str>,
        #[case] needle: &str,
    ) {
        let problem = range(&Field::Occurred, low, high, now()).unwrap_err();
        assert!(problem.message.contains(needle), "{}", problem.message);
    }

    #[rstest]
    #[case("5", Matcher::Range(Scalar::Int(5), Scalar::Int(6)))]
    #[case("0", Matcher::Range(Scalar::Int(0), Scalar::Int(1)))]
    fn seq_equality(#[case] value: &str, #[case] expected: Matcher) {
        assert_eq!(equals(&Field::Seq, value, now()).unwrap(), expected);
    }

    #[rstest]
    #[case(
        Some("10"),
        Some("20"),
        Matcher::Range(Scalar::Int(10), Scalar::Int(21))
    )]
    #[case(
        Some("10"),
        Some("10"),
        Matcher::Range(Scalar::Int(10), Scalar::Int(11))
    )]
    #[case(Some("10"), None, Matcher::Cmp(CmpOp::Gte, Scalar::Int(10)))]
    #[case(None, Some("20"), Matcher::Cmp(CmpOp::Lte, Scalar::Int(20)))]
    fn seq_ranges(
        #[case] low: Option<&str>,
        #[case] high: Option<&str>,
        #[case] expected: Matcher,
    ) {
        assert_eq!(range(&Field::Seq, low, high, now()).unwrap(), expected);
    }

    #[rstest]
    #[case("-1")]
    #[case("1.5")]
    #[case("x")]
    #[case("9223372036854775807")]
    fn bad_seq(#[case] value: &str) {
        assert!(equals(&Field::Seq, value, now()).is_err());
    }

    #[rstest]
    #[case("10.0.0.1", "10.0.0.1")]
    #[case("::ffff:10.0.0.1", "10.0.0.1")]
    #[case("2001:DB8::0:1", "2001:db8::1")]
    fn addresses_are_canonical(#[case] value: &str, #[case] expected: &str) {
        assert_eq!(
            equals(&Field::Ip, value, now()).unwrap(),
            Matcher::Eq(expected.into())
        );
    }

    #[rstest]
    #[case("10.1.2.3/8", "10.0.0.0/8")]
    #[case("2001:db8::1/32", "2001:db8::/32")]
    #[case("::ffff:10.0.0.0/104", "10.0.0.0/8")]
    #[case("203.0.113.7", "203.0.113.7/32")]
    fn networks_are_truncated(#[case] value: &str, #[case] expected: &str) {
        assert_eq!(
            cidr(&Field::Ip, value).unwrap(),
            Matcher::Cidr(expected.parse().unwrap())
        );
    }

    #[rstest]
    #[case(Field::Country, "de", "DE")]
    #[case(Field::Outcome, "Failure", "failure")]
    #[case(Field::ActorType, "API_KEY", "api_key")]
    #[case(Field::Actor, "Alice", "Alice")]
    fn vocabularies_are_normalised(
        #[case] field: Field,
        #[case] value: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(
            equals(&field, value, now()).unwrap(),
            Matcher::Eq(expected.into())
        );
    }

    #[rstest]
    #[case(Field::Country, "Germany", None)]
    #[case(Field::Outcome, "sucess", Some("success"))]
    #[case(Field::Outcome, "maybe", None)]
    #[case(Field::ActorType, "usr", Some("user"))]
    fn vocabularies_are_checked(
        #[case] field: Field,
        #[case] value: &str,
        #[case] suggestion: Option<&str>,
    ) {
        let problem = equals(&field, value, now()).unwrap_err();
        assert_eq!(problem.suggestion.as_deref(), suggestion);
    }

    #[rstest]
    #[case(Field::Ip, "CIDR")]
    #[case(Field::Occurred, "range")]
    #[case(Field::Seq, "range")]
    fn prefix_and_contains_are_for_strings(#[case] field: Field, #[case] needle: &str) {
        for problem in [
            prefix(&field, "1").unwrap_err(),
            contains(&field, "1").unwrap_err(),
        ] {
            assert!(problem.message.contains(needle), "{}", problem.message);
        }
        assert_eq!(
            prefix(&Field::Country, "d").unwrap(),
            Matcher::Prefix("D".into())
        );
    }

    #[test]
    fn comparisons_ranges_and_cidr_name_the_field() {
        let problem = compare(&Field::Actor, CmpOp::Gt, "a", now()).unwrap_err();
        assert!(problem.message.contains("`actor`"), "{}", problem.message);
        let problem = range(&Field::Action, Some("a"), Some("b"), now()).unwrap_err();
        assert!(problem.message.contains("`action`"), "{}", problem.message);
        let problem = cidr(&Field::Actor, "10.0.0.0/8").unwrap_err();
        assert!(problem.message.contains("`actor`"), "{}", problem.message);
    }
}
