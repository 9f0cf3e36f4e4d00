//! The dashboard's static files, compiled in: htmx (vendored from npm, see `static/README.md`),
//! the keyboard shortcuts and the favicon. htmx is served with a long cache lifetime, so
//! pages name it with its version; a new build serves new bytes under the same name.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const HTMX: &[u8] = include_bytes!("../../static/htmx.min.js");
const FAVICON: &[u8] = include_bytes!("../../static/favicon.svg");
const KEYS: &[u8] = include_bytes!("../../static/keys.js");

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/static/htmx-2.0.11.min.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                    ],
                    HTMX,
                )
                    .into_response()
            }),
        )
        .route(
            // Ours, so it changes between releases: browsers check again after an hour.
            "/static/keys.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    KEYS,
                )
                    .into_response()
            }),
        )
        .route(
            "/favicon.svg",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "image/svg+xml"),
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    FAVICON,
                )
                    .into_response()
            }),
        )
}
