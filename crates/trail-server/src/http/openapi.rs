//! Lists in `/openapi.json` the error answers every operation can give besides those its handler
//! documents: the ones made by the layers of this module (405, 408, 414, 415, 429, 431, 503) and
//! by authentication (401, 403, 404), all in the error shape.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

/// Adds the statuses an operation may answer with and does not list yet.
pub fn document_layer_errors(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let is_public = matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics");
        let is_limited = path.starts_with("/v1/events");
        let ops = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, false),
        ];
        for (op, has_body) in ops {
            let Some(op) = op.as_mut() else { continue };
            let mut statuses = vec![
                ("400", "The request is malformed"),
                ("405", "The route does not take this method"),
                ("414", "The request target is too long"),
                ("431", "The request head is too large"),
                ("500", "A bug; logged on the server"),
                ("503", "Unavailable or overloaded; retry after Retry-After"),
            ];
            if has_body {
                statuses.push(("408", "The body did not arrive in time"));
                statuses.push(("413", "The body is too large"));
                statuses.push(("415", "The body is not JSON"));
            }
            if !is_public {
                statuses.push(("401", "No valid credential"));
                statuses.push(("403", "The credential lacks the permission"));
                statuses.push(("404", "No such resource, or another organization's"));
            }
            if is_limited {
                statuses.push(("429", "Past a rate limit; retry after Retry-After"));
            }
            add(op, &statuses);
        }
    }
}

fn add(op: &mut Operation, statuses: &[(&str, &str)]) {
    for (status, description) in statuses {
        if op.responses.responses.contains_key(*status) {
            continue;
        }
        let response = ResponseBuilder::new()
            .description(*description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        op.responses
            .responses
            .insert((*status).to_owned(), response.into());
    }
}
