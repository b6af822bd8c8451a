//! How PostgreSQL and pool failures become [`StoreError`]s: a lost, refused or shutting-down
//! connection is `Unavailable` (the server answers 503 and the client retries), anything else is
//! `Internal`.

use std::error::Error as _;

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

use crate::StoreError;

/// SQLSTATEs that mean "try again later" rather than "this request is wrong".
fn is_transient(code: &SqlState) -> bool {
    let class = &code.code()[..2];
    // 08: connection exception; 57P0x: admin/crash shutdown, cannot connect now;
    // 53: insufficient resources (too many connections, out of memory or disk).
    class == "08"
        || class == "53"
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ]
        .contains(code)
}

/// Whether `e` says the server or the connection went away (or was never reached).
pub(super) fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => is_transient(code),
        // No SQLSTATE: an I/O error, a timeout or a failed connect.
        None => e.as_db_error().is_none() && e.source().is_some_and(|s| s.is::<std::io::Error>()),
    }
}

pub(super) fn db_error(e: tokio_postgres::Error) -> StoreError {
    if is_unavailable(&e) {
        StoreError::Unavailable(format!("PostgreSQL: {e}"))
    } else {
        StoreError::Internal(match e.as_db_error() {
            Some(db) => format!("PostgreSQL {}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }
}

pub(super) fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => match db_error(e) {
            // A new connection that fails for any reason means the database cannot be used now.
            StoreError::Internal(message) => StoreError::Unavailable(message),
            other => other,
        },
        PoolError::Closed => StoreError::Unavailable("the store is closed".into()),
        PoolError::NoRuntimeSpecified => StoreError::Internal(e.to_string()),
        other => StoreError::Unavailable(format!("PostgreSQL pool: {other}")),
    }
}

/// A unique violation becomes `Conflict(message)`; anything else as [`db_error`].
pub(super) fn conflict_or(e: tokio_postgres::Error, message: &str) -> StoreError {
    match e.code() {
        Some(&SqlState::UNIQUE_VIOLATION) => StoreError::Conflict(message.to_owned()),
        _ => db_error(e),
    }
}
