//! Tracking endpoints: batch event intake, the webhook adapters, a shipment's events and
//! derived state, data quality (orphans, unmapped codes), and the tenant rulebook.

use crate::api::TenantSlug;
use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::error::{ApiError, ApiResult};
use crate::openapi_schemas::TrackingQuality as TrackingQualitySchema;
use crate::routing::{ApiRoutes, BodyLimit};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::HeaderMap;
use consign_app::AppError;
use consign_app::tracking::{IngestOutcome, crosswalks};
use consign_core::FieldError;
use consign_core::case::Case;
use consign_core::ids::ShipmentId;
use consign_core::tracking::{NewTrackingEvent, ShipmentOverride, TrackingEvent};
use consign_store::{CaseFilter, TrackingQuality};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa_axum::routes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .limited(BodyLimit::Events, routes!(post_events))
        .limited(BodyLimit::Events, routes!(webhook))
        .routes(routes!(shipment_tracking))
        .routes(routes!(override_shipment))
        .routes(routes!(quality))
        .routes(routes!(get_rulebook, put_rulebook))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    pub events: Vec<NewTrackingEvent>,
}

/// Batch problems keep their own item paths (`events[3].status`).
fn items_error(e: AppError) -> ApiError {
    match e {
        AppError::InvalidItems(items) => ApiError::invalid(
            items
                .into_iter()
                .flat_map(|(_, inv)| inv.errors)
                .collect::<Vec<FieldError>>(),
        ),
        other => other.into(),
    }
}

/// Ingest up to 10,000 canonical tracking events; a result per item (accepted, duplicate, orphan) after the durable commit
///
/// Any invalid item refuses the whole batch, with `events[i].field` errors.
#[utoipa::path(
    post,
    path = "/tracking-events",
    operation_id = "post_tracking-events",
    params(TenantSlug),
    request_body = EventBatch,
    responses((status = 200, description = "One result per event, in order, once they are durable", body = IngestOutcome))
)]
pub async fn post_events(
    TenantedJson { st, p, t, body, .. }: TenantedJson<EventBatch>,
) -> ApiResult<Json<IngestOutcome>> {
    if body.events.len() > consign_app::tracking::MAX_EVENTS_PER_REQUEST {
        return Err(ApiError::field(
            "events",
            format!(
                "{} events in one request; at most {}",
                body.events.len(),
                consign_app::tracking::MAX_EVENTS_PER_REQUEST
            ),
        ));
    }
    let mut inv = consign_core::Invalid::default();
    let mut items = Vec::with_capacity(body.events.len());
    for (i, e) in body.events.into_iter().enumerate() {
        let prefix = format!("events[{i}]");
        if let Some(m) = e.into_mapped(&prefix, &mut inv) {
            items.push((prefix, m));
        }
    }
    if !inv.is_empty() {
        return Err(ApiError::invalid(inv.errors));
    }
    let out = st
        .app
        .ingest_events(&p, &t, "api", items)
        .await
        .map_err(items_error)?;
    Ok(Json(out))
}

/// Tracking webhook (format open_source_12 or tracking_saas); X-Consign-Signature HMAC when a secret is configured
///
/// The body is the vocabulary's own JSON payload. When the server has a webhook secret, the
/// request must carry `X-Consign-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body.
#[utoipa::path(
    post,
    path = "/webhooks/{format}",
    operation_id = "post_webhooks__format_",
    params(
        TenantSlug,
        ("format" = String, Path, description = "The payload's vocabulary: open_source_12 or tracking_saas"),
        ("carrier" = Option<String>, Query, description = "The carrier's SCAC, when the payload names the carrier by a slug Consign does not know"),
    ),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, description = "One result per event, in order, once they are durable", body = IngestOutcome))
)]
pub async fn webhook(
    Tenanted {
        st,
        p,
        t,
        path: format,
    }: Tenanted<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<IngestOutcome>> {
    let body = body.map_err(|_| crate::json::too_large())?;
    if let Some(secret) = &st.cfg.webhook_secret {
        let sig = headers
            .get("x-consign-signature")
            .and_then(|v| v.to_str().ok());
        consign_app::webhooks::verify_signature(secret.as_bytes(), &body, sig)
            .map_err(|e| ApiError::unauthenticated(&format!("webhook signature: {e}")))?;
    }
    let items = consign_app::webhooks::parse(
        &format,
        &body,
        q.get("carrier").map(String::as_str),
        crosswalks(),
        st.app.now(),
    )
    .map_err(|e| {
        if e.errors.iter().any(|f| f.field == "format") {
            ApiError::not_found(&format!("webhook format '{format}'"))
        } else {
            ApiError::invalid(e.errors)
        }
    })?;
    let out = st
        .app
        .ingest_events(&p, &t, &format!("webhook:{format}"), items)
        .await
        .map_err(items_error)?;
    Ok(Json(out))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrackingView {
    pub shipment_id: ShipmentId,
    pub status: String,
    pub status_at: Option<jiff::Timestamp>,
    pub reason: Option<String>,
    pub accountable: Option<String>,
    pub eta: Option<jiff::Timestamp>,
    pub promised_by: Option<jiff::Timestamp>,
    pub last_event_at: Option<jiff::Timestamp>,
    pub picked_up_at: Option<jiff::Timestamp>,
    pub delivered_at: Option<jiff::Timestamp>,
    pub next_check_at: Option<jiff::Timestamp>,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<TrackingEvent>,
    pub open_cases: Vec<Case>,
}

/// A shipment's events, derived state and open cases
#[utoipa::path(
    get,
    path = "/shipments/{id}/tracking",
    operation_id = "get_shipments__id__tracking",
    params(TenantSlug, ("id" = String, Path, description = "The shipment's id")),
    responses((status = 200, description = "The shipment's tracking; `open_cases` only for callers who may read cases", body = TrackingView))
)]
pub async fn shipment_tracking(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
) -> ApiResult<Json<TrackingView>> {
    let id = shipment_id(&id)?;
    let (s, events) = st.app.shipment_tracking(&p, &t, id).await?;
    tracking_view(&st, &p, &t, s, events).await
}

fn shipment_id(id: &str) -> ApiResult<ShipmentId> {
    id.parse()
        .map_err(|_| ApiError::not_found(&format!("shipment {id}")))
}

/// Set a shipment's status or promised date by hand, with a reason
///
/// Recorded as a manual event (`source: manual`) in the shipment's history and audited; the
/// rulebook judges the shipment at once. Allowed after the shipment has left. A status dated
/// before the latest scan is recorded but does not replace it (the latest occurrence wins).
#[utoipa::path(
    post,
    path = "/shipments/{id}/overrides",
    operation_id = "post_shipments__id__overrides",
    params(TenantSlug, ("id" = String, Path, description = "The shipment's id")),
    request_body = ShipmentOverride,
    responses((status = 200, description = "The shipment's tracking after the override", body = TrackingView))
)]
pub async fn override_shipment(
    TenantedJson {
        st,
        p,
        t,
        body,
        path: id,
    }: TenantedJson<ShipmentOverride, String>,
) -> ApiResult<Json<TrackingView>> {
    let (s, events) = st
        .app
        .override_shipment(&p, &t, shipment_id(&id)?, body)
        .await?;
    tracking_view(&st, &p, &t, s, events).await
}

async fn tracking_view(
    st: &crate::AppState,
    p: &consign_core::access::Principal,
    t: &consign_core::tenant::Tenant,
    s: consign_core::tracking::TrackedShipment,
    events: Vec<TrackingEvent>,
) -> ApiResult<Json<TrackingView>> {
    let id = s.id;
    let open_cases = if p.can(consign_core::access::Capability::ReadCases) {
        st.app
            .list_cases(
                p,
                t,
                &CaseFilter {
                    shipment: Some(id),
                    // Only the open ones: resolved cases are on `GET …/cases?shipment=`.
                    open_only: true,
                    limit: 100,
                    ..Default::default()
                },
            )
            .await?
    } else {
        vec![]
    };
    Ok(Json(TrackingView {
        shipment_id: s.id,
        status: s.state.status.as_str().into(),
        status_at: s.state.status_at,
        reason: s.state.reason.map(String::from),
        accountable: s.state.accountable.map(|a| a.as_str().to_string()),
        eta: s.state.eta,
        promised_by: s.promised_by,
        last_event_at: s.state.last_event_at,
        picked_up_at: s.state.picked_up_at,
        delivered_at: s.state.delivered_at,
        next_check_at: s.next_check_at,
        events,
        open_cases,
    }))
}

/// Tracking data quality: events, orphans, unmapped codes per source
#[utoipa::path(
    get,
    path = "/tracking/quality",
    operation_id = "get_tracking_quality",
    params(TenantSlug),
    responses((status = 200, description = "The tenant's tracking data quality", body = TrackingQualitySchema))
)]
pub async fn quality(Tenanted { st, p, t, .. }: Tenanted) -> ApiResult<Json<TrackingQuality>> {
    Ok(Json(st.app.tracking_quality(&p, &t).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RulebookView {
    /// 0 for the shipped default.
    pub version: i64,
    pub name: String,
    pub source: String,
}

/// The rulebook in force (version 0 is the shipped default)
#[utoipa::path(
    get,
    path = "/rulebook",
    operation_id = "get_rulebook",
    params(TenantSlug),
    responses((status = 200, description = "The rulebook's version, name and TOML source", body = RulebookView))
)]
pub async fn get_rulebook(Tenanted { st, p, t, .. }: Tenanted) -> ApiResult<Json<RulebookView>> {
    let stored = st.app.rulebook(&p, &t).await?;
    Ok(Json(match stored {
        Some(r) => RulebookView {
            version: r.version,
            name: r.name,
            source: r.source,
        },
        None => RulebookView {
            version: 0,
            name: consign_core::rules::Rulebook::default_rulebook().name,
            source: consign_core::rules::DEFAULT_RULEBOOK.into(),
        },
    }))
}

/// Store a new rulebook version (TOML body); refused with every problem when invalid
#[utoipa::path(
    put,
    path = "/rulebook",
    operation_id = "put_rulebook",
    params(TenantSlug),
    request_body(content = String, content_type = "application/toml"),
    responses((status = 201, description = "The new version, now in force", body = RulebookView))
)]
pub async fn put_rulebook(
    Tenanted { st, p, t, .. }: Tenanted,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Created<RulebookView>> {
    let body = body.map_err(|_| crate::json::too_large())?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::field("body", format!("not UTF-8: {e}")))?;
    let r = st.app.set_rulebook(&p, &t, text).await?;
    Ok(created(RulebookView {
        version: r.version,
        name: r.name,
        source: r.source,
    }))
}
