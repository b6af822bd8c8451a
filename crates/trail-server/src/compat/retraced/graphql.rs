//! The GraphQL search the Retraced client's `query` sends (`POST …/graphql`), parsed and
//! validated by `async-graphql`: `search(query, last, before)` → `{totalCount, pageInfo
//! {hasPreviousPage}, edges {cursor, node}}`. Pages come from `services::search::page`
//! (newest first, `last` per page, `before` the cursor of the previous page's last edge; an
//! empty `before` is the first page); `totalCount` is `services::search::count` of the same
//! query without the cursor, as the client's page arithmetic needs; `hasPreviousPage` says
//! older events remain. Cursors are Trail's own keyset positions `(occurred_at, seq)`.

use async_graphql::{Context, EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};
use serde_json::{Map, Value};
use trail_core::cursor::Cursor;
use trail_core::event::{Event as TrailEvent, Outcome};
use trail_core::query::Order;

use super::events::{ANONYMOUS, CRUD_KEY, EXTRAS_KEY, GROUP_KEY};
use crate::services::Caller;
use crate::services::search::{self, SearchInput};
use crate::state::AppState;

/// Events per page when the client does not say.
pub const DEFAULT_PAGE: usize = 20;
/// Most events per page.
pub const MAX_PAGE: usize = 1000;

pub type SearchSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The schema; each request adds its [`Scope`] as data.
pub fn schema() -> SearchSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(8)
        .limit_complexity(2000)
        .finish()
}

/// Whom a request searches for.
pub struct Scope {
    pub state: AppState,
    pub caller: Caller,
}

pub struct Query;

#[Object]
impl Query {
    /// Events matching a Retraced structured query, newest first.
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<EventsConnection> {
        let scope = ctx.data::<Scope>()?;
        let q = super::query::to_trail(&query).map_err(async_graphql::Error::new)?;
        let limit = match last {
            None => DEFAULT_PAGE,
            Some(n) if n >= 1 && (n as usize) <= MAX_PAGE => n as usize,
            Some(_) => {
                return Err(async_graphql::Error::new(format!(
                    "`last` must be between 1 and {MAX_PAGE}."
                )));
            }
        };
        let cursor = before.filter(|b| !b.is_empty());
        if cursor
            .as_deref()
            .is_some_and(|c| Cursor::decode(c).is_none())
        {
            return Err(async_graphql::Error::new(
                "`before` is not a cursor this server issued.",
            ));
        }
        let input = SearchInput {
            q: Some(q),
            limit: Some(limit),
            cursor,
            order: Some(Order::Desc),
            ..SearchInput::default()
        };
        let whole = SearchInput {
            cursor: None,
            limit: None,
            ..input.clone()
        };
        let (page, total) = tokio::try_join!(
            search::page(&scope.state, &scope.caller, &input),
            search::count(&scope.state, &scope.caller, &whole),
        )
        .map_err(|e| async_graphql::Error::new(e.message))?;
        Ok(EventsConnection {
            total_count: i64::try_from(total).unwrap_or(i64::MAX),
            page_info: PageInfo {
                has_previous_page: page.next_cursor.is_some(),
                has_next_page: false,
            },
            edges: page.events.iter().map(edge).collect(),
        })
    }
}

#[derive(SimpleObject)]
pub struct EventsConnection {
    total_count: i64,
    page_info: PageInfo,
    edges: Vec<EventEdge>,
}

#[derive(SimpleObject)]
pub struct PageInfo {
    has_previous_page: bool,
    has_next_page: bool,
}

#[derive(SimpleObject)]
pub struct EventEdge {
    cursor: String,
    node: Event,
}

#[derive(SimpleObject)]
#[graphql(rename_fields = "snake_case")]
pub struct Event {
    id: String,
    action: String,
    description: Option<String>,
    crud: Option<String>,
    group: Option<Group>,
    actor: Option<Actor>,
    target: Option<Target>,
    display: Display,
    received: String,
    created: String,
    canonical_time: String,
    is_failure: bool,
    is_anonymous: bool,
    country: Option<String>,
    #[graphql(name = "loc_subdiv1")]
    loc_subdiv1: Option<String>,
    #[graphql(name = "loc_subdiv2")]
    loc_subdiv2: Option<String>,
    component: Option<String>,
    version: Option<String>,
    external_id: Option<String>,
    fields: Vec<KeyValue>,
    metadata: Vec<KeyValue>,
}

#[derive(SimpleObject)]
pub struct Group {
    id: String,
    name: Option<String>,
}

#[derive(SimpleObject)]
pub struct Actor {
    id: String,
    name: Option<String>,
    href: Option<String>,
    fields: Vec<KeyValue>,
}

#[derive(SimpleObject)]
pub struct Target {
    id: String,
    name: Option<String>,
    href: Option<String>,
    #[graphql(name = "type")]
    kind: Option<String>,
    fields: Vec<KeyValue>,
}

#[derive(SimpleObject)]
pub struct Display {
    markdown: String,
}

#[derive(SimpleObject)]
pub struct KeyValue {
    key: String,
    value: String,
}

fn pairs(value: Option<&Value>) -> Vec<KeyValue> {
    value
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(key, value)| KeyValue {
            key: key.clone(),
            value: value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned),
        })
        .collect()
}

fn text(extras: &Map<String, Value>, key: &str) -> Option<String> {
    extras.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn edge(event: &TrailEvent) -> EventEdge {
    let cursor = Cursor {
        occurred_at: event.data.occurred_at,
        seq: event.seq,
    }
    .encode();
    EventEdge {
        cursor,
        node: node(event),
    }
}

/// A Trail event as Retraced shows it.
pub fn node(event: &TrailEvent) -> Event {
    let data = &event.data;
    let empty = Map::new();
    let metadata = data.metadata.as_ref().unwrap_or(&empty);
    let extras = metadata
        .get(EXTRAS_KEY)
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let is_anonymous = extras.get("is_anonymous").and_then(Value::as_bool) == Some(true);
    let fields: Map<String, Value> = metadata
        .iter()
        .filter(|(k, _)| ![EXTRAS_KEY, CRUD_KEY, GROUP_KEY].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let location = data.context.as_ref().and_then(|c| c.location.as_ref());
    let occurred = data.occurred_at.to_rfc3339();
    Event {
        id: data.id.clone(),
        action: data.action.clone(),
        description: data.description.clone(),
        crud: metadata
            .get(CRUD_KEY)
            .and_then(Value::as_str)
            .map(str::to_owned),
        group: extras.get("group").and_then(|g| {
            Some(Group {
                id: g.get("id")?.as_str()?.to_owned(),
                name: g.get("name").and_then(Value::as_str).map(str::to_owned),
            })
        }),
        actor: (!(is_anonymous && data.actor.id == ANONYMOUS)).then(|| Actor {
            id: data.actor.id.clone(),
            name: data.actor.name.clone(),
            href: text(extras, "actor_href"),
            fields: pairs(extras.get("actor_fields")),
        }),
        target: data.resource.as_ref().map(|r| Target {
            id: r.id.clone().unwrap_or_default(),
            name: r.name.clone(),
            href: text(extras, "target_href"),
            kind: Some(r.kind.clone()),
            fields: pairs(extras.get("target_fields")),
        }),
        display: Display {
            markdown: data.description.clone().unwrap_or_else(|| {
                format!(
                    "{} {}",
                    data.actor.name.as_deref().unwrap_or(&data.actor.id),
                    data.action
                )
            }),
        },
        received: event.received_at.to_rfc3339(),
        created: occurred.clone(),
        canonical_time: occurred,
        is_failure: data.outcome == Outcome::Failure,
        is_anonymous,
        country: location.and_then(|l| l.country.clone()),
        loc_subdiv1: location.and_then(|l| l.region.clone()),
        loc_subdiv2: location.and_then(|l| l.city.clone()),
        component: text(extras, "component"),
        version: text(extras, "version"),
        external_id: text(extras, "external_id"),
        fields: pairs(Some(&Value::Object(fields))),
        metadata: pairs(extras.get("metadata")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_has_the_fields_the_client_selects() {
        let sdl = schema().sdl();
        for field in [
            "totalCount",
            "hasPreviousPage",
            "canonical_time",
            "is_anonymous",
            "loc_subdiv1",
            "external_id",
            "country",
        ] {
            assert!(sdl.contains(field), "{field} missing from\n{sdl}");
        }
    }
}
