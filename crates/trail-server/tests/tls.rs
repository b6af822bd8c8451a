//! HTTPS served by Trail itself, with certificates made by `rcgen`: TLS 1.2+ and HTTP/2 by ALPN,
//! a certificate reload mid-run that an in-flight request survives, the plain-HTTP listener that
//! only redirects, `Secure` session cookies, and start-up errors that name the bad file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trail_server::Settings;
use trail_server::http::tls::TlsSettings;

/// A self-signed certificate for `localhost` and 127.0.0.1: (certificate PEM, key PEM, DER).
fn certificate() -> (String, String, Vec<u8>) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    (
        made.cert.pem(),
        made.signing_key.serialize_pem(),
        made.cert.der().to_vec(),
    )
}

/// Replaces `path` atomically, as certbot and Kubernetes do.
fn replace(path: &Path, text: &str) {
    let staged = path.with_extension("new");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

struct Pair {
    cert: PathBuf,
    key: PathBuf,
}

fn write_pair(dir: &Path, cert_pem: &str, key_pem: &str) -> Pair {
    let pair = Pair {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    replace(&pair.cert, cert_pem);
    replace(&pair.key, key_pem);
    pair
}

async fn start(data: &Path, pair: &Pair, redirect: bool) -> anyhow::Result<trail_server::Running> {
    let mut settings = Settings::for_tests(data, "op");
    let mut tls = TlsSettings::for_tests(&pair.cert, &pair.key);
    if redirect {
        tls.redirect_listen = Some("127.0.0.1:0".into());
    }
    settings.tls = Some(tls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    trail_server::spawn(settings, listener).await
}

/// A fresh TLS connection trusting `roots`: the certificate served, the ALPN protocol and the
/// TLS version agreed.
async fn handshake(
    addr: std::net::SocketAddr,
    roots: &[Vec<u8>],
    alpn: &[&[u8]],
) -> (Vec<u8>, Option<Vec<u8>>, rustls::ProtocolVersion) {
    let mut store = rustls::RootCertStore::empty();
    for der in roots {
        store.add(der.clone().into()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = connector.connect(name, tcp).await.unwrap();
    let (_, session) = stream.get_ref();
    (
        session.peer_certificates().unwrap()[0].to_vec(),
        session.alpn_protocol().map(|p| p.to_vec()),
        session.protocol_version().unwrap(),
    )
}

fn client(roots: &[Vec<u8>]) -> reqwest::Client {
    let certs = roots
        .iter()
        .map(|der| reqwest::Certificate::from_der(der).unwrap());
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let answer = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    answer.json().await.unwrap()
}

#[tokio::test]
async fn serves_http2_over_tls_and_reloads_the_certificate_under_an_inflight_request() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_a, key_a, der_a) = certificate();
    let (cert_b, key_b, der_b) = certificate();
    let pair = write_pair(dir.path(), &cert_a, &key_a);
    let server = start(&dir.path().join("data"), &pair, false).await.unwrap();
    assert!(server.url().starts_with("https://"), "{}", server.url());
    let roots = [der_a.clone(), der_b.clone()];

    let (served, alpn, version) = handshake(server.addr, &roots, &[b"h2", b"http/1.1"]).await;
    assert_eq!(served, der_a);
    assert_eq!(
        alpn.as_deref(),
        Some(&b"h2"[..]),
        "HTTP/2 is offered by ALPN"
    );
    assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
    let (_, alpn, _) = handshake(server.addr, &roots, &[b"http/1.1"]).await;
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));

    let http = client(&roots);
    let base = server.url();
    let org = post(
        &http,
        format!("{base}/v1/organizations"),
        "op",
        json!({"name": "Acme"}),
    )
    .await;
    let org = org["id"].as_str().unwrap().to_owned();
    let key = post(
        &http,
        format!("{base}/v1/api-keys"),
        "op",
        json!({"organization_id": org, "name": "ingest", "scopes": ["events:write", "events:read"]}),
    )
    .await;
    let key = key["secret"].as_str().unwrap().to_owned();

    // An ingest request whose body is only half sent when the certificate changes.
    let (send, receive) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    let body = futures_util::stream::unfold(receive, |mut receive| async move {
        let chunk = receive.recv().await?;
        Some((Ok::<_, std::io::Error>(chunk), receive))
    });
    let inflight = tokio::spawn(
        http.post(format!("{base}/v1/events"))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    send.send(br#"[{"action":"cert.before","actor":{"id":"usr_1"}},"#.to_vec())
        .await
        .unwrap();

    replace(&pair.key, &key_b);
    replace(&pair.cert, &cert_b);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (served, _, _) = handshake(server.addr, &roots, &[b"h2"]).await;
        if served == der_b {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.tls.as_ref().unwrap().current_certificate(), der_b);

    send.send(br#"{"action":"cert.after","actor":{"id":"usr_1"}}]"#.to_vec())
        .await
        .unwrap();
    drop(send);
    let answer = inflight.await.unwrap().unwrap();
    assert_eq!(
        answer.status(),
        200,
        "the in-flight request survived the reload"
    );
    let stored: Value = answer.json().await.unwrap();
    assert_eq!(stored["events"].as_array().unwrap().len(), 2);

    // A client that trusts only the new certificate gets through now; one that trusts only the old
    // one no longer does.
    let count: Value = client(std::slice::from_ref(&der_b))
        .get(format!("{base}/v1/events/count"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count["count"], 2);
    let old_only = client(&[der_a]).get(format!("{base}/healthz")).send().await;
    assert!(old_only.is_err(), "the old certificate is no longer served");

    // A broken replacement (a key without its certificate) keeps the pair being served.
    replace(&pair.key, &certificate().1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(server.tls.as_ref().unwrap().current_certificate(), der_b);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_plain_http_listener_only_redirects_and_cookies_are_secure() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, der) = certificate();
    let pair = write_pair(dir.path(), &cert, &key);
    let server = start(&dir.path().join("data"), &pair, true).await.unwrap();
    let redirect = server.redirect_addr.expect("a redirect listener");

    let mut tcp = tokio::net::TcpStream::connect(redirect).await.unwrap();
    let request = "POST /v1/events?q=actor%3Aalice HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
    let location = format!(
        "location: https://localhost:{}/v1/events?q=actor%3Aalice",
        server.addr.port()
    );
    assert!(answer.contains(&location), "{answer}");

    // Session cookies are Secure with no proxy header and no --secure-cookies.
    let http = client(&[der]);
    let base = server.url();
    let org = post(
        &http,
        format!("{base}/v1/organizations"),
        "op",
        json!({"name": "Acme"}),
    )
    .await;
    post(
        &http,
        format!("{base}/v1/members"),
        "op",
        json!({"organization_id": org["id"], "email": "ann@example.com", "name": "Ann",
               "role": "owner", "password": "correct horse battery"}),
    )
    .await;
    let login = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": "ann@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookies: Vec<_> = login.headers().get_all("set-cookie").iter().collect();
    assert!(!cookies.is_empty());
    for cookie in cookies {
        assert!(cookie.to_str().unwrap().contains("; Secure"), "{cookie:?}");
    }
    server.stop().await.unwrap();
}

/// The start-up error of a server given `cert` and `key`.
async fn start_up_error(dir: &Path, cert: &Path, key: &Path) -> String {
    let pair = Pair {
        cert: cert.to_owned(),
        key: key.to_owned(),
    };
    match start(&dir.join("data"), &pair, false).await {
        Ok(_) => panic!(
            "the server started with {} and {}",
            cert.display(),
            key.display()
        ),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn bad_certificate_files_are_start_up_errors_that_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = certificate();
    let (_, other_key, _) = certificate();
    let good = write_pair(dir.path(), &cert, &key);
    let missing = dir.path().join("missing.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not PEM\n").unwrap();
    let mismatched = dir.path().join("other-key.pem");
    std::fs::write(&mismatched, other_key).unwrap();

    let cases: [(&Path, &Path, &Path, &str); 5] = [
        (&missing, &good.key, &missing, "cannot read"),
        (&good.cert, &missing, &missing, "cannot read"),
        (&garbage, &good.key, &garbage, "no PEM `CERTIFICATE`"),
        (&good.cert, &good.cert, &good.cert, "no PEM private key"),
        (
            &good.cert,
            &mismatched,
            &mismatched,
            "does not match the certificate",
        ),
    ];
    for (cert, key, named, problem) in cases {
        let error = start_up_error(dir.path(), cert, key).await;
        assert!(error.contains(&named.display().to_string()), "{error}");
        assert!(error.contains(problem), "{error}");
    }
}
