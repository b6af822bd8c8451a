//! The query language (docs/query-language.md): one grammar for the search box, the API's `q`,
//! the CLI and saved searches. `parse` turns text into a [`Filter`]; `filters` turns the web
//! builder's structured rows into the same tree; stores compile a [`Filter`] into their own queries.

pub mod ast;
mod display;
pub mod filters;
mod lexer;
mod names;
pub mod parse;
#[cfg(test)]
mod proptests;
mod values;

pub use ast::{CmpOp, Condition, Field, Filter, Matcher, Scalar};
pub use filters::{StructuredFilter, from_structured};
pub use parse::{QueryError, parse};

use crate::Millis;
use crate::cursor::Cursor;

/// Newest first (`desc`, the default) or oldest first (`asc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    Desc,
    Asc,
}

/// What pages are ordered by. `occurred_at` (then `seq`) is what people browse; `seq` is the log's
/// own order, which a SIEM polling with `order=asc` uses so that late-arriving events (an old
/// `occurred_at`, a new `seq`) are never skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    OccurredAt,
    Seq,
}

/// Everything a search needs, already parsed and validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Search {
    pub filter: Filter,
    /// Inclusive lower bound on `occurred_at`.
    pub from: Option<Millis>,
    /// Exclusive upper bound on `occurred_at`.
    pub to: Option<Millis>,
    pub order: Order,
    pub sort: SortKey,
    /// 1..=1000.
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 1000;
