//! Runs the Activity Logs page's browser tests (`crates/trail-web/browser-tests/run.mjs`,
//! playwright-core driving Debian's Chromium) against a real server on 127.0.0.1 with a fresh
//! data directory. Prints `SKIPPED` and passes when node, Chromium or the test's node_modules
//! (`npm ci` in that folder) are absent, so `cargo test --workspace` works on any machine.
//!
//! `TRAIL_SCREENSHOTS=docs/screenshots cargo test -p trail-server --test browser` also
//! regenerates the README's screenshots.

use std::path::{Path, PathBuf};
use std::process::Command;

use trail_server::Settings;

const OPERATOR: &str = "trail_op_browser_tests_operator_credential";

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../trail-web/browser-tests")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Why the browser tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !chromium().exists() {
        return Some(format!(
            "{} is absent (apt-get install chromium)",
            chromium().display()
        ));
    }
    if !tests_dir().join("node_modules/playwright-core").exists() {
        return Some(format!("run `npm ci` in {}", tests_dir().display()));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_logs_page_works_in_a_real_browser() {
    if let Some(why) = missing() {
        println!("SKIPPED: browser tests: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(dir.path(), OPERATOR);
    settings.audit.record_changes = true;
    settings.export_expiry_hours = 1;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = trail_server::spawn(settings, listener).await.unwrap();
    let url = running.url();
    let screenshots = std::env::var("TRAIL_SCREENSHOTS").ok().map(|dir| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir);
        std::fs::create_dir_all(&path).unwrap();
        path
    });
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new("node");
        command
            .arg("run.mjs")
            .current_dir(tests_dir())
            .env("TRAIL_URL", &url)
            .env("TRAIL_TOKEN", OPERATOR)
            .env("CHROMIUM", chromium());
        if let Some(path) = screenshots {
            command.env("TRAIL_SCREENSHOTS", path);
        }
        command.output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    running.stop().await.unwrap();
    assert!(
        output.status.success() && stdout.contains(" passed, 0 failed"),
        "browser checks failed (see above)"
    );
}
