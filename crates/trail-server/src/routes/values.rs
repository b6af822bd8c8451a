//! The closed sets of values some parameters take, as the OpenAPI document states them. The
//! handlers parse these parameters into trail-core's own types (`Order`, `SortKey`,
//! `ExportFormat`, `TimeFrame`, facet fields), which do not derive `ToSchema`; these mirror them
//! for the document only, and `tests::values_match_the_parsers` keeps the two in step.

#![allow(
    dead_code,
    reason = "documentation types: utoipa reads their variants, nothing constructs them"
)]

use serde::Serialize;
use utoipa::ToSchema;

/// `desc` (newest first) or `asc`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderValue {
    Desc,
    Asc,
}

/// `occurred_at` or `seq`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortValue {
    OccurredAt,
    Seq,
}

/// `csv`, `json` or `ndjson`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormatValue {
    Csv,
    Json,
    Ndjson,
}

/// `last_30_days`, `last_90_days` or `custom`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeFrameValue {
    #[serde(rename = "last_30_days")]
    Last30Days,
    #[serde(rename = "last_90_days")]
    Last90Days,
    Custom,
}

/// A string of at least one character.
#[derive(Serialize, ToSchema)]
#[schema(min_length = 1)]
pub struct NonEmpty(String);

/// An API key's scope.
#[derive(Serialize, ToSchema)]
pub enum ScopeValue {
    #[serde(rename = "events:write")]
    EventsWrite,
    #[serde(rename = "events:read")]
    EventsRead,
    #[serde(rename = "exports")]
    Exports,
    #[serde(rename = "admin")]
    Admin,
}

/// A permission a role grants.
#[derive(Serialize, ToSchema)]
pub enum PermissionValue {
    #[serde(rename = "events:read")]
    EventsRead,
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

/// A field the facets route counts values of.
#[derive(Serialize, ToSchema)]
pub enum FacetFieldValue {
    #[serde(rename = "action")]
    Action,
    #[serde(rename = "area")]
    Area,
    #[serde(rename = "actor.id")]
    ActorId,
    #[serde(rename = "actor.email")]
    ActorEmail,
    #[serde(rename = "actor.role")]
    ActorRole,
    #[serde(rename = "actor.type")]
    ActorType,
    #[serde(rename = "source")]
    Source,
    #[serde(rename = "outcome")]
    Outcome,
    #[serde(rename = "country")]
    Country,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    fn names<T: Serialize>(values: &[T]) -> Vec<String> {
        values
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    fn all_parse<T: DeserializeOwned>(names: &[String]) {
        for name in names {
            serde_json::from_value::<T>(serde_json::Value::String(name.clone()))
                .unwrap_or_else(|e| panic!("`{name}` is documented but not accepted: {e}"));
        }
    }

    #[test]
    fn values_match_the_parsers() {
        use trail_core::export::ExportFormat;
        use trail_core::query::{Order, SortKey};
        all_parse::<Order>(&names(&[OrderValue::Desc, OrderValue::Asc]));
        all_parse::<SortKey>(&names(&[SortValue::OccurredAt, SortValue::Seq]));
        all_parse::<ExportFormat>(&names(&[
            FormatValue::Csv,
            FormatValue::Json,
            FormatValue::Ndjson,
        ]));
        all_parse::<trail_core::export::TimeFrame>(&names(&[
            TimeFrameValue::Last30Days,
            TimeFrameValue::Last90Days,
            TimeFrameValue::Custom,
        ]));
        use trail_store::permissions::{Permission, Scope};
        let scopes = names(&[
            ScopeValue::EventsWrite,
            ScopeValue::EventsRead,
            ScopeValue::Exports,
            ScopeValue::Admin,
        ]);
        assert_eq!(scopes, Scope::ALL.map(|s| s.as_str().to_owned()));
        let permissions = names(&[
            PermissionValue::EventsRead,
            PermissionValue::EventsReadOwn,
            PermissionValue::EventsExport,
            PermissionValue::StreamsManage,
            PermissionValue::MembersManage,
            PermissionValue::ApiKeysManage,
            PermissionValue::SettingsManage,
            PermissionValue::EventTypesManage,
        ]);
        assert_eq!(permissions, Permission::ALL.map(|p| p.as_str().to_owned()));
        let facets = names(&[
            FacetFieldValue::Action,
            FacetFieldValue::Area,
            FacetFieldValue::ActorId,
            FacetFieldValue::ActorEmail,
            FacetFieldValue::ActorRole,
            FacetFieldValue::ActorType,
            FacetFieldValue::Source,
            FacetFieldValue::Outcome,
            FacetFieldValue::Country,
        ]);
        let served: Vec<String> = crate::services::search::FACET_FIELDS
            .iter()
            .map(trail_core::query::Field::name)
            .collect();
        assert_eq!(facets, served);
    }
}
