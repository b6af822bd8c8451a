//! OCSF (Open Cybersecurity Schema Framework, schema 1.3.0): each event becomes one OCSF event
//! whose class is chosen by [`class_of`], a table from Trail's area and action. `class_uid` is
//! `category_uid * 1000 + class`, `type_uid` is `class_uid * 100 + activity_id`, as the schema
//! defines them. Trail's `id` is `metadata.uid` and its `seq` is `metadata.sequence`.

use serde_json::{Map, Value, json};

use super::verb;
use crate::event::{Event, Outcome};

pub const SCHEMA_VERSION: &str = "1.3.0";

/// An OCSF class with its category and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub category_uid: u32,
    pub category_name: &'static str,
    pub class_uid: u32,
    pub class_name: &'static str,
}

const IAM: (u32, &str) = (3, "Identity & Access Management");
const APPLICATION: (u32, &str) = (6, "Application Activity");

const fn class(category: (u32, &'static str), class_uid: u32, class_name: &'static str) -> Class {
    Class {
        category_uid: category.0,
        category_name: category.1,
        class_uid,
        class_name,
    }
}

pub const ACCOUNT_CHANGE: Class = class(IAM, 3001, "Account Change");
pub const AUTHENTICATION: Class = class(IAM, 3002, "Authentication");
pub const ENTITY_MANAGEMENT: Class = class(IAM, 3004, "Entity Management");
pub const GROUP_MANAGEMENT: Class = class(IAM, 3006, "Group Management");
pub const API_ACTIVITY: Class = class(APPLICATION, 6003, "API Activity");

/// Areas whose events are about people's accounts.
const ACCOUNT_AREAS: [&str; 6] = ["users", "user", "accounts", "account", "members", "member"];
/// Areas whose events manage access-control entities (keys, roles, tokens, settings, policies).
const ENTITY_AREAS: [&str; 12] = [
    "api_keys",
    "api_key",
    "keys",
    "roles",
    "role",
    "permissions",
    "tokens",
    "viewer_tokens",
    "settings",
    "policies",
    "sso",
    "streams",
];
const GROUP_AREAS: [&str; 4] = ["groups", "group", "teams", "team"];

/// Authentication verbs: `(verb, activity_id, activity_name)`.
const AUTHENTICATION_VERBS: [(&str, u32, &str); 9] = [
    ("login", 1, "Logon"),
    ("logged_in", 1, "Logon"),
    ("signed_in", 1, "Logon"),
    ("sign_in", 1, "Logon"),
    ("login_failed", 1, "Logon"),
    ("logout", 2, "Logoff"),
    ("logged_out", 2, "Logoff"),
    ("signed_out", 2, "Logoff"),
    ("sign_out", 2, "Logoff"),
];

const ACCOUNT_VERBS: [(&str, u32, &str); 16] = [
    ("created", 1, "Create"),
    ("invited", 1, "Create"),
    ("added", 1, "Create"),
    ("enabled", 2, "Enable"),
    ("activated", 2, "Enable"),
    ("reactivated", 2, "Enable"),
    ("password_changed", 3, "Password Change"),
    ("password_reset", 4, "Password Reset"),
    ("disabled", 5, "Disable"),
    ("deactivated", 5, "Disable"),
    ("suspended", 5, "Disable"),
    ("deleted", 6, "Delete"),
    ("removed", 6, "Delete"),
    ("locked", 9, "Lock"),
    ("mfa_enabled", 10, "MFA Factor Enable"),
    ("mfa_disabled", 11, "MFA Factor Disable"),
];

const ENTITY_VERBS: [(&str, u32, &str); 12] = [
    ("created", 1, "Create"),
    ("added", 1, "Create"),
    ("viewed", 2, "Read"),
    ("read", 2, "Read"),
    ("updated", 3, "Update"),
    ("changed", 3, "Update"),
    ("rotated", 3, "Update"),
    ("deleted", 4, "Delete"),
    ("removed", 4, "Delete"),
    ("revoked", 4, "Delete"),
    ("enabled", 8, "Enable"),
    ("disabled", 9, "Disable"),
];

const GROUP_VERBS: [(&str, u32, &str); 6] = [
    ("member_added", 3, "Add User"),
    ("user_added", 3, "Add User"),
    ("member_removed", 4, "Remove User"),
    ("user_removed", 4, "Remove User"),
    ("deleted", 5, "Delete"),
    ("created", 6, "Create"),
];

const API_VERBS: [(&str, u32, &str); 16] = [
    ("created", 1, "Create"),
    ("added", 1, "Create"),
    ("started", 1, "Create"),
    ("invited", 1, "Create"),
    ("viewed", 2, "Read"),
    ("read", 2, "Read"),
    ("searched", 2, "Read"),
    ("listed", 2, "Read"),
    ("exported", 2, "Read"),
    ("downloaded", 2, "Read"),
    ("updated", 3, "Update"),
    ("changed", 3, "Update"),
    ("modified", 3, "Update"),
    ("deleted", 4, "Delete"),
    ("removed", 4, "Delete"),
    ("revoked", 4, "Delete"),
];

/// `(verb, activity_id, activity_name)` rows of one class.
type Verbs = [(&'static str, u32, &'static str)];

fn lookup(table: &Verbs, verb: &str) -> Option<(u32, &'static str)> {
    table
        .iter()
        .find(|(v, _, _)| *v == verb)
        .map(|(_, id, name)| (*id, *name))
}

/// The class and activity of an event: `(class, activity_id, activity_name)`. Authentication
/// verbs win wherever they appear; then the area picks account, entity or group management (an
/// activity the class does not name is `Other`, 99); everything else is API Activity, `Other`
/// when its verb is none of Create/Read/Update/Delete.
pub fn class_of(area: &str, action: &str) -> (Class, u32, &'static str) {
    let verb = verb(action);
    if let Some((id, name)) = lookup(&AUTHENTICATION_VERBS, verb) {
        return (AUTHENTICATION, id, name);
    }
    let area = area.to_ascii_lowercase();
    let by_area: [(&[&str], Class, &Verbs); 3] = [
        (&ACCOUNT_AREAS, ACCOUNT_CHANGE, &ACCOUNT_VERBS),
        (&ENTITY_AREAS, ENTITY_MANAGEMENT, &ENTITY_VERBS),
        (&GROUP_AREAS, GROUP_MANAGEMENT, &GROUP_VERBS),
    ];
    for (areas, class, verbs) in by_area {
        if areas.contains(&area.as_str()) {
            let (id, name) = lookup(verbs, verb).unwrap_or((99, "Other"));
            return (class, id, name);
        }
    }
    match lookup(&API_VERBS, verb) {
        Some((id, name)) => (API_ACTIVITY, id, name),
        None => (API_ACTIVITY, 99, "Other"),
    }
}

/// The event as an OCSF event of the class [`class_of`] picks.
pub fn to_ocsf(event: &Event) -> Value {
    let data = &event.data;
    let (class, activity_id, activity_name) = class_of(&data.area, &data.action);
    let (status_id, status) = match data.outcome {
        Outcome::Success => (1, "Success"),
        Outcome::Failure => (2, "Failure"),
    };
    let mut user = Map::new();
    user.insert("uid".into(), json!(data.actor.id));
    user.insert("type".into(), json!(data.actor.kind));
    if let Some(name) = &data.actor.name {
        user.insert("name".into(), json!(name));
    }
    if let Some(email) = &data.actor.email {
        user.insert("email_addr".into(), json!(email));
    }
    let mut out = json!({
        "category_uid": class.category_uid,
        "category_name": class.category_name,
        "class_uid": class.class_uid,
        "class_name": class.class_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class.class_uid * 100 + activity_id,
        "type_name": format!("{}: {activity_name}", class.class_name),
        "severity_id": 1,
        "severity": "Informational",
        "status_id": status_id,
        "status": status,
        "time": data.occurred_at.0,
        "message": data.description.clone().unwrap_or_else(|| data.action.clone()),
        "metadata": {
            "version": SCHEMA_VERSION,
            "uid": data.id,
            "sequence": event.seq,
            "logged_time": event.received_at.0,
            "tenant_uid": event.organization_id,
            "event_code": data.action,
            "product": {"name": "Trail", "vendor_name": "Trail"},
        },
        "actor": {"user": Value::Object(user.clone())},
        "unmapped": {
            "area": data.area,
            "source": data.source,
            "hash": event.hash,
            "prev": event.prev,
        },
    });
    let obj = out.as_object_mut().expect("an object");
    if let Some(reason) = &data.reason {
        obj.insert("status_detail".into(), json!(reason));
    }
    if let Some(context) = &data.context {
        if let Some(ip) = &context.ip {
            obj.insert("src_endpoint".into(), json!({"ip": ip}));
        }
        if let Some(agent) = &context.user_agent {
            obj.insert("http_request".into(), json!({"user_agent": agent}));
        }
    }
    let resource = data
        .resource
        .as_ref()
        .map(|r| json!({"uid": r.id, "name": r.name, "type": r.kind}));
    match class.class_uid {
        3002 => {
            obj.insert("user".into(), Value::Object(user));
        }
        3001 => {
            obj.insert(
                "user".into(),
                resource.clone().unwrap_or(Value::Object(user)),
            );
        }
        3004 | 3006 => {
            if let Some(resource) = &resource {
                obj.insert("entity".into(), resource.clone());
            }
        }
        _ => {
            obj.insert(
                "api".into(),
                json!({"operation": data.action, "service": {"name": data.area}}),
            );
        }
    }
    if let Some(resource) = resource {
        obj.insert("resources".into(), json!([resource]));
    }
    let unmapped = obj
        .get_mut("unmapped")
        .and_then(Value::as_object_mut)
        .expect("an object");
    if !data.targets.is_empty() {
        unmapped.insert("targets".into(), json!(data.targets));
    }
    if !data.changes.is_empty() {
        unmapped.insert("changes".into(), json!(data.changes));
    }
    if let Some(metadata) = &data.metadata {
        unmapped.insert("metadata".into(), Value::Object(metadata.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("users", "user.login", 3002, 1, 300201)]
    #[case("auth", "session.logged_out", 3002, 2, 300202)]
    #[case("members", "member.invited", 3001, 1, 300101)]
    #[case("members", "member.deactivated", 3001, 5, 300105)]
    #[case("users", "user.password_reset", 3001, 4, 300104)]
    #[case("api_keys", "api_key.revoked", 3004, 4, 300404)]
    #[case("roles", "role.created", 3004, 1, 300401)]
    #[case("teams", "team.member_added", 3006, 3, 300603)]
    #[case("scans", "scan.started", 6003, 1, 600301)]
    #[case("scans", "scan.deleted", 6003, 4, 600304)]
    #[case("trail", "trail.events.searched", 6003, 2, 600302)]
    #[case("scans", "scan.paused", 6003, 99, 600399)]
    #[case("members", "member.role_changed", 3001, 99, 300199)]
    fn the_mapping_table_picks_class_and_activity(
        #[case] area: &str,
        #[case] action: &str,
        #[case] class_uid: u32,
        #[case] activity_id: u32,
        #[case] type_uid: u32,
    ) {
        let (class, activity, _) = class_of(area, action);
        assert_eq!((class.class_uid, activity), (class_uid, activity_id));
        assert_eq!(class.class_uid / 1000, class.category_uid);
        assert_eq!(class.class_uid * 100 + activity, type_uid);
    }
}
