//! Administration: the organization's members, settings and custom roles, each change committed with its
//! audit event through [`crate::audit::change`]. The `/v1` handlers, and next the Activity Logs
//! web app, call these with a [`Caller`](super::Caller) that holds the permission.

pub mod members;
pub mod roles;
pub mod settings;
