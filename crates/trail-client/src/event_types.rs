//! The event-type catalogue (`/v1/event-types`): list with the uncatalogued actions, one type,
//! put, delete, export and import the whole catalogue, and adopt uncatalogued actions.

use reqwest::Method;
use serde_json::{Value, json};
pub use trail_core::catalogue::{CatalogueFile, EventType, EventTypeDraft};

use crate::exports::check;
use crate::{Client, Error, path_segment};

impl Client {
    /// `GET /v1/event-types`: `{"validation", "areas": [{"area", "label", "event_types"}],
    /// "uncatalogued": [{"action", "count", "first_seen", "last_seen", …}]}`.
    pub async fn list_event_types(&self) -> Result<Value, Error> {
        self.send_json(
            Method::GET,
            "v1/event-types",
            &self.org_query(),
            None::<&()>,
        )
        .await
    }

    /// `GET /v1/event-types/{action}`.
    pub async fn get_event_type(&self, action: &str) -> Result<EventType, Error> {
        let path = format!("v1/event-types/{}", path_segment(action));
        self.send_json(Method::GET, &path, &self.org_query(), None::<&()>)
            .await
    }

    /// `PUT /v1/event-types/{action}` (`draft.action` is ignored: the path names it).
    pub async fn put_event_type(
        &self,
        action: &str,
        draft: &EventTypeDraft,
    ) -> Result<EventType, Error> {
        let mut body = serde_json::to_value(draft).map_err(|e| Error::Decode(e.to_string()))?;
        if let Some(fields) = body.as_object_mut() {
            fields.remove("action");
            fields.retain(|_, v| !v.is_null());
            if let Some(org) = &self.organization_id {
                fields.insert("organization_id".into(), json!(org));
            }
        }
        let path = format!("v1/event-types/{}", path_segment(action));
        self.send_json(Method::PUT, &path, &[], Some(&body)).await
    }

    /// `DELETE /v1/event-types/{action}`.
    pub async fn delete_event_type(&self, action: &str) -> Result<(), Error> {
        let path = format!("v1/event-types/{}", path_segment(action));
        let request = self.request(Method::DELETE, &path, &self.org_query())?;
        let response = request.send().await.map_err(Error::Transport)?;
        check(response).await.map(drop)
    }

    /// `GET /v1/event-types/export`: the whole catalogue as one file.
    pub async fn export_event_types(&self) -> Result<CatalogueFile, Error> {
        self.send_json(
            Method::GET,
            "v1/event-types/export",
            &self.org_query(),
            None::<&()>,
        )
        .await
    }

    /// `POST /v1/event-types/import`: all or nothing; `replace` deletes the types the file does
    /// not list. Answers `{"imported", "event_types"}`.
    pub async fn import_event_types(
        &self,
        file: &CatalogueFile,
        replace: bool,
    ) -> Result<Value, Error> {
        let mut query = self.org_query();
        query.push(("replace", replace.to_string()));
        self.send_json(Method::POST, "v1/event-types/import", &query, Some(file))
            .await
    }

    /// `POST /v1/event-types/adopt`: catalogue the named uncatalogued actions, or every one.
    pub async fn adopt_event_types(&self, actions: Option<&[String]>) -> Result<Value, Error> {
        let mut body = json!({});
        if let Some(actions) = actions {
            body["actions"] = json!(actions);
        }
        if let Some(org) = &self.organization_id {
            body["organization_id"] = json!(org);
        }
        self.send_json(Method::POST, "v1/event-types/adopt", &[], Some(&body))
            .await
    }
}
