//! Tracking and case endpoints: batch event intake, the webhook adapters, a shipment's events
//! and derived state, data quality (orphans, unmapped codes), cases, and the tenant rulebook.

use crate::AppState;
use crate::api::{ListQuery, Page};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use consign_app::AppError;
use consign_app::tracking::{IngestOutcome, crosswalks};
use consign_core::FieldError;
use consign_core::case::{Case, CaseStatus, Severity, TimelineEntry};
use consign_core::ids::{CaseId, PartnerId, ShipmentId};
use consign_core::tracking::{NewTrackingEvent, TrackingEvent};
use consign_store::{CaseFilter, TrackingQuality};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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

pub async fn post_events(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<EventBatch>,
) -> ApiResult<Json<IngestOutcome>> {
    let t = st.app.tenant_for(&p, &slug).await?;
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

/// Webhook intake for the JSON tracking vocabularies. `?carrier=SCAC` names the carrier when
/// the payload's own carrier field is a slug Consign does not know.
pub async fn webhook(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, format)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<IngestOutcome>> {
    let t = st.app.tenant_for(&p, &slug).await?;
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

pub async fn shipment_tracking(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<TrackingView>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let id: ShipmentId = id
        .parse()
        .map_err(|_| ApiError::not_found(&format!("shipment {id}")))?;
    let (s, events) = st.app.shipment_tracking(&p, &t, id).await?;
    let open_cases = if p.can(consign_core::access::Capability::ReadCases) {
        st.app
            .list_cases(
                &p,
                &t,
                &CaseFilter {
                    shipment: Some(id),
                    // Only the open ones: resolved cases are on `GET …/cases?shipment=`.
                    status: Some(CaseStatus::Open),
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

pub async fn quality(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<TrackingQuality>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    // Tenant-wide figures (every carrier's orphans and codes): not for carrier identities.
    consign_app::require(&p, consign_core::access::Capability::ReadCases)?;
    Ok(Json(
        st.app
            .store
            .tracking_quality(t.id)
            .await
            .map_err(AppError::from)?,
    ))
}

pub async fn list_cases(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Case>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let mut q = ListQuery::new(
        q,
        &[
            "type",
            "status",
            "severity",
            "carrier",
            "accountable",
            "from",
            "to",
            "shipment",
            "partner",
        ],
    );
    let carrier_name = q.text("carrier");
    let mut filter = CaseFilter {
        case_type: q.text("type"),
        status: q.parse("status", CaseStatus::parse),
        severity: q.parse("severity", Severity::parse),
        accountable: q.text("accountable"),
        shipment: q.parse("shipment", |s| {
            s.parse::<ShipmentId>()
                .map_err(|_| format!("'{s}' is not a shipment id"))
        }),
        partner: q.parse("partner", |s| {
            s.parse::<PartnerId>()
                .map_err(|_| format!("'{s}' is not a trading partner id"))
        }),
        opened_from: q.time("from"),
        opened_to: q.time("to"),
        limit: q.limit(),
        after: q.cursor(),
        ..Default::default()
    };
    q.finish()?;
    if let Some(c) = carrier_name {
        filter.carrier = Some(crate::api::carrier_filter(&st, &p, &t, &c).await?);
    }
    let items = st.app.list_cases(&p, &t, &filter).await?;
    let next_cursor = consign_store::next_cursor(&items, filter.limit, |c| c.id);
    Ok(Json(Page { items, next_cursor }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    pub timeline: Vec<TimelineEntry>,
}

pub async fn get_case(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<CaseView>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let id: CaseId = id
        .parse()
        .map_err(|_| ApiError::not_found(&format!("case {id}")))?;
    let (case, timeline) = st.app.get_case(&p, &t, id).await?;
    Ok(Json(CaseView { case, timeline }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RulebookView {
    /// 0 for the shipped default.
    pub version: i64,
    pub name: String,
    pub source: String,
}

pub async fn get_rulebook(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<RulebookView>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    consign_app::require(&p, consign_core::access::Capability::ReadCases)?;
    let stored = st.app.store.rulebook(t.id).await.map_err(AppError::from)?;
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

/// Stores a new rulebook version: the body is the TOML text.
pub async fn put_rulebook(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<RulebookView>)> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let body = body.map_err(|_| crate::json::too_large())?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::field("body", format!("not UTF-8: {e}")))?;
    let r = st.app.set_rulebook(&p, &t, text).await?;
    Ok((
        StatusCode::CREATED,
        Json(RulebookView {
            version: r.version,
            name: r.name,
            source: r.source,
        }),
    ))
}
