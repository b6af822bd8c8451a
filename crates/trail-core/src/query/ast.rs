//! The syntax tree every query becomes: an AND of conditions, each an OR of matchers on one field,
//! possibly negated.

use ipnet::IpNet;

use crate::Millis;

/// A searchable field. `Actor` matches id, name or email; `Resource` id or name; `Text` is a bare
/// word searched in description, action, actor, resource and metadata.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Action,
    Area,
    Actor,
    ActorId,
    ActorName,
    ActorEmail,
    ActorRole,
    ActorType,
    Resource,
    ResourceType,
    ResourceId,
    ResourceName,
    Target,
    Source,
    Outcome,
    Ip,
    Country,
    Id,
    Seq,
    Occurred,
    Received,
    /// A top-level key of `metadata`.
    Metadata(String),
    Text,
    /// `actor.id` or `actor.email`: not part of the query language; the server narrows a
    /// member's searches to their own activity with it (`trail_server::access::narrow`).
    ActorIdOrEmail,
}

impl Field {
    /// Every name the query language accepts (`metadata.<key>` aside), in the order docs list them.
    pub const NAMES: [&'static str; 22] = [
        "action",
        "area",
        "actor",
        "actor.id",
        "actor.name",
        "actor.email",
        "actor.role",
        "actor.type",
        "resource",
        "resource.type",
        "resource.id",
        "resource.name",
        "target",
        "source",
        "outcome",
        "ip",
        "country",
        "id",
        "seq",
        "occurred",
        "received",
        "metadata",
    ];

    pub fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "action" => Field::Action,
            "area" => Field::Area,
            "actor" => Field::Actor,
            "actor.id" => Field::ActorId,
            "actor.name" => Field::ActorName,
            "actor.email" => Field::ActorEmail,
            "actor.role" => Field::ActorRole,
            "actor.type" => Field::ActorType,
            "resource" => Field::Resource,
            "resource.type" => Field::ResourceType,
            "resource.id" => Field::ResourceId,
            "resource.name" => Field::ResourceName,
            "target" => Field::Target,
            "source" => Field::Source,
            "outcome" => Field::Outcome,
            "ip" => Field::Ip,
            "country" => Field::Country,
            "id" => Field::Id,
            "seq" => Field::Seq,
            "occurred" | "occurred_at" => Field::Occurred,
            "received" | "received_at" => Field::Received,
            _ => {
                let key = name.strip_prefix("metadata.")?;
                if key.is_empty() {
                    return None;
                }
                Field::Metadata(key.to_owned())
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Field::Metadata(key) => format!("metadata.{key}"),
            Field::Text => "text".to_owned(),
            Field::ActorIdOrEmail => "actor.id_or_email".to_owned(),
            other => Self::NAMES[other.ordinal()].to_owned(),
        }
    }

    fn ordinal(&self) -> usize {
        match self {
            Field::Action => 0,
            Field::Area => 1,
            Field::Actor => 2,
            Field::ActorId => 3,
            Field::ActorName => 4,
            Field::ActorEmail => 5,
            Field::ActorRole => 6,
            Field::ActorType => 7,
            Field::Resource => 8,
            Field::ResourceType => 9,
            Field::ResourceId => 10,
            Field::ResourceName => 11,
            Field::Target => 12,
            Field::Source => 13,
            Field::Outcome => 14,
            Field::Ip => 15,
            Field::Country => 16,
            Field::Id => 17,
            Field::Seq => 18,
            Field::Occurred => 19,
            Field::Received => 20,
            Field::Metadata(_) | Field::Text | Field::ActorIdOrEmail => 21,
        }
    }

    /// Fields compared as times (`>=`, `a..b`, dates, relative times).
    pub fn is_time(&self) -> bool {
        matches!(self, Field::Occurred | Field::Received)
    }
}

/// A comparable value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Time(Millis),
    Int(i64),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// One way a field's value can match. String matching is ASCII case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// Equal to the value.
    Eq(String),
    /// Starts with the value (`value*`).
    Prefix(String),
    /// Contains the value anywhere (free text, `contains`).
    Contains(String),
    /// Compared with `op` (times, `seq`).
    Cmp(CmpOp, Scalar),
    /// `low <= x < high` (a `a..b` range; an inclusive date upper bound is turned into the next midnight).
    Range(Scalar, Scalar),
    /// The field is present.
    Exists,
    /// The IP address lies in the network.
    Cidr(IpNet),
}

/// `field` matches any of `matchers`; `negated` inverts the whole condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub negated: bool,
    pub matchers: Vec<Matcher>,
}

/// All conditions must hold. The empty filter matches every event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub conditions: Vec<Condition>,
}

impl Filter {
    pub fn and(mut self, other: Filter) -> Filter {
        self.conditions.extend(other.conditions);
        self
    }
}
