//! The event-type catalogue over HTTP on both backends: versions, bad input refused with nothing
//! stored, validation modes at ingest (422 naming index, field and rule; warn marks; the schema
//! version recorded), display text beside the hashed fields (the leaf still checks), labels in
//! facets and queries, uncatalogued actions adopted in one call, import and export, permissions
//! and audit events.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::{Auth, OPERATOR, TestApp, event};
use serde_json::{Value, json};

fn op() -> Auth {
    Auth::Bearer(OPERATOR.into())
}

async fn put(app: &TestApp, org: &str, action: &str, body: Value) -> common::Reply {
    let mut body = body;
    body["organization_id"] = json!(org);
    app.call(
        Method::PUT,
        &format!("/v1/event-types/{action}"),
        &op(),
        Some(&body),
    )
    .await
}

async fn patch_mode(app: &TestApp, org: &str, mode: &str) -> common::Reply {
    app.call(
        Method::PATCH,
        "/v1/settings",
        &op(),
        Some(&json!({"organization_id": org, "event_type_validation": mode})),
    )
    .await
}

fn role_changed() -> Value {
    json!({
        "label": "Role Changed", "area": "members",
        "description": "A member's role was changed",
        "metadata_schema": {"type": "object", "required": ["plan"],
            "properties": {"plan": {"type": "string"}, "seats": {"type": "integer"}}},
        "template": "{{ actor.name }} changed {{ resource.name }}'s role from {{ changes.role.old }} to {{ changes.role.new }}",
    })
}

fn role_event(metadata: Value) -> Value {
    let mut e = event("member.role_changed", "alice");
    e["actor"]["name"] = json!("Alice <script>x</script>");
    e["changes"] = json!([{"field": "role", "old": "Developer", "new": "Admin"}]);
    e["metadata"] = metadata;
    e.as_object_mut().unwrap().remove("description");
    e
}

on_every_backend! {
    async fn schemas_are_versioned_and_bad_input_changes_nothing(backend) {
        let app = TestApp::on_with(backend, |s| s.audit.record_changes = true).await;
        let org = app.org("Acme").await;
        let created = put(&app, &org, "member.role_changed", role_changed()).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["version"], 1);
        let mut relabelled = role_changed();
        relabelled["label"] = json!("Role changed");
        let same = put(&app, &org, "member.role_changed", relabelled).await;
        assert_eq!((same.status, same.body["version"].as_u64()), (StatusCode::OK, Some(1)));
        let mut other = role_changed();
        other["metadata_schema"] = json!({"type": "object"});
        let next = put(&app, &org, "member.role_changed", other).await;
        assert_eq!(next.body["version"], 2, "a different schema is version + 1");

        for (body, field) in [
            (json!({"metadata_schema": {"type": "strnig"}}), "metadata_schema"),
            (json!({"template": "{{ actor.name "}), "template"),
            (json!({"area": "Not An Area"}), "area"),
            (json!({"resource_schema": [1, 2]}), "resource_schema"),
        ] {
            let refused = put(&app, &org, "member.invited", body).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
            assert_eq!(refused.error_fields(), [field]);
        }
        let bad_action = put(&app, &org, "Member%20Invited", json!({})).await;
        assert_eq!(bad_action.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad_action.error_fields(), ["action"]);
        let missing = app.get(&format!("/v1/event-types/member.invited?organization_id={org}"), OPERATOR).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "nothing half-applied");

        let listed = app.get(&format!("/v1/event-types?organization_id={org}"), OPERATOR).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_eq!(listed.body["areas"][0]["area"], "members");
        assert_eq!(listed.body["areas"][0]["label"], "Members");
        assert_eq!(listed.body["areas"][0]["event_types"][0]["label"], "Role Changed");

        let deleted = app.call(Method::DELETE, &format!("/v1/event-types/member.role_changed?organization_id={org}"), &op(), None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let audit = app.get(&format!("/v1/events?organization_id={org}&q=area:trail%20action:trail.event_type.*&order=asc"), OPERATOR).await;
        let actions: Vec<&str> = audit.body["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["trail.event_type.created", "trail.event_type.updated", "trail.event_type.updated", "trail.event_type.deleted"]);
    }

    async fn validation_modes_refuse_mark_or_ignore(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        put(&app, &org, "member.role_changed", role_changed()).await;
        let bad = role_event(json!({"seats": "ten"}));
        let good = role_event(json!({"plan": "pro", "seats": 3}));

        let stored = app.ingest(&key, json!([bad.clone()])).await;
        assert_eq!(stored.status, StatusCode::OK, "off by default");

        let bad_mode = patch_mode(&app, &org, "strict").await;
        assert_eq!(bad_mode.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad_mode.error_fields(), ["event_type_validation"]);
        assert_eq!(patch_mode(&app, &org, "enforce").await.body["event_type_validation"], "enforce");
        let before = app.count(&key, "").await;
        let refused = app.ingest(&key, json!([good.clone(), bad.clone()])).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert_eq!(refused.code(), "schema_violation");
        let mut details: Vec<(u64, String, String)> = refused.body["error"]["details"].as_array().unwrap().iter()
            .map(|d| (d["index"].as_u64().unwrap(), d["field"].as_str().unwrap().to_owned(), d["rule"].as_str().unwrap().to_owned()))
            .collect();
        details.sort();
        assert_eq!(details, [
            (1, "events[1].metadata".to_owned(), "required".to_owned()),
            (1, "events[1].metadata.seats".to_owned(), "type".to_owned()),
        ]);
        assert_eq!(app.count(&key, "").await, before, "the whole batch was refused");
        let accepted = app.ingest(&key, json!([good.clone()])).await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        let id = accepted.body["events"][0]["id"].as_str().unwrap();
        let shown = app.get(&format!("/v1/events/{id}"), &key).await;
        assert_eq!(shown.body["trail"]["schema_version"], 1);
        assert!(shown.body["trail"].get("violations").is_none());

        patch_mode(&app, &org, "warn").await;
        let warned = app.ingest(&key, json!([bad])).await;
        assert_eq!(warned.status, StatusCode::OK);
        let id = warned.body["events"][0]["id"].as_str().unwrap();
        let shown = app.get(&format!("/v1/events/{id}"), &key).await;
        let rules: Vec<&str> = shown.body["trail"]["violations"].as_array().unwrap().iter().map(|v| v["rule"].as_str().unwrap()).collect();
        assert!(rules.contains(&"required") && rules.contains(&"type"), "{rules:?}");
        assert_eq!(
            trail_core::canonical::leaf_hash_of_api_json(&shown.body).map(hex::encode).as_deref(),
            shown.body["hash"].as_str(),
            "Trail-added fields are in the leaf; display is not"
        );
    }

    async fn events_are_shown_with_their_label_and_sentence(backend) {
        let app = TestApp::on(backend).await;
        let (org, key) = app.tenant("Acme").await;
        put(&app, &org, "member.role_changed", role_changed()).await;
        let sent = app.ingest(&key, json!([role_event(json!({"plan": "pro"})), event("user.login", "bob")])).await;
        assert_eq!(sent.status, StatusCode::OK);
        let page = app.get("/v1/events?order=asc", &key).await;
        let first = &page.body["events"][0];
        assert_eq!(first["display"]["label"], "Role Changed");
        assert_eq!(first["display"]["area_label"], "Members");
        assert_eq!(first["display"]["text"], "Alice <script>x</script> changed Bob Ray's role from Developer to Admin");
        let second = &page.body["events"][1];
        assert_eq!(second["display"]["catalogued"], false);
        assert_eq!(second["display"]["text"], "bob did user.login", "the sender's description when there is no template");
        for e in page.body["events"].as_array().unwrap() {
            assert_eq!(
                trail_core::canonical::leaf_hash_of_api_json(e).map(hex::encode).as_deref(),
                e["hash"].as_str(),
                "display is outside the leaf"
            );
        }
        let id = first["id"].as_str().unwrap();
        let one = app.get(&format!("/v1/events/{id}"), &key).await;
        assert_eq!(one.body["display"]["label"], "Role Changed");

        let by_label = app.get("/v1/events?q=action:%22Role%20Changed%22", &key).await;
        assert_eq!(by_label.status, StatusCode::OK, "{}", by_label.body);
        let actions: Vec<&str> = by_label.body["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["member.role_changed"]);
        let facets = app.get("/v1/events/facets?field=action", &key).await;
        let values = facets.body["values"].as_array().unwrap();
        let role = values.iter().find(|v| v["value"] == "member.role_changed").unwrap();
        assert_eq!((role["label"].as_str(), role["area"].as_str(), role["area_label"].as_str()), (Some("Role Changed"), Some("members"), Some("Members")));
        let login = values.iter().find(|v| v["value"] == "user.login").unwrap();
        assert_eq!((login["label"].as_str(), login["area"].as_str()), (Some("Login"), Some("user")));

        let exporter = app.key(&org, &["events:read", "exports"]).await;
        let file = app.get("/v1/events?format=ndjson&order=asc", &exporter).await;
        assert_eq!(file.status, StatusCode::OK);
        let text = file.body.as_str().expect("NDJSON is not one JSON value").to_owned();
        let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(line["display"]["label"], "Role Changed");
    }

    async fn uncatalogued_actions_are_listed_and_adopted_in_one_call(backend) {
        let app = TestApp::on_with(backend, |s| s.audit.record_changes = true).await;
        let (org, key) = app.tenant("Acme").await;
        put(&app, &org, "member.role_changed", role_changed()).await;
        let batch = json!([
            common::at(event("scan.started", "a"), "2026-11-01T10:00:00Z"),
            common::at(event("scan.started", "a"), "2026-11-03T10:00:00Z"),
            common::at(event("api_key.created", "a"), "2026-11-02T10:00:00Z"),
        ]);
        assert_eq!(app.ingest(&key, batch).await.status, StatusCode::OK);
        let listed = app.get(&format!("/v1/event-types?organization_id={org}"), OPERATOR).await;
        let open: Vec<(String, u64, String, String)> = listed.body["uncatalogued"].as_array().unwrap().iter()
            .filter(|u| !u["action"].as_str().unwrap().starts_with("trail."))
            .map(|u| (u["action"].as_str().unwrap().to_owned(), u["count"].as_u64().unwrap(),
                u["first_seen"].as_str().unwrap().to_owned(), u["last_seen"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(open, [
            ("scan.started".to_owned(), 2, "2026-11-01T10:00:00.000Z".to_owned(), "2026-11-03T10:00:00.000Z".to_owned()),
            ("api_key.created".to_owned(), 1, "2026-11-02T10:00:00.000Z".to_owned(), "2026-11-02T10:00:00.000Z".to_owned()),
        ]);
        let wrong = app.call(Method::POST, "/v1/event-types/adopt", &op(),
            Some(&json!({"organization_id": org, "actions": ["member.role_changed"]}))).await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        let adopted = app.call(Method::POST, "/v1/event-types/adopt", &op(),
            Some(&json!({"organization_id": org, "actions": ["scan.started", "api_key.created"]}))).await;
        assert_eq!(adopted.status, StatusCode::OK, "{}", adopted.body);
        assert_eq!(adopted.body["adopted"], 2);
        let one = app.get(&format!("/v1/event-types/api_key.created?organization_id={org}"), OPERATOR).await;
        assert_eq!((one.body["label"].as_str(), one.body["area"].as_str()), (Some("Created"), Some("api_key")));
        let listed = app.get(&format!("/v1/event-types?organization_id={org}"), OPERATOR).await;
        assert!(listed.body["uncatalogued"].as_array().unwrap().iter().all(|u| u["action"].as_str().unwrap().starts_with("trail.")));
    }

    async fn catalogues_export_and_import_all_or_nothing(backend) {
        let app = TestApp::on(backend).await;
        let org = app.org("Acme").await;
        let other = app.org("Beta").await;
        put(&app, &org, "member.role_changed", role_changed()).await;
        put(&app, &org, "scan.started", json!({"label": "Scan Started", "area": "scans"})).await;
        let file = app.get(&format!("/v1/event-types/export?organization_id={org}"), OPERATOR).await;
        assert_eq!(file.body["trail_event_types"], 1);
        assert_eq!(file.body["event_types"].as_array().unwrap().len(), 2);

        let mut broken = file.body.clone();
        broken["event_types"][1]["template"] = json!("{% if %}");
        let refused = app.call(Method::POST, &format!("/v1/event-types/import?organization_id={other}"), &op(), Some(&broken)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(refused.error_fields(), ["event_types[1].template"]);
        let empty = app.get(&format!("/v1/event-types/export?organization_id={other}"), OPERATOR).await;
        assert_eq!(empty.body["event_types"], json!([]), "nothing half-applied");

        let imported = app.call(Method::POST, &format!("/v1/event-types/import?organization_id={other}"), &op(), Some(&file.body)).await;
        assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
        let again = app.get(&format!("/v1/event-types/export?organization_id={other}"), OPERATOR).await;
        assert_eq!(again.body, file.body, "export → import → export round-trips");
    }

    async fn only_event_types_manage_changes_the_catalogue(backend) {
        let app = TestApp::on(backend).await;
        let org = app.org("Acme").await;
        app.add_member(&org, "ana@example.com", "security_analyst").await;
        app.add_member(&org, "sam@example.com", "security_manager").await;
        let analyst = Auth::Session(app.login("ana@example.com", None).await);
        let manager = Auth::Session(app.login("sam@example.com", None).await);
        let denied = app.call(Method::PUT, "/v1/event-types/scan.started", &analyst, Some(&json!({}))).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let allowed = app.call(Method::PUT, "/v1/event-types/scan.started", &manager, Some(&json!({}))).await;
        assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.body);
        let read = app.call(Method::GET, "/v1/event-types", &analyst, None).await;
        assert_eq!(read.status, StatusCode::OK, "readers see the catalogue");
        let reserved = app.call(Method::PUT, "/v1/event-types/export", &manager, Some(&json!({}))).await;
        assert_eq!(reserved.status, StatusCode::METHOD_NOT_ALLOWED);
    }
}
