//! Retraced's structured search query (`variables.query` of the client's `query`) in Trail's
//! query language: `action:"a"` (and `action:a.*`), `crud:c,r`, `received:<start>,<end>`,
//! `created:<start>,<end>` (either bound may be empty; `[start, end)`), `actor.name:"n"`,
//! `actor.id:id`, `description:"d"` and `location:"l"` (searched as text and as the country),
//! and free text. Only events published through Retraced (`source:retraced`) are searched.

/// `"value"` in Trail's query language.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Splits on spaces outside double quotes; quotes are kept.
fn tokens(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in query.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            c if c.is_whitespace() && !in_quotes => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

fn range(field: &str, value: &str) -> Result<String, String> {
    let (start, end) = unquote(value)
        .split_once(',')
        .ok_or_else(|| format!("`{field}` needs `<start>,<end>` (either may be empty)."))?;
    let (start, end) = (start.trim(), end.trim());
    for bound in [start, end] {
        if !bound.is_empty() && trail_core::Millis::parse_rfc3339(bound).is_none() {
            return Err(format!("`{bound}` is not an ISO 8601 date-time."));
        }
    }
    Ok(match (start.is_empty(), end.is_empty()) {
        (true, true) => String::new(),
        _ => format!("{field}:{start}..{end}"),
    })
}

/// The Trail query for a Retraced structured query; the error is one sentence.
pub fn to_trail(query: &str) -> Result<String, String> {
    let mut terms = vec!["source:retraced".to_owned()];
    for token in tokens(query) {
        let Some((key, value)) = token.split_once(':').filter(|(k, _)| !k.starts_with('"')) else {
            terms.push(quoted(unquote(&token)));
            continue;
        };
        let term = match key {
            "action" => match unquote(value).strip_suffix('*') {
                Some(prefix) => format!("action:{}*", quoted(prefix)),
                None => format!("action:{}", quoted(unquote(value))),
            },
            "crud" => {
                let letters: Vec<&str> = unquote(value).split(',').map(str::trim).collect();
                if let Some(bad) = letters
                    .iter()
                    .find(|l| !matches!(**l, "c" | "r" | "u" | "d"))
                {
                    return Err(format!("`crud:{bad}` is not one of c, r, u or d."));
                }
                format!("metadata.{}:{}", super::events::CRUD_KEY, letters.join(","))
            }
            "received" => range("received", value)?,
            "created" => range("occurred", value)?,
            "actor.name" => format!("actor.name:{}", quoted(unquote(value))),
            "actor.id" => format!("actor.id:{}", quoted(unquote(value))),
            "description" => quoted(unquote(value)),
            "location" => format!("country:{}", quoted(unquote(value))),
            other => {
                return Err(format!(
                    "`{other}` is not a field Trail's Retraced search knows."
                ));
            }
        };
        if !term.is_empty() {
            terms.push(term);
        }
    }
    Ok(terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trail_core::Millis;

    #[test]
    fn structured_queries_become_trail_queries_that_parse() {
        for (retraced, trail) in [
            ("", "source:retraced"),
            (
                r#"action:"user.login""#,
                r#"source:retraced action:"user.login""#,
            ),
            ("action:user.*", r#"source:retraced action:"user."*"#),
            ("crud:c,r", "source:retraced metadata.retraced_crud:c,r"),
            (
                "received:2026-12-01T00:00:00.000Z,2026-12-02T00:00:00.000Z",
                "source:retraced received:2026-12-01T00:00:00.000Z..2026-12-02T00:00:00.000Z",
            ),
            (
                "created:,2026-12-02T00:00:00Z",
                "source:retraced occurred:..2026-12-02T00:00:00Z",
            ),
            ("received:,", "source:retraced"),
            (
                r#"actor.name:"Jane Doe" actor.id:jane hello"#,
                r#"source:retraced actor.name:"Jane Doe" actor.id:"jane" "hello""#,
            ),
        ] {
            let q = to_trail(retraced).unwrap();
            assert_eq!(q, trail, "{retraced}");
            trail_core::query::parse(&q, Millis(0)).unwrap_or_else(|e| panic!("{q}: {e}"));
        }
        assert!(to_trail("crud:x").is_err());
        assert!(to_trail("received:yesterday,").is_err());
        assert!(to_trail("colour:blue").is_err());
    }
}
