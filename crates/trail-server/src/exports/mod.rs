//! Exports: streaming downloads of a search, and asynchronous export jobs (named, with history,
//! progress, expiry, numbered parts, verifiable bundles) run by a background worker that writes
//! files under `<data_dir>/exports/`.

pub mod file;
pub mod spec;
pub mod stream;
pub mod worker;

pub use worker::{Queue, run_pending};
