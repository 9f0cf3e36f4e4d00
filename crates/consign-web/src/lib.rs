//! Consign's HTTP surface: the JSON API under `/api/v1`, health and metrics endpoints, the
//! OpenAPI document, and the server-rendered dashboard. Handlers translate HTTP to use-case
//! calls and back; authentication, CSRF, idempotency, body-size and rate limits are layers
//! around them.

pub mod api;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod idempotency;
pub mod json;
pub mod limits;
pub mod openapi;
pub mod openapi_schemas;
pub mod routing;
pub mod scorecard_page;
pub mod security;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use consign_app::App;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// Limits and switches of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest JSON request body (bytes).
    pub body_limit: usize,
    /// Largest document upload (bytes).
    pub document_limit: usize,
    /// Requests per minute per client address (0 = no limit).
    pub requests_per_minute: u32,
    /// Sign-in attempts per minute per client address.
    pub login_per_minute: u32,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    pub request_timeout: Duration,
    /// When set, tracking webhooks must carry `X-Consign-Signature: sha256=<hex>`, the
    /// HMAC-SHA256 of the raw body under this secret.
    pub webhook_secret: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            body_limit: 1024 * 1024,
            document_limit: consign_app::documents::MAX_DOCUMENT_BYTES + 64 * 1024,
            requests_per_minute: 6_000,
            login_per_minute: 20,
            secure_cookies: false,
            request_timeout: Duration::from_secs(60),
            webhook_secret: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
    pub limiter: Arc<limits::RateLimiter>,
    pub metrics: PrometheusHandle,
    /// Each API route's body limit, as its declaration in `api` names it.
    pub body_limits: Arc<routing::BodyLimits>,
}

/// The process-wide Prometheus recorder (installed once; every router shares it).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed (a host program's); then our
            // counters go there and /metrics shows what this recorder saw.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub fn router(app: App, cfg: WebConfig) -> Router {
    let (api, doc, body_limits) = api::routes().into_parts();
    let state = AppState {
        app,
        cfg: Arc::new(cfg.clone()),
        limiter: Arc::new(limits::RateLimiter::default()),
        metrics: metrics_handle(),
        body_limits: Arc::new(body_limits.with_pages(&dashboard::shipment_actions::BODY_LIMITS)),
    };
    api.merge(openapi::swagger_ui(openapi::document(doc)))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(|State(st): State<AppState>| async move { st.metrics.render() }),
        )
        .merge(dashboard::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            routing::body_limit,
        ))
        .layer(middleware::from_fn(track))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            cfg.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            error::ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                None,
            )
            .into_response()
        }))
        .layer(middleware::from_fn(security::security_headers))
        .with_state(state)
}

async fn readyz(State(st): State<AppState>) -> Response {
    match st.app.readiness().await {
        Ok(engine) => (StatusCode::OK, format!("ready ({engine})")).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}

/// Request counts and latencies per route for `/metrics`, and one log line per request.
async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let secs = start.elapsed().as_secs_f64();
    metrics::counter!("consign_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.clone()).increment(1);
    metrics::histogram!("consign_http_request_seconds", "method" => method.clone(), "route" => route.clone()).record(secs);
    tracing::debug!(%method, %route, %status, ms = secs * 1000.0, "request");
    res
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
