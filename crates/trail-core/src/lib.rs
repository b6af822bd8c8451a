//! Trail's domain model: the event on the wire and as stored, its validation, canonical JSON and leaf
//! hash, timestamps, identifiers, search cursors and the query language. Pure logic, no I/O.

pub mod canonical;
pub mod catalogue;
pub mod checkpoint;
pub mod cursor;
pub mod error;
pub mod event;
pub mod export;
pub mod ids;
pub mod merkle;
pub mod note;
pub mod query;
pub mod siem;
pub mod strict;
pub mod time;
pub mod validate;

pub use error::FieldError;
pub use event::{Actor, Change, Context, Event, EventInput, Location, Outcome, Resource};
pub use time::Millis;
