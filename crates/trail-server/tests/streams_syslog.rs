//! Syslog streams against a real rsyslog (Debian's `rsyslog` and `rsyslog-gnutls`), started by
//! each test with its own configuration on a free port, writing what it parsed to a file: RFC 5424
//! messages with octet-counting framing over plain TCP and over TLS, JSON and CEF bodies. Without
//! `rsyslogd` the tests print SKIPPED and pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::streams::free_port;
use common::{OPERATOR, TestApp, event};
use serde_json::{Value, json};
use trail_server::streams::worker::{Outcome, deliver};

const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

/// A running rsyslogd, stopped (by its process id) when dropped.
struct Rsyslog {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts rsyslogd listening on 127.0.0.1; with `tls`, its certificate (for `localhost`) is
/// returned to trust. `None` (after printing SKIPPED) when rsyslogd is not installed.
async fn rsyslog(tls: bool) -> Option<(Rsyslog, Option<String>)> {
    if !Path::new(RSYSLOGD).exists() {
        eprintln!("SKIPPED: {RSYSLOGD} is absent (apt-get install -y rsyslog rsyslog-gnutls)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let port = free_port();
    let out = dir.path().join("out.log");
    let (global, module, cert) = if tls {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let pem = made.cert.pem();
        std::fs::write(dir.path().join("cert.pem"), &pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem()).unwrap();
        (
            format!(
                r#"global(workDirectory="{d}" DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="{d}/cert.pem" DefaultNetstreamDriverCertFile="{d}/cert.pem" DefaultNetstreamDriverKeyFile="{d}/key.pem")"#
            ),
            r#"module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")"#.to_owned(),
            Some(pem),
        )
    } else {
        (
            format!(r#"global(workDirectory="{d}")"#),
            r#"module(load="imtcp")"#.to_owned(),
            None,
        )
    };
    let config = format!(
        r#"{global}
{module}
template(name="fields" type="string" string="%pri%|%app-name%|%hostname%|%msgid%|%structured-data%|%msg%\n")
ruleset(name="streams") {{
  action(type="omfile" file="{out}" template="fields")
}}
input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="streams")
"#,
        out = out.display()
    );
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(&conf, config).unwrap();
    let child = Command::new(RSYSLOGD)
        .args(["-n", "-f"])
        .arg(&conf)
        .arg("-i")
        .arg(dir.path().join("rsyslogd.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting rsyslogd");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "rsyslogd did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some((
        Rsyslog {
            child,
            port,
            out,
            _dir: dir,
        },
        cert,
    ))
}

/// The lines rsyslog wrote, once there are `n` (waits on the file with a deadline).
async fn lines(rsyslog: &Rsyslog, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&rsyslog.out).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "rsyslog wrote {} of {n} lines: {text}",
            lines.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stream_to(app: &TestApp, org: &str, body: Value) -> String {
    let mut body = body;
    body["organization_id"] = json!(org);
    let reply = app.post("/v1/streams", OPERATOR, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rsyslog_parses_every_event_over_tcp_as_rfc5424() {
    let Some((rsyslog, _)) = rsyslog(false).await else {
        return;
    };
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let id = stream_to(
        &app,
        &org,
        json!({"name": "Syslog", "kind": "syslog", "url": format!("tcp://127.0.0.1:{}", rsyslog.port),
            "facility": 10, "app_name": "trail-test", "host": "audit-host"}),
    )
    .await;
    let mut tricky = event("member.invited", "alice");
    tricky["description"] = json!("quote \" bracket ] backslash \\ newline \n done");
    tricky["id"] = json!("evt_\"odd]id\\");
    let reply = app
        .ingest(&key, json!([tricky, event("member.removed", "bob")]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    let more: Vec<Value> = (0..20)
        .map(|i| event(&format!("doc.e{i}"), "carol"))
        .collect();
    app.ingest(&key, json!(more)).await;
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp,
        "the kept connection"
    );
    let lines = lines(&rsyslog, 22).await;
    assert_eq!(lines.len(), 22, "{lines:?}");
    let fields: Vec<&str> = lines[0].splitn(6, '|').collect();
    assert_eq!(fields[0], "86", "facility 10 * 8 + informational");
    assert_eq!(fields[1], "trail-test");
    assert_eq!(fields[2], "audit-host");
    assert_eq!(fields[3], "member.invited");
    assert_eq!(
        fields[4],
        format!(r#"[trail@32473 id="evt_\"odd\]id\\" seq="0" org="{org}"]"#),
        "SD-PARAM escaping"
    );
    let body: Value = serde_json::from_str(fields[5]).expect("the MSG is the event as JSON");
    assert_eq!(body["id"], "evt_\"odd]id\\");
    assert_eq!(
        body["description"],
        "quote \" bracket ] backslash \\ newline \n done"
    );
    for (i, line) in lines.iter().enumerate() {
        assert!(line.contains(&format!("seq=\"{i}\"")), "in order: {line}");
    }
}

#[tokio::test]
async fn rsyslog_receives_cef_over_tls() {
    let Some((rsyslog, cert)) = rsyslog(true).await else {
        return;
    };
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let id = stream_to(
        &app,
        &org,
        json!({"name": "Syslog TLS", "kind": "syslog", "url": format!("tls://localhost:{}", rsyslog.port),
            "format": "cef", "ca_cert": cert.unwrap(), "sd_id": "audit@99999"}),
    )
    .await;
    let mut failed = event("user.login_failed", "mallory");
    failed["outcome"] = json!("failure");
    failed["reason"] = json!("bad password = wrong");
    let reply = app.ingest(&key, json!([failed])).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::CaughtUp
    );
    let lines = lines(&rsyslog, 1).await;
    let fields: Vec<&str> = lines[0].splitn(6, '|').collect();
    assert_eq!(
        fields[0], "108",
        "log audit (13) * 8 + warning for a failure"
    );
    assert!(fields[4].starts_with("[audit@99999 id="), "{}", fields[4]);
    let cef = fields[5];
    assert!(
        cef.starts_with("CEF:0|Trail|Trail|1|user.login_failed|"),
        "{cef}"
    );
    assert!(cef.contains("cn1=0 cn1Label=seq"), "{cef}");
    assert!(cef.contains(r"reason=bad password \= wrong"), "{cef}");
    assert!(cef.contains("externalId=evt_"), "{cef}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_retried() {
    let Some((rsyslog, _)) = rsyslog(true).await else {
        return;
    };
    let app = TestApp::new().await;
    let (org, key) = app.tenant("Acme").await;
    let id = stream_to(
        &app,
        &org,
        json!({"name": "Untrusted", "kind": "syslog", "url": format!("tls://localhost:{}", rsyslog.port)}),
    )
    .await;
    app.ingest(&key, event("a.b", "alice")).await;
    assert!(matches!(
        deliver(&app.state, &org, &id).await.unwrap(),
        Outcome::Retrying { .. }
    ));
    let health = app
        .get(
            &format!("/v1/streams/{id}/status?organization_id={org}"),
            OPERATOR,
        )
        .await;
    assert!(
        health.body["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("TLS"),
        "{:?}",
        health.body
    );
}
