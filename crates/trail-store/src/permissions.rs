//! The access model's vocabulary, in one place: the [`Permission`]s a role carries, the
//! [`Scope`]s an API key carries, the [`BuiltInRole`]s, and the one table that maps roles and
//! scopes onto permissions (docs/access.md "Roles and permissions"). Checks take these enums, so
//! a misspelt permission does not compile.

use serde::{Deserialize, Serialize};

/// What a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "events:read")]
    EventsRead,
    /// Read only one's own events (`actor.email` or `actor.id` is the member's).
    #[serde(rename = "events:read_own")]
    EventsReadOwn,
    #[serde(rename = "events:export")]
    EventsExport,
    #[serde(rename = "streams:manage")]
    StreamsManage,
    #[serde(rename = "members:manage")]
    MembersManage,
    #[serde(rename = "api_keys:manage")]
    ApiKeysManage,
    #[serde(rename = "settings:manage")]
    SettingsManage,
    #[serde(rename = "event_types:manage")]
    EventTypesManage,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::EventsRead,
        Permission::EventsReadOwn,
        Permission::EventsExport,
        Permission::StreamsManage,
        Permission::MembersManage,
        Permission::ApiKeysManage,
        Permission::SettingsManage,
        Permission::EventTypesManage,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::EventsRead => "events:read",
            Permission::EventsReadOwn => "events:read_own",
            Permission::EventsExport => "events:export",
            Permission::StreamsManage => "streams:manage",
            Permission::MembersManage => "members:manage",
            Permission::ApiKeysManage => "api_keys:manage",
            Permission::SettingsManage => "settings:manage",
            Permission::EventTypesManage => "event_types:manage",
        }
    }

    pub fn parse(text: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// The API-key scope that grants this permission.
    pub const fn scope(self) -> Scope {
        match self {
            Permission::EventsRead | Permission::EventsReadOwn => Scope::EventsRead,
            Permission::EventsExport => Scope::Exports,
            _ => Scope::Admin,
        }
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "events:write")]
    EventsWrite,
    #[serde(rename = "events:read")]
    EventsRead,
    #[serde(rename = "exports")]
    Exports,
    /// Every scope.
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::EventsWrite,
        Scope::EventsRead,
        Scope::Exports,
        Scope::Admin,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::EventsWrite => "events:write",
            Scope::EventsRead => "events:read",
            Scope::Exports => "exports",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a set of role permissions satisfies this scope, so that checks written as scopes
    /// work for members too: `events:read` is satisfied by `events:read` or `events:read_own`
    /// (results are then narrowed), `exports` by `events:export`, `admin` by every `*:manage`
    /// permission, `events:write` never (members do not ingest).
    pub fn satisfied_by(self, permissions: &[Permission]) -> bool {
        let has = |p: &Permission| permissions.contains(p);
        match self {
            Scope::EventsRead => has(&Permission::EventsRead) || has(&Permission::EventsReadOwn),
            Scope::Exports => has(&Permission::EventsExport),
            Scope::Admin => Permission::ALL
                .iter()
                .filter(|p| p.scope() == Scope::Admin)
                .all(has),
            Scope::EventsWrite => false,
        }
    }

    /// Whether a key holding `held` has this scope (`admin` implies every scope).
    pub fn granted_by(self, held: &[String]) -> bool {
        held.iter()
            .any(|s| s == self.as_str() || s == Scope::Admin.as_str())
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The built-in roles, in order of decreasing power; a custom role is named by its `role_…` id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltInRole {
    Owner,
    Admin,
    SecurityManager,
    SecurityAnalyst,
    Member,
}

impl BuiltInRole {
    pub const ALL: [BuiltInRole; 5] = [
        BuiltInRole::Owner,
        BuiltInRole::Admin,
        BuiltInRole::SecurityManager,
        BuiltInRole::SecurityAnalyst,
        BuiltInRole::Member,
    ];

    /// The id stored in memberships (`owner` …).
    pub const fn id(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "owner",
            BuiltInRole::Admin => "admin",
            BuiltInRole::SecurityManager => "security_manager",
            BuiltInRole::SecurityAnalyst => "security_analyst",
            BuiltInRole::Member => "member",
        }
    }

    pub fn parse(id: &str) -> Option<BuiltInRole> {
        BuiltInRole::ALL.into_iter().find(|r| r.id() == id)
    }

    pub const fn name(self) -> &'static str {
        match self {
            BuiltInRole::Owner => "Owner",
            BuiltInRole::Admin => "Admin",
            BuiltInRole::SecurityManager => "Security Manager",
            BuiltInRole::SecurityAnalyst => "Security Analyst",
            BuiltInRole::Member => "Member",
        }
    }

    /// The table: what each built-in role may do.
    pub const fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            BuiltInRole::Owner | BuiltInRole::Admin => &Permission::ALL,
            BuiltInRole::SecurityManager => &[
                EventsRead,
                EventsExport,
                StreamsManage,
                SettingsManage,
                EventTypesManage,
            ],
            BuiltInRole::SecurityAnalyst => &[EventsRead, EventsExport],
            BuiltInRole::Member => &[EventsReadOwn],
        }
    }
}

/// Every permission's name, in [`Permission::ALL`] order (for validating requests).
pub const PERMISSION_NAMES: [&str; 8] = {
    let mut names = [""; 8];
    let mut i = 0;
    while i < 8 {
        names[i] = Permission::ALL[i].as_str();
        i += 1;
    }
    names
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_maps_roles_and_scopes_onto_permissions() {
        let of = |role: BuiltInRole| role.permissions();
        assert!(Scope::Admin.satisfied_by(of(BuiltInRole::Owner)));
        assert!(Scope::EventsRead.satisfied_by(of(BuiltInRole::Member)));
        assert!(!Scope::Exports.satisfied_by(of(BuiltInRole::Member)));
        assert!(Scope::Exports.satisfied_by(of(BuiltInRole::SecurityAnalyst)));
        assert!(!Scope::Admin.satisfied_by(of(BuiltInRole::SecurityManager)));
        assert!(!Scope::EventsWrite.satisfied_by(of(BuiltInRole::Owner)));
        assert_eq!(Permission::EventsReadOwn.scope(), Scope::EventsRead);
        assert_eq!(Permission::MembersManage.scope(), Scope::Admin);
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        for (role, id) in BuiltInRole::ALL.iter().zip(crate::BUILT_IN_ROLES) {
            assert_eq!(role.id(), id);
        }
        assert_eq!(PERMISSION_NAMES[7], "event_types:manage");
        assert!(Scope::Exports.granted_by(&["admin".into()]));
        assert!(!Scope::Exports.granted_by(&["events:read".into()]));
    }
}
