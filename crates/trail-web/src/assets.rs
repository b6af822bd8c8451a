//! The embedded files under `assets/` and the content hash that versions their URLs.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// One embedded file: its path under `/assets/<version>/`, content type and bytes.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file the pages load. A file added under `assets/` must be listed here.
pub const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/boot.js", JS),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/i18n.js", JS),
    asset!("js/format.js", JS),
    asset!("js/display.js", JS),
    asset!("js/url_state.js", JS),
    asset!("js/query.js", JS),
    asset!("js/signin.js", JS),
    asset!("js/shell.js", JS),
    asset!("js/log_view.js", JS),
    asset!("js/table.js", JS),
    asset!("js/toolbar.js", JS),
    asset!("js/builder.js", JS),
    asset!("js/histogram.js", JS),
    asset!("js/detail.js", JS),
    asset!("js/proof.js", JS),
    asset!("js/export.js", JS),
    asset!("js/live.js", JS),
    asset!("js/views.js", JS),
    asset!("js/admin.js", JS),
    asset!("js/embed.js", JS),
    asset!("js/event_types_page.js", JS),
    asset!("js/streams_page.js", JS),
];

/// The first 16 hex digits of the SHA-256 of every asset: changes whenever any file changes, so a
/// new release never meets a stale cached script.
pub fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hash = Sha256::new();
        for asset in ASSETS {
            hash.update(asset.path.as_bytes());
            hash.update((asset.body.len() as u64).to_le_bytes());
            hash.update(asset.body);
        }
        hex::encode(&hash.finalize()[..8])
    })
}

/// The asset at `path`, if embedded.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}
