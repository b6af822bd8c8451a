//! The access model: permissions, the built-in roles, how API-key scopes map onto permissions,
//! and [`narrow`], the one function that restricts what events a caller may read.
//!
//! Every route that reads events (search, count, facets, one event, exports) must pass its
//! [`Search`] through [`narrow`] before asking the store.

use trail_core::query::{Condition, Field, Matcher, Search};
use trail_store::BUILT_IN_ROLES;

use crate::auth::Principal;

/// Every permission a role can carry (DESIGN.md "Access").
pub const PERMISSIONS: [&str; 8] = [
    "events:read",
    "events:read_own",
    "events:export",
    "streams:manage",
    "members:manage",
    "api_keys:manage",
    "settings:manage",
    "event_types:manage",
];

/// The permissions of a built-in role, `None` for any other name.
pub fn built_in_permissions(role: &str) -> Option<&'static [&'static str]> {
    Some(match role {
        "owner" | "admin" => &PERMISSIONS,
        "security_manager" => &[
            "events:read",
            "events:export",
            "streams:manage",
            "settings:manage",
            "event_types:manage",
        ],
        "security_analyst" => &["events:read", "events:export"],
        "member" => &["events:read_own"],
        _ => return None,
    })
}

/// The display name of a built-in role.
pub fn built_in_name(role: &str) -> Option<&'static str> {
    Some(match role {
        "owner" => "Owner",
        "admin" => "Admin",
        "security_manager" => "Security Manager",
        "security_analyst" => "Security Analyst",
        "member" => "Member",
        _ => return None,
    })
}

/// Whether `role` names a built-in role.
pub fn is_built_in(role: &str) -> bool {
    BUILT_IN_ROLES.contains(&role)
}

/// The API-key scope that grants `permission` (`admin` grants them all).
pub fn scope_for(permission: &str) -> &'static str {
    match permission {
        "events:read" | "events:read_own" => "events:read",
        "events:export" => "exports",
        _ => "admin",
    }
}

/// Whether a set of permissions satisfies an API-key scope name, so that routes written for
/// keys (`principal.require("events:read")`) work for members too: `events:read` is satisfied
/// by `events:read` or `events:read_own` (results are then narrowed), `exports` by
/// `events:export`, `admin` by every `*:manage` permission, `events:write` never.
pub fn permissions_satisfy(permissions: &[String], scope: &str) -> bool {
    let has = |p: &str| permissions.iter().any(|held| held == p);
    match scope {
        "events:read" => has("events:read") || has("events:read_own"),
        "exports" => has("events:export"),
        "admin" => PERMISSIONS
            .iter()
            .filter(|p| p.ends_with(":manage"))
            .all(|p| has(p)),
        "events:write" => false,
        permission => has(permission),
    }
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
            if member.permissions.iter().any(|p| p == "events:read") {
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
    fn scopes_map_onto_permissions() {
        let of = |role| {
            built_in_permissions(role)
                .unwrap()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        };
        assert!(permissions_satisfy(&of("owner"), "admin"));
        assert!(permissions_satisfy(&of("member"), "events:read"));
        assert!(!permissions_satisfy(&of("member"), "exports"));
        assert!(permissions_satisfy(&of("security_analyst"), "exports"));
        assert!(!permissions_satisfy(&of("security_manager"), "admin"));
        assert!(!permissions_satisfy(&of("owner"), "events:write"));
        assert!(permissions_satisfy(
            &of("security_manager"),
            "streams:manage"
        ));
        assert_eq!(scope_for("events:read_own"), "events:read");
        assert_eq!(scope_for("members:manage"), "admin");
        for role in BUILT_IN_ROLES {
            assert!(built_in_permissions(role).is_some() && built_in_name(role).is_some());
        }
    }
}
