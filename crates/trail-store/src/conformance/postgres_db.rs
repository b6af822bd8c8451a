//! What every PostgreSQL test shares, here and in the server's and the CLI's tests: the server
//! from `TRAIL_TEST_DATABASE_URL` (or a loud skip), and a database of its own per test, dropped at
//! the end.

use std::io::Write as _;

use crate::postgres::{PostgresOptions, PostgresStore};
use tokio_postgres::NoTls;

/// The server to create test databases on, or `None` (after saying so) to skip.
pub fn test_database_url() -> Option<String> {
    let url = std::env::var("TRAIL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        // Straight to stderr, past the test harness's capture, so that a skip is never silent.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: TRAIL_TEST_DATABASE_URL is not set; this PostgreSQL test did not run"
        );
    }
    url
}

/// A database of its own for one test, dropped (with its connections) when this is dropped.
pub struct TestDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create(admin_url: &str) -> TestDatabase {
        let name = format!("trail_test_{}", &trail_core::ids::new_event_id()[4..]);
        let admin = admin_client(admin_url).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        TestDatabase {
            url: with_dbname(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    pub async fn connect(&self) -> PostgresStore {
        PostgresStore::connect(
            &self.url,
            PostgresOptions {
                pool_size: 4,
                ..PostgresOptions::default()
            },
        )
        .await
        .expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which must not block: use a runtime of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = admin_client(&url).await;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

pub async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connect to TRAIL_TEST_DATABASE_URL");
    tokio::spawn(connection);
    client
}

pub use crate::postgres::with_dbname;
