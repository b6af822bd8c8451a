//! Splits query text into terms (`-field:a,b`, bare words, "quoted phrases"), remembering each
//! character's column and whether it was typed inside quotes, so that the parser can tell `*`, `>`,
//! `..` typed as syntax from the same characters quoted as data.

use super::parse::QueryError;

/// One character of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Char {
    c: char,
    quoted: bool,
    column: usize,
}

/// A value or a free-text word: its characters with their quoting, and the 1-based column it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    pub column: usize,
    chars: Vec<Char>,
}

impl Word {
    /// The characters, quotes and escapes removed.
    pub fn text(&self) -> String {
        self.chars.iter().map(|ch| ch.c).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    fn is_syntax(&self, index: usize, c: char) -> bool {
        self.chars
            .get(index)
            .is_some_and(|ch| ch.c == c && !ch.quoted)
    }

    /// An unquoted `*` alone: "the field is present".
    pub fn is_star(&self) -> bool {
        self.chars.len() == 1 && self.is_syntax(0, '*')
    }

    /// Starts with an unquoted `>` or `<`.
    pub fn starts_with_operator(&self) -> bool {
        self.is_syntax(0, '>') || self.is_syntax(0, '<')
    }

    /// Holds an unquoted `..`.
    pub fn has_range_dots(&self) -> bool {
        (1..self.chars.len()).any(|i| self.is_syntax(i - 1, '.') && self.is_syntax(i, '.'))
    }

    /// Splits off one unquoted `*` at each end: (had a leading star, the rest, had a trailing star).
    pub fn strip_stars(&self) -> (bool, Word, bool) {
        let leading = self.is_syntax(0, '*');
        let mut chars = self.chars[usize::from(leading)..].to_vec();
        let trailing = chars.last().is_some_and(|ch| ch.c == '*' && !ch.quoted);
        if trailing {
            chars.pop();
        }
        let column = chars.first().map_or(self.column, |ch| ch.column);
        (leading, Word { column, chars }, trailing)
    }

    /// The column of the first unquoted `*`, if any.
    pub fn star_column(&self) -> Option<usize> {
        self.chars
            .iter()
            .find(|ch| ch.c == '*' && !ch.quoted)
            .map(|ch| ch.column)
    }
}

/// What a term says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Body {
    /// A bare word or a quoted phrase.
    Text(Word),
    /// `name:value,value…`
    Field {
        name: String,
        name_column: usize,
        values: Vec<Word>,
    },
}

/// One whitespace-separated term, possibly negated with a leading `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term {
    pub negated: bool,
    pub body: Body,
}

/// Splits `q` into terms. Fails only on an unterminated quote, a lone `-` or a missing value.
pub(super) fn lex(q: &str) -> Result<Vec<Term>, QueryError> {
    let mut lexer = Lexer {
        chars: q.chars().collect(),
        pos: 0,
    };
    let mut terms = Vec::new();
    loop {
        while lexer.peek().is_some_and(char::is_whitespace) {
            lexer.pos += 1;
        }
        let Some(first) = lexer.peek() else {
            return Ok(terms);
        };
        let negated = first == '-';
        if negated {
            let column = lexer.column();
            lexer.pos += 1;
            if lexer.at_term_end() {
                return Err(QueryError::at(
                    column,
                    "`-` must be followed by a field or a word to exclude",
                ));
            }
        }
        let body = lexer.body()?;
        terms.push(Term { negated, body });
    }
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn column(&self) -> usize {
        self.pos + 1
    }

    fn at_term_end(&self) -> bool {
        self.peek().is_none_or(char::is_whitespace)
    }

    fn body(&mut self) -> Result<Body, QueryError> {
        let start = self.pos;
        let name_len = self.chars[start..]
            .iter()
            .take_while(|c| !c.is_whitespace() && **c != ':' && **c != '"')
            .count();
        if name_len == 0 || self.chars.get(start + name_len) != Some(&':') {
            return Ok(Body::Text(self.word(false)?));
        }
        let name: String = self.chars[start..start + name_len].iter().collect();
        self.pos = start + name_len + 1;
        if self.at_term_end() {
            return Err(QueryError::at(
                self.column(),
                format!("missing value after `{name}:`"),
            ));
        }
        let mut values = vec![self.word(true)?];
        while self.peek() == Some(',') {
            self.pos += 1;
            values.push(self.word(true)?);
        }
        Ok(Body::Field {
            name,
            name_column: start + 1,
            values,
        })
    }

    /// Reads up to whitespace (or an unquoted `,` inside a value list).
    fn word(&mut self, in_list: bool) -> Result<Word, QueryError> {
        let column = self.column();
        let mut chars = Vec::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || (in_list && c == ',') {
                break;
            }
            if c == '"' {
                self.quoted(&mut chars)?;
            } else {
                chars.push(Char {
                    c,
                    quoted: false,
                    column: self.column(),
                });
                self.pos += 1;
            }
        }
        Ok(Word { column, chars })
    }

    /// Reads a quoted run; `\"` and `\\` are escapes, any other backslash is itself.
    fn quoted(&mut self, out: &mut Vec<Char>) -> Result<(), QueryError> {
        let open = self.column();
        self.pos += 1;
        loop {
            let column = self.column();
            match self.peek() {
                None => {
                    return Err(QueryError::at(
                        open,
                        "unterminated quote: add the closing `\"`",
                    ));
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') if matches!(self.chars.get(self.pos + 1), Some('"' | '\\')) => {
                    let c = self.chars[self.pos + 1];
                    out.push(Char {
                        c,
                        quoted: true,
                        column,
                    });
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(Char {
                        c,
                        quoted: true,
                        column,
                    });
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(term: &Term) -> String {
        match &term.body {
            Body::Text(word) => word.text(),
            Body::Field { name, values, .. } => {
                let values: Vec<String> = values.iter().map(Word::text).collect();
                format!("{name}={}", values.join("|"))
            }
        }
    }

    #[test]
    fn splits_fields_words_and_phrases() {
        let terms = lex(r#"actor:alice  -source:api "role changed" login"#).unwrap();
        let shown: Vec<String> = terms.iter().map(text_of).collect();
        assert_eq!(
            shown,
            ["actor=alice", "source=api", "role changed", "login"]
        );
        let negated: Vec<bool> = terms.iter().map(|t| t.negated).collect();
        assert_eq!(negated, [false, true, false, false]);
    }

    #[test]
    fn values_split_on_unquoted_commas_only() {
        let terms = lex(r#"actor:"Kim, Alice",bob"#).unwrap();
        assert_eq!(text_of(&terms[0]), "actor=Kim, Alice|bob");
    }

    #[test]
    fn escapes_inside_quotes() {
        let terms = lex(r#""say \"hi\" C:\temp \\""#).unwrap();
        assert_eq!(text_of(&terms[0]), r#"say "hi" C:\temp \"#);
    }

    #[test]
    fn only_the_first_colon_separates_the_field() {
        let terms = lex("ip:::1 occurred:>=2026-11-01T10:00:00Z").unwrap();
        assert_eq!(text_of(&terms[0]), "ip=::1");
        assert_eq!(text_of(&terms[1]), "occurred=>=2026-11-01T10:00:00Z");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let terms = lex("é actor:x").unwrap();
        let Body::Field {
            name_column,
            values,
            ..
        } = &terms[1].body
        else {
            panic!("expected a field term");
        };
        assert_eq!(*name_column, 3);
        assert_eq!(values[0].column, 9);
    }

    #[test]
    fn quoted_syntax_characters_are_data() {
        let terms = lex(r#"actor:"*" actor:* actor:">x" actor:a..b"#).unwrap();
        let words: Vec<&Word> = terms
            .iter()
            .map(|t| match &t.body {
                Body::Field { values, .. } => &values[0],
                Body::Text(w) => w,
            })
            .collect();
        assert!(!words[0].is_star());
        assert!(words[1].is_star());
        assert!(!words[2].starts_with_operator());
        assert!(words[3].has_range_dots());
    }

    #[test]
    fn strip_stars_keeps_quoted_stars() {
        let word = match lex(r#"*"a*"*"#).unwrap().remove(0).body {
            Body::Text(w) => w,
            Body::Field { .. } => panic!("expected text"),
        };
        let (leading, inner, trailing) = word.strip_stars();
        assert!(leading && trailing);
        assert_eq!(inner.text(), "a*");
        assert_eq!(inner.star_column(), None);
        assert_eq!(inner.column, 3);
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(lex(r#"actor:"alice"#).unwrap_err().column, 7);
        assert_eq!(lex("a -").unwrap_err().column, 3);
        assert_eq!(lex("actor: bob").unwrap_err().column, 7);
        assert_eq!(lex("actor:").unwrap_err().column, 7);
    }
}
