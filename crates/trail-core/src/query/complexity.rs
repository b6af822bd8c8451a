//! Limits on how complex one search may be, checked before a store sees it: a store compiles every
//! condition and value into its query, and past a few hundred SQLite refuses the query ("Expression
//! tree is too large"). The grammar has no parentheses, so a filter is always one level deep: an
//! AND of conditions, each an OR of values; what can grow is counted here.

use super::ast::Filter;
use super::parse::QueryError;

/// The limits; [`Complexity::default`] is what the server enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Complexity {
    /// Characters of `q`.
    pub max_query_chars: usize,
    /// Structured filter rows.
    pub max_filters: usize,
    /// Conditions (terms) after merging a field's repeated values.
    pub max_terms: usize,
    /// Values ORed in one condition (`action:a,b,c`).
    pub max_or_values: usize,
    /// Values over all conditions.
    pub max_values: usize,
    /// Negated values (`-field:value`, `NOT`).
    pub max_negations: usize,
}

impl Default for Complexity {
    fn default() -> Self {
        Complexity {
            max_query_chars: 65536,
            max_filters: 50,
            max_terms: 100,
            max_or_values: 100,
            max_values: 200,
            max_negations: 50,
        }
    }
}

/// A limit that was passed: its name (as in `details[].limit`), the allowed and the given amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    pub limit: &'static str,
    pub max: usize,
    pub given: usize,
    pub error: QueryError,
}

impl Complexity {
    /// Checks the text of `q` before it is parsed.
    pub fn check_text(&self, q: &str) -> Result<(), Exceeded> {
        let chars = q.chars().count();
        self.within("max_query_chars", self.max_query_chars, chars, || {
            format!("the query is {chars} characters long")
        })
    }

    /// Checks the number of structured filter rows before they are converted.
    pub fn check_rows(&self, rows: usize) -> Result<(), Exceeded> {
        self.within("max_filters", self.max_filters, rows, || {
            format!("{rows} structured filters were given")
        })
    }

    /// Checks a parsed filter (`q` and structured filters together).
    pub fn check(&self, filter: &Filter) -> Result<(), Exceeded> {
        let terms = filter.conditions.len();
        self.within("max_terms", self.max_terms, terms, || {
            format!("the query has {terms} terms")
        })?;
        let negations: usize = filter
            .conditions
            .iter()
            .filter(|c| c.negated)
            .map(|c| c.matchers.len())
            .sum();
        self.within("max_negations", self.max_negations, negations, || {
            format!("the query negates {negations} values")
        })?;
        let widest = filter
            .conditions
            .iter()
            .map(|c| c.matchers.len())
            .max()
            .unwrap_or(0);
        self.within("max_or_values", self.max_or_values, widest, || {
            format!("one term ORs {widest} values")
        })?;
        let values: usize = filter.conditions.iter().map(|c| c.matchers.len()).sum();
        self.within("max_values", self.max_values, values, || {
            format!("the query has {values} values in all")
        })
    }

    fn within(
        &self,
        limit: &'static str,
        max: usize,
        given: usize,
        what: impl FnOnce() -> String,
    ) -> Result<(), Exceeded> {
        if given <= max {
            return Ok(());
        }
        Err(Exceeded {
            limit,
            max,
            given,
            error: QueryError {
                column: 0,
                message: format!(
                    "{}; at most {max} are allowed (limit `{limit}`). Narrow the search or split it.",
                    what()
                ),
                suggestion: None,
                field: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Millis;

    #[test]
    fn a_query_at_each_limit_passes_and_one_more_fails() {
        let limits = Complexity::default();
        let now = Millis(0);
        let terms = |n: usize| {
            (0..n)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let at = super::super::parse(&terms(limits.max_terms), now).unwrap();
        assert!(limits.check(&at).is_ok());
        let over = super::super::parse(&terms(limits.max_terms + 1), now).unwrap();
        assert_eq!(limits.check(&over).unwrap_err().limit, "max_terms");
        let negated = (0..=limits.max_negations)
            .map(|i| format!("-actor:a{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let filter = super::super::parse(&negated, now).unwrap();
        let err = limits.check(&filter).unwrap_err();
        assert_eq!(err.limit, "max_negations", "{err:?}");
        let or = format!(
            "actor:{}",
            (0..=limits.max_or_values)
                .map(|i| format!("a{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let filter = super::super::parse(&or, now).unwrap();
        assert_eq!(limits.check(&filter).unwrap_err().limit, "max_or_values");
        assert!(
            limits
                .check_text(&"x".repeat(limits.max_query_chars + 1))
                .is_err()
        );
        assert!(limits.check_rows(limits.max_filters + 1).is_err());
    }
}
