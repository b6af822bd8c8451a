//! The Activity Logs web app: an HTML shell, small ES-module scripts and a stylesheet, all embedded
//! in the binary, served by an axum [`Router`] that `trail-server` mounts on `/`.
//!
//! The pages call only Trail's public `/v1` API (the same one integrators use), so the web app and
//! the API never drift apart. Assets are served under `/assets/<content hash>/…` with a year-long,
//! immutable cache; the pages themselves are never cached. Every page answer carries a strict
//! Content-Security-Policy: scripts and styles only from this origin, nothing inline, no requests
//! elsewhere; `frame-ancestors` is `'none'` for the app and configurable for `/embed`.

mod assets;
mod pages;

pub use assets::{ASSETS, Asset, asset_version};
pub use pages::{WebConfig, router};
