//! `trail serve` over HTTPS as an operator runs it: the banner's `https://` URL, a reload on
//! SIGHUP alone (the files' times and sizes are put back, so the 5-second check sees no change),
//! and a bad key refused at start with the file named.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

/// A self-signed certificate for 127.0.0.1: (certificate PEM, key PEM, DER).
fn certificate() -> (String, String, Vec<u8>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    (
        made.cert.pem(),
        made.signing_key.serialize_pem(),
        made.cert.der().to_vec(),
    )
}

/// The end-entity certificate a fresh connection to `url` is served.
async fn served(url: &str, roots: &[Vec<u8>]) -> Vec<u8> {
    let client = reqwest::Client::builder()
        .tls_certs_only(
            roots
                .iter()
                .map(|d| reqwest::Certificate::from_der(d).unwrap()),
        )
        .tls_info(true)
        .build()
        .unwrap();
    let answer = client.get(format!("{url}/healthz")).send().await.unwrap();
    let info = answer.extensions().get::<reqwest::tls::TlsInfo>().unwrap();
    info.peer_certificate().unwrap().to_vec()
}

fn serve(data: &Path, cert: &Path, key: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_trail"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-token", "op"])
        .arg("--data-dir")
        .arg(data)
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .env("TRAIL_CONFIG", data.with_file_name("none.toml"))
        .env_remove("TRAIL_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trail_serve_prints_https_and_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_a, key_a, der_a) = certificate();
    // The same sizes as the first pair, so that only SIGHUP can make the server notice.
    let (cert_b, key_b, der_b) = loop {
        let b = certificate();
        if b.0.len() == cert_a.len() && b.1.len() == key_a.len() {
            break b;
        }
    };
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &cert_a).unwrap();
    std::fs::write(&key, &key_a).unwrap();
    std::fs::write(dir.path().join("none.toml"), "").unwrap();
    let mut child = serve(&dir.path().join("data"), &cert, &key)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("a banner");
        if let Some(rest) = line.trim().strip_prefix("Trail ")
            && let Some((_, url)) = rest.split_once(" is listening on ")
        {
            break url.to_owned();
        }
    };
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let roots = [der_a.clone(), der_b.clone()];
    assert_eq!(served(&url, &roots).await, der_a);

    let times: Vec<_> = [&cert, &key]
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    std::fs::write(&cert, &cert_b).unwrap();
    std::fs::write(&key, &key_b).unwrap();
    for (path, time) in [&cert, &key].iter().zip(times) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(time).unwrap();
    }
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while served(&url, &roots).await != der_b {
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload the certificate"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP did not stop the server"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn trail_serve_refuses_a_key_that_does_not_match_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_pem, _, _) = certificate();
    let (_, other_key, _) = certificate();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("other.pem"));
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, other_key).unwrap();
    std::fs::write(dir.path().join("none.toml"), "").unwrap();
    let out = serve(&dir.path().join("data"), &cert, &key)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "TLS key file {} does not match the certificate in {}",
        key.display(),
        cert.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
