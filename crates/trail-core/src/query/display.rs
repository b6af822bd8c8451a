//! Prints a [`Filter`] as canonical query text that parses back to the same filter, for saved
//! searches, the web interface's URLs and the CLI.
//!
//! Times print as RFC 3339 with milliseconds, so a range's end prints as an exclusive full timestamp
//! (`occurred:2026-11-01T00:00:00.000Z..2026-11-06T00:00:00.000Z`); `seq` ranges print their
//! inclusive last number (`seq:10..20`). Values are quoted only when they need to be.
//!
//! Every filter [`parse`](super::parse) returns prints back to itself. Filters built otherwise may
//! not: two positive conditions on one field (which structured filters can produce) print as two
//! terms, and the parser ORs those into one condition; a `metadata` key holding whitespace, `:` or
//! `"` has no written form.

use std::fmt::{self, Write};

use super::ast::{CmpOp, Condition, Field, Filter, Matcher, Scalar};

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, condition) in self.conditions.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            write_condition(f, condition)?;
        }
        Ok(())
    }
}

fn write_condition(f: &mut fmt::Formatter<'_>, condition: &Condition) -> fmt::Result {
    let sign = if condition.negated { "-" } else { "" };
    if condition.field == Field::Text {
        // Free text has no OR list: each phrase is a term of its own.
        for (i, matcher) in condition.matchers.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            f.write_str(sign)?;
            match matcher {
                Matcher::Contains(text) => write_text(f, text)?,
                other => write_matcher(f, other)?,
            }
        }
        return Ok(());
    }
    write!(f, "{sign}{}:", condition.field.name())?;
    for (i, matcher) in condition.matchers.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write_matcher(f, matcher)?;
    }
    Ok(())
}

fn write_matcher(f: &mut fmt::Formatter<'_>, matcher: &Matcher) -> fmt::Result {
    match matcher {
        Matcher::Eq(value) => write_value(f, value),
        Matcher::Prefix(value) => {
            write_value(f, value)?;
            f.write_char('*')
        }
        Matcher::Contains(value) => {
            f.write_char('*')?;
            write_value(f, value)?;
            f.write_char('*')
        }
        Matcher::Cmp(op, scalar) => {
            f.write_str(match op {
                CmpOp::Gt => ">",
                CmpOp::Gte => ">=",
                CmpOp::Lt => "<",
                CmpOp::Lte => "<=",
            })?;
            write_scalar(f, scalar)
        }
        // `seq` ranges are written with their inclusive last number.
        Matcher::Range(Scalar::Int(low), Scalar::Int(end)) => {
            let last = end.saturating_sub(1);
            if last == *low {
                write!(f, "{low}")
            } else {
                write!(f, "{low}..{last}")
            }
        }
        Matcher::Range(low, end) => {
            write_scalar(f, low)?;
            f.write_str("..")?;
            write_scalar(f, end)
        }
        Matcher::Exists => f.write_char('*'),
        Matcher::Cidr(net) => write!(f, "{net}"),
    }
}

fn write_scalar(f: &mut fmt::Formatter<'_>, scalar: &Scalar) -> fmt::Result {
    match scalar {
        Scalar::Time(at) => f.write_str(&at.to_rfc3339()),
        Scalar::Int(n) => write!(f, "{n}"),
        Scalar::Str(s) => write_value(f, s),
    }
}

/// A field's value: quoted when it holds anything the parser would read as syntax.
fn write_value(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    let needs_quotes = value.is_empty()
        || value.starts_with(['>', '<'])
        || value.contains("..")
        || value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | ',' | '*'));
    write_maybe_quoted(f, value, needs_quotes)
}

/// A free-text word: quoted when it would otherwise read as a field, a negation or several words.
fn write_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let needs_quotes = text.is_empty()
        || text.starts_with('-')
        || text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | ':' | '*'));
    write_maybe_quoted(f, text, needs_quotes)
}

fn write_maybe_quoted(f: &mut fmt::Formatter<'_>, s: &str, quote: bool) -> fmt::Result {
    if !quote {
        return f.write_str(s);
    }
    f.write_char('"')?;
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::super::parse;
    use crate::Millis;

    fn now() -> Millis {
        Millis::parse_rfc3339("2026-11-21T12:00:00Z").unwrap()
    }

    #[rstest]
    #[case("actor:alice", "actor:alice")]
    #[case("Actor:alice actor:bob", "actor:alice,bob")]
    #[case("action:member.* -source:api", "action:member.* -source:api")]
    #[case(
        "occurred:2026-11-05",
        "occurred:2026-11-05T00:00:00.000Z..2026-11-06T00:00:00.000Z"
    )]
    #[case("occurred:>2026-11-05", "occurred:>=2026-11-06T00:00:00.000Z")]
    #[case("received:<=1d", "received:<=2026-11-20T12:00:00.000Z")]
    #[case("seq:5 seq:10..20 seq:>=7", "seq:5,10..20 seq:>=7")]
    #[case("ip:10.1.2.3/8,::ffff:10.0.0.1", "ip:10.0.0.0/8,10.0.0.1")]
    #[case("country:de outcome:Failure", "country:DE outcome:failure")]
    #[case(r#""role changed" -login"#, r#""role changed" -login"#)]
    #[case(
        r#"actor:"Kim, Alice" actor.name:*"a b"*"#,
        r#"actor:"Kim, Alice" actor.name:*"a b"*"#
    )]
    #[case(r#"metadata.note:"say \"hi\"""#, r#"metadata.note:"say \"hi\"""#)]
    #[case(r#""a:b" "-x" "star*""#, r#""a:b" "-x" "star*""#)]
    #[case(r#"id:"*" id:">x" id:"a..b""#, r#"id:"*",">x","a..b""#)]
    #[case("-actor:* target:*", "-actor:* target:*")]
    fn prints_canonical_text(#[case] query: &str, #[case] canonical: &str) {
        let filter = parse(query, now()).unwrap();
        assert_eq!(filter.to_string(), canonical);
        assert_eq!(parse(canonical, now()).unwrap(), filter);
    }

    #[test]
    fn empty_filter_prints_nothing() {
        assert_eq!(crate::query::Filter::default().to_string(), "");
    }
}
