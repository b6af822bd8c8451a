//! The routes: the app shell (`/`), the embeddable viewer (`/embed`) and the versioned assets.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::assets::{self, asset_version};

const APP_SHELL: &str = include_str!("../assets/index.html");
const EMBED_SHELL: &str = include_str!("../assets/embed.html");
const CSP: HeaderName = HeaderName::from_static("content-security-policy");

/// How the pages are served.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The CSP `frame-ancestors` sources allowed to frame `/embed`, e.g.
    /// `https://app.example.com` (space-separated). `'none'` forbids framing.
    pub embed_frame_ancestors: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            embed_frame_ancestors: "'self'".to_owned(),
        }
    }
}

/// The policy of every page: nothing inline, nothing from elsewhere.
fn content_security_policy(frame_ancestors: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

struct Pages {
    app: String,
    embed: String,
    app_csp: HeaderValue,
    embed_csp: HeaderValue,
}

/// The web app's routes, for any router state (they need none).
pub fn router<S: Clone + Send + Sync + 'static>(config: WebConfig) -> Router<S> {
    let base = format!("/assets/{}", asset_version());
    let ancestors = sanitize_ancestors(&config.embed_frame_ancestors);
    let pages = Arc::new(Pages {
        app: APP_SHELL.replace("{{assets}}", &base),
        embed: EMBED_SHELL.replace("{{assets}}", &base),
        app_csp: HeaderValue::from_str(&content_security_policy("'none'"))
            .expect("a static policy is a valid header"),
        embed_csp: HeaderValue::from_str(&content_security_policy(&ancestors))
            .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'")),
    });
    let app = pages.clone();
    Router::new()
        .route("/", get(move || page(app.clone(), false)))
        .route("/embed", get(move || page(pages.clone(), true)))
        .route("/assets/{version}/{*path}", get(asset))
}

/// Keeps only characters a CSP source list may hold, so a configuration typo cannot inject
/// another directive.
fn sanitize_ancestors(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| *c != ';' && *c != ',')
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        "'none'".to_owned()
    } else {
        cleaned
    }
}

async fn page(pages: Arc<Pages>, embed: bool) -> Response {
    let (body, csp) = if embed {
        (pages.embed.clone(), pages.embed_csp.clone())
    } else {
        (pages.app.clone(), pages.app_csp.clone())
    };
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (CSP, csp),
        ],
        body,
    )
        .into_response()
}

async fn asset(Path((version, path)): Path<(String, String)>) -> Response {
    let Some(asset) = assets::find(&path) else {
        return not_found();
    };
    // An old version's URL still answers (a page loaded before a deploy keeps working) but is not
    // cached for long, since its bytes are the new ones.
    let cache = if version == asset_version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (CACHE_CONTROL, HeaderValue::from_static(cache)),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        asset.body,
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "application/json")],
        r#"{"error":{"code":"not_found","message":"No such asset.","details":[]}}"#,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_cannot_inject_directives() {
        assert_eq!(
            sanitize_ancestors("https://a.example; script-src *"),
            "https://a.example script-src *"
        );
        assert_eq!(sanitize_ancestors("  "), "'none'");
        let policy = content_security_policy(&sanitize_ancestors("https://x.example"));
        assert!(policy.ends_with("frame-ancestors https://x.example"));
        assert!(!policy.contains("unsafe"));
    }

    #[test]
    fn every_asset_the_shell_names_is_embedded() {
        for shell in [APP_SHELL, EMBED_SHELL] {
            for part in shell.split("{{assets}}/").skip(1) {
                let path = part.split('"').next().unwrap();
                assert!(assets::find(path).is_some(), "{path} is not embedded");
            }
        }
    }
}
