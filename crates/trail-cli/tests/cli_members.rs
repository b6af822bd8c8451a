//! End to end: `trail members` and `trail roles` against a real server on `127.0.0.1:0`.

use serde_json::Value;

mod common;

use common::{OPERATOR, ok, trail};

#[tokio::test(flavor = "multi_thread")]
async fn members_are_added_listed_promoted_and_deactivated() {
    let data = tempfile::tempdir().unwrap();
    let settings = trail_server::Settings::for_tests(data.path(), OPERATOR);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = trail_server::spawn(settings, listener).await.unwrap();
    let url = server.url();

    let org: Value =
        serde_json::from_str(&ok(&url, &["orgs", "create", "Acme", "--json"], "").await).unwrap();
    let org = org["id"].as_str().unwrap().to_owned();
    let added = ok(
        &url,
        &[
            "members",
            "add",
            "alice@example.com",
            "--name",
            "Alice",
            "--role",
            "owner",
            "--password-stdin",
            "--org",
            &org,
        ],
        "a long enough password\n",
    )
    .await;
    assert!(added.contains("as owner"), "{added}");
    ok(
        &url,
        &[
            "members",
            "add",
            "bob@example.com",
            "--name",
            "Bob",
            "--password-stdin",
            "--org",
            &org,
        ],
        "bobs password 123\n",
    )
    .await;
    let listed: Vec<Value> =
        serde_json::from_str(&ok(&url, &["members", "list", "--json", "--org", &org], "").await)
            .unwrap();
    assert_eq!(listed.len(), 2);
    let bob = listed
        .iter()
        .find(|m| m["email"] == "bob@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        listed.iter().find(|m| m["id"] == bob.as_str()).unwrap()["role"],
        "member"
    );

    let promoted = ok(
        &url,
        &[
            "members",
            "set-role",
            &bob,
            "security_analyst",
            "--org",
            &org,
        ],
        "",
    )
    .await;
    assert!(promoted.contains("security_analyst"), "{promoted}");
    ok(&url, &["members", "deactivate", &bob, "--org", &org], "").await;
    let table = ok(&url, &["members", "list", "--org", &org], "").await;
    assert!(
        table.contains("deactivated") && table.contains("alice@example.com"),
        "{table}"
    );
    assert!(!table.contains("bobs password"));

    // The last owner cannot be deactivated: exit 1 with the server's reason.
    let alice = listed
        .iter()
        .find(|m| m["email"] == "alice@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = trail(&url, &["members", "deactivate", &alice, "--org", &org], "").await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("owner"));

    let roles = ok(&url, &["roles", "list", "--org", &org], "").await;
    assert!(
        roles.contains("security_manager") && roles.contains("events:read_own"),
        "{roles}"
    );
    server.stop().await.unwrap();
}
