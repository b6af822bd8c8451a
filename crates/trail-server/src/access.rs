//! The access model as the server applies it: the vocabulary and the role/scope table live in
//! `trail_store::permissions` (re-exported here), and [`narrow`] is the one function that
//! restricts what events a caller may read.
//!
//! Every route that reads events (search, count, facets, one event, exports) must pass its
//! [`Search`] through [`narrow`] before asking the store.

use trail_core::event::EventData;
use trail_core::query::{Condition, Field, Matcher, Search};
pub use trail_store::permissions::{BuiltInRole, PERMISSION_NAMES, Permission, Scope};

use crate::auth::Principal;

/// The permissions of a built-in role, `None` for any other name (a custom role's id).
pub fn built_in_permissions(role: &str) -> Option<&'static [Permission]> {
    BuiltInRole::parse(role).map(BuiltInRole::permissions)
}

/// The display name of a built-in role.
pub fn built_in_name(role: &str) -> Option<&'static str> {
    BuiltInRole::parse(role).map(BuiltInRole::name)
}

/// Whether `role` names a built-in role.
pub fn is_built_in(role: &str) -> bool {
    BuiltInRole::parse(role).is_some()
}

/// A custom role's stored permission names as permissions (unknown names, which the API never
/// stores, are ignored).
pub fn parse_permissions(names: &[String]) -> Vec<Permission> {
    names.iter().filter_map(|n| Permission::parse(n)).collect()
}

/// Restricts `search` to the events `principal` may read, in place:
///
/// - the operator, API keys and members with `events:read`: unchanged;
/// - a member with only `events:read_own`: events whose `actor.email` is their email or whose
///   `actor.id` is their `actor_id` (or email);
/// - a viewer token: its actor (`actor.id`), resource (`resource.id`) and areas, as it names them.
///
/// The added conditions are ANDed with whatever the caller asked, so no query can widen them.
pub fn narrow(principal: &Principal, search: &mut Search) {
    search.filter.conditions.extend(restrictions(principal));
}

/// Whether `principal` may read `event`: [`restrictions`] evaluated in memory, with the store's
/// ASCII case-insensitive equality, so that reading one event needs no second query.
pub fn permits(principal: &Principal, event: &EventData) -> bool {
    restrictions(principal)
        .iter()
        .all(|condition| holds(condition, event))
}

/// Whether `event` meets one condition of [`restrictions`] (only equality on the fields they use;
/// anything else is refused, so a new kind of restriction cannot widen access by accident).
fn holds(condition: &Condition, event: &EventData) -> bool {
    let resource_id = event.resource.as_ref().and_then(|r| r.id.as_deref());
    let values: Vec<Option<&str>> = match condition.field {
        Field::ActorIdOrEmail => vec![Some(&event.actor.id), event.actor.email.as_deref()],
        Field::ActorId => vec![Some(&event.actor.id)],
        Field::ResourceId => vec![resource_id],
        Field::Area => vec![Some(&event.area)],
        _ => return false,
    };
    let found = condition.matchers.iter().any(|matcher| match matcher {
        Matcher::Eq(wanted) => values
            .iter()
            .flatten()
            .any(|value| value.eq_ignore_ascii_case(wanted)),
        _ => false,
    });
    found != condition.negated
}

/// The conditions [`narrow`] adds.
pub fn restrictions(principal: &Principal) -> Vec<Condition> {
    let condition = |field, values: Vec<String>| Condition {
        field,
        negated: false,
        matchers: values.into_iter().map(Matcher::Eq).collect(),
    };
    match principal {
        Principal::Operator | Principal::Key(_) => Vec::new(),
        Principal::Member(member) => {
            if member.permissions.contains(&Permission::EventsRead) {
                return Vec::new();
            }
            let mut own = vec![member.user.email.clone()];
            if let Some(actor_id) = member.membership.as_ref().and_then(|m| m.actor_id.clone()) {
                own.push(actor_id);
            }
            vec![condition(Field::ActorIdOrEmail, own)]
        }
        Principal::Viewer(claims) => {
            let mut conditions = Vec::new();
            if let Some(actor) = &claims.actor {
                conditions.push(condition(Field::ActorId, vec![actor.clone()]));
            }
            if let Some(resource) = &claims.resource {
                conditions.push(condition(Field::ResourceId, vec![resource.clone()]));
            }
            if let Some(areas) = &claims.areas {
                conditions.push(condition(Field::Area, areas.clone()));
            }
            conditions
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_are_looked_up_by_id() {
        assert_eq!(built_in_name("security_manager"), Some("Security Manager"));
        assert!(built_in_permissions("member").unwrap() == [Permission::EventsReadOwn]);
        assert!(is_built_in("owner") && !is_built_in("role_x"));
        assert_eq!(
            parse_permissions(&["events:read".into(), "bogus".into()]),
            [Permission::EventsRead]
        );
    }

    fn viewer(actor: Option<&str>, resource: Option<&str>, areas: Option<&[&str]>) -> Principal {
        Principal::Viewer(Box::new(crate::viewer_tokens::ViewerClaims {
            org: "org_1".into(),
            iat: 0,
            exp: i64::MAX,
            actor: actor.map(Into::into),
            resource: resource.map(Into::into),
            areas: areas.map(|a| a.iter().map(|&s| s.to_owned()).collect()),
            export: false,
            viewer: None,
        }))
    }

    #[rstest::rstest]
    #[case::unrestricted(viewer(None, None, None), true)]
    #[case::own_actor_any_case(viewer(Some("USR_1"), None, None), true)]
    #[case::other_actor(viewer(Some("usr_2"), None, None), false)]
    #[case::resource_and_area(viewer(None, Some("doc_9"), Some(&["billing", "members"])), true)]
    #[case::other_area(viewer(None, Some("doc_9"), Some(&["billing"])), false)]
    #[case::other_resource(viewer(Some("usr_1"), Some("doc_8"), None), false)]
    fn permits_agrees_with_the_restrictions(#[case] principal: Principal, #[case] allowed: bool) {
        let event: EventData = serde_json::from_value(serde_json::json!({
            "id": "evt_1", "action": "member.added", "area": "members", "occurred_at": "2026-01-01T00:00:00Z",
            "actor": {"id": "usr_1", "type": "user", "email": "a@example.com"},
            "resource": {"type": "document", "id": "doc_9"}, "outcome": "success",
        }))
        .unwrap();
        assert_eq!(permits(&principal, &event), allowed);
    }
}
