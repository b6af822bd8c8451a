//! The PostgreSQL test support every test file here shares (it lives in the library's
//! `conformance` feature so that the server's and the CLI's tests use the same one).

// Each test file uses a different part of it.
#![allow(unused_imports)]

pub use trail_store::conformance::postgres_db::{
    TestDatabase, admin_client, test_database_url, with_dbname,
};
