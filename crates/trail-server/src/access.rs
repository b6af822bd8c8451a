//! The access model as the server applies it: the vocabulary and the role/scope table live in
//! `trail_store::permissions` (re-exported here), and [`narrow`] is the one function that
//! restricts what events a caller may read.
//!
//! Every route that reads events (search, count, facets, one event, exports) must pass its
//! [`Search`] through [`narrow`] before asking the store.

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
}
