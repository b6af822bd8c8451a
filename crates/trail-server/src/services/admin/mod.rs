//! Administration: the organization's members, settings, custom roles and viewer tokens, each change committed with its
//! audit event through [`crate::audit::change`]. The `/v1` handlers, and next the Activity Logs
//! web app, call these with a [`Caller`](super::Caller) that holds the permission.

pub mod members;
pub mod roles;
pub mod settings;
pub mod viewer_tokens;
