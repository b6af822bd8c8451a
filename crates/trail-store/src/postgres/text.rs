//! Free-text search: the tokens an event is indexed under (its `words` tsvector) and the tsquery
//! a bare word becomes. Trail tokenises itself — ASCII-lowercase, split at every character that
//! is not alphanumeric — rather than through a text-search configuration, whose parser keeps
//! e-mail addresses, hosts and paths whole and would miss words inside them. The index only
//! narrows the candidates; the exact, case-insensitive substring is checked afterwards.

use std::collections::BTreeSet;

use trail_core::event::EventData;

/// Longer tokens are cut to this many bytes (a tsvector lexeme is limited to 2 KiB); a cut token
/// in a query is then matched as a prefix.
const MAX_TOKEN_BYTES: usize = 255;

/// Splits ASCII-lowercased `text` into tokens, each cut to [`MAX_TOKEN_BYTES`]; the flag says
/// whether the token was cut.
fn tokens(text: &str) -> impl Iterator<Item = (&str, bool)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| {
            if t.len() <= MAX_TOKEN_BYTES {
                return (t, false);
            }
            let mut end = MAX_TOKEN_BYTES;
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            (&t[..end], true)
        })
}

/// The distinct tokens of an event's searchable text, space-separated (tokens never hold a space),
/// for `array_to_tsvector(string_to_array(…, ' '))`.
pub(super) fn index_words(data: &EventData) -> String {
    let text = data.searchable_text().to_ascii_lowercase();
    let distinct: BTreeSet<&str> = tokens(&text).map(|(t, _)| t).collect();
    distinct.into_iter().collect::<Vec<_>>().join(" ")
}

/// The tsquery (text form) that every event containing the ASCII-lowercased `needle` matches:
/// all its tokens, the last (and any cut one) as a prefix. `None` when it has no token.
pub(super) fn tsquery(needle: &str) -> Option<String> {
    let tokens: Vec<(&str, bool)> = tokens(needle).collect();
    let last = tokens.len().checked_sub(1)?;
    let terms: Vec<String> = tokens
        .iter()
        .enumerate()
        .map(|(i, (token, cut))| {
            // Tokens are alphanumeric, so they need no escaping inside quotes.
            let prefix = if i == last || *cut { ":*" } else { "" };
            format!("'{token}'{prefix}")
        })
        .collect();
    Some(terms.join(" & "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_take_every_token_and_the_last_as_a_prefix() {
        assert_eq!(
            tsquery("alice@example.com").as_deref(),
            Some("'alice' & 'example' & 'com':*")
        );
        assert_eq!(
            tsquery("role changed").as_deref(),
            Some("'role' & 'changed':*")
        );
        assert_eq!(tsquery("zoë").as_deref(), Some("'zoë':*"));
        assert_eq!(tsquery("--- ..."), None);
    }

    #[test]
    fn long_tokens_are_cut_and_matched_as_prefixes() {
        let long = "é".repeat(200);
        let query = tsquery(&format!("{long} x")).unwrap();
        let (first, rest) = query.split_once(" & ").unwrap();
        assert!(
            first.ends_with("':*") && first.len() <= MAX_TOKEN_BYTES + 4,
            "{first}"
        );
        assert_eq!(rest, "'x':*");
    }
}
