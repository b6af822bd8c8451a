//! Shared by the CLI's end-to-end tests: run the `trail` binary against a server as the operator.

#![allow(dead_code)]

use std::process::{Output, Stdio};

use tokio::io::AsyncWriteExt;

pub const OPERATOR: &str = "op-token";

pub async fn trail(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_trail"))
        .args(args)
        .args(["--url", url, "--token", OPERATOR])
        .env_remove("TRAIL_URL")
        .env_remove("TRAIL_TOKEN")
        .env_remove("TRAIL_ORG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

pub async fn ok(url: &str, args: &[&str], stdin: &str) -> String {
    let out = trail(url, args, stdin).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "trail {args:?}: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}
