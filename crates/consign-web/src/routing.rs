//! One declaration per API route. Each `api` module lists its handlers with utoipa-axum's
//! `routes!`, whose `#[utoipa::path]` attributes give both the axum route and its OpenAPI
//! operation, so a route cannot be served without being documented. The same declaration
//! names the route's body limit, which one middleware applies before anything reads the body.

use crate::{AppState, WebConfig};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// How large a request body a route reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// An ordinary JSON request: `WebConfig::body_limit` (1 MiB unless configured).
    Json,
    /// Tracking event batches and webhooks: up to 10,000 events of a few hundred bytes each.
    Events,
    /// Raw X12 interchanges.
    Edi,
    /// Document uploads: `WebConfig::document_limit`.
    Document,
}

/// Event batches: 10,000 events of a few hundred bytes each.
pub const TRACKING_BODY_LIMIT: usize = 16 * 1024 * 1024;

impl BodyLimit {
    pub fn bytes(self, cfg: &WebConfig) -> usize {
        match self {
            BodyLimit::Json => cfg.body_limit,
            BodyLimit::Events => TRACKING_BODY_LIMIT,
            BodyLimit::Edi => consign_app::edi::MAX_EDI_BYTES,
            BodyLimit::Document => cfg.document_limit,
        }
    }
}

/// The body limit of every API route, keyed by its path template as axum reports it in
/// `MatchedPath`; requests matching no API route (dashboard, fallbacks) get `Json`.
#[derive(Debug, Clone, Default)]
pub struct BodyLimits(HashMap<String, BodyLimit>);

impl BodyLimits {
    pub fn for_route(&self, route: Option<&str>) -> BodyLimit {
        route
            .and_then(|r| self.0.get(r))
            .copied()
            .unwrap_or(BodyLimit::Json)
    }

    /// The paths given a limit of their own.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// API routes under construction: the router, its OpenAPI paths, and each path's body limit.
/// Only `routes!` output can be added, so every route has its `#[utoipa::path]`.
pub struct ApiRoutes {
    router: OpenApiRouter<AppState>,
    limits: BodyLimits,
}

impl Default for ApiRoutes {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiRoutes {
    pub fn new() -> Self {
        ApiRoutes {
            router: OpenApiRouter::default(),
            limits: BodyLimits::default(),
        }
    }

    /// Handlers of one path whose bodies, if any, are ordinary JSON requests.
    pub fn routes(self, handlers: UtoipaMethodRouter<AppState>) -> Self {
        self.limited(BodyLimit::Json, handlers)
    }

    /// Handlers of one path that read bodies of another size.
    pub fn limited(mut self, limit: BodyLimit, handlers: UtoipaMethodRouter<AppState>) -> Self {
        for path in handlers.1.paths.keys() {
            self.limits.set(nested("", path), limit);
        }
        self.router = self.router.routes(handlers);
        self
    }

    pub fn merge(mut self, other: ApiRoutes) -> Self {
        for (path, limit) in other.limits.0 {
            self.limits.set(path, limit);
        }
        self.router = self.router.merge(other.router);
        self
    }

    pub fn nest(mut self, prefix: &str, inner: ApiRoutes) -> Self {
        for (path, limit) in inner.limits.0 {
            self.limits.set(nested(prefix, &path), limit);
        }
        self.router = self.router.nest(prefix, inner.router);
        self
    }

    /// What answers paths under this prefix that no route matches.
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, utoipa::openapi::OpenApi, BodyLimits) {
        let (router, doc) = self.router.split_for_parts();
        (router, doc, self.limits)
    }
}

impl BodyLimits {
    /// Limits of routes outside the API (the dashboard's upload form), keyed by their path
    /// templates like the API's.
    pub fn with_pages(mut self, pages: &[(&str, BodyLimit)]) -> Self {
        for (path, limit) in pages {
            self.set(path.to_string(), *limit);
        }
        self
    }

    fn set(&mut self, path: String, limit: BodyLimit) {
        // Two declarations of one path may not disagree: whichever came last would win silently.
        if let Some(old) = self.0.insert(path.clone(), limit) {
            assert_eq!(old, limit, "two body limits declared for {path}");
        }
    }
}

/// `prefix` + `path` as axum (and utoipa-axum) compose a nested route, so the keys here are
/// exactly the `MatchedPath` of a request.
fn nested(prefix: &str, path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    if prefix.is_empty() {
        path.to_string()
    } else if prefix.ends_with('/') {
        format!("{prefix}{}", path.trim_start_matches('/'))
    } else if path == "/" {
        prefix.to_string()
    } else {
        format!("{prefix}{path}")
    }
}

/// Sets the matched route's body limit as axum's default, which both the handlers' body
/// extractors and the idempotency middleware (it hashes the body before the handler runs)
/// read, so an oversized body is refused the same way whichever reads it first.
pub async fn body_limit(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let limit = st.body_limits.for_route(
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    DefaultBodyLimit::max(limit.bytes(&st.cfg)).apply(&mut req);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_composes_like_axum() {
        assert_eq!(nested("", "/orders"), "/orders");
        assert_eq!(
            nested("/api/v1/tenants/{tenant}", "/"),
            "/api/v1/tenants/{tenant}"
        );
        assert_eq!(
            nested("/api/v1", "/tenants/{tenant}/edi"),
            "/api/v1/tenants/{tenant}/edi"
        );
    }
}
