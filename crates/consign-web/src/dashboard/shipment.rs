//! The shipment page: its derived state and milestones, every tracking event with its source
//! and the carrier's raw code, its documents (proof of delivery among them), and the cases
//! opened on it, with the forms to post an event and attach a document for those who may
//! (`shipment_actions`). Reached from the shipment list, a case's subject, and by its id.

use super::{Frame, PathId, TenantPage, Viewer, error_page, local, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use consign_core::access::Capability;
use consign_core::ids::ShipmentId;
use consign_core::tenant::Tenant;
use consign_store::CaseFilter;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/app/{tenant}/shipments/{id}", get(shipment_page))
}

struct EventRow {
    at: String,
    received: String,
    status: String,
    reason: String,
    location: String,
    raw: String,
    source: String,
}

struct DocumentRow {
    kind: &'static str,
    filename: String,
    size: String,
    uploaded: String,
    by: String,
    href: String,
}

struct CaseRow {
    id: String,
    number: String,
    case_type: String,
    status: &'static str,
    opened: String,
}

#[derive(Template)]
#[template(path = "shipment.html")]
struct ShipmentPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    zone: String,
    id: String,
    number: String,
    status: &'static str,
    /// The promise passed without a delivery, or a case is open: the page says so first.
    warning: Option<String>,
    facts: Vec<(&'static str, String)>,
    events: Vec<EventRow>,
    documents: Vec<DocumentRow>,
    cases: Option<Vec<CaseRow>>,
    /// The viewer may post a tracking event / attach a document here.
    can_post_event: bool,
    can_attach: bool,
    can_override: bool,
    statuses: Vec<&'static str>,
    document_kinds: Vec<&'static str>,
    message_id: String,
    /// Now in the tenant's zone, as a `datetime-local` value.
    now_local: String,
    problem: Option<String>,
    done: Option<String>,
}

async fn shipment_page(
    TenantPage {
        st,
        v,
        t,
        path: PathId(id),
    }: TenantPage<PathId<ShipmentId>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // After a form: what it did (carried by the redirect, so a reload does not repeat it).
    let done = q.get("done").map(|d| match d.as_str() {
        "event" => "The event was recorded.".to_string(),
        "document" => "The document was attached.".to_string(),
        "override" => "The override was recorded.".to_string(),
        other => other.replace('_', " "),
    });
    show(&st, v, t, id, None, done).await
}

/// Renders the shipment page, with what the last form did or what was wrong with it.
pub(super) async fn show(
    st: &AppState,
    v: Viewer,
    t: Tenant,
    id: ShipmentId,
    problem: Option<String>,
    done: Option<String>,
) -> Response {
    let p = &v.principal;
    let s = match st.app.get_shipment(p, &t, id).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let (tracked, mut events) = match st.app.shipment_tracking(p, &t, id).await {
        Ok((tracked, events)) => (Some(tracked), events),
        Err(_) => (None, Vec::new()),
    };
    events.sort_by_key(|e| std::cmp::Reverse(e.occurred_at));
    let carrier = super::carrier_of(st, p, &t, s.carrier_id)
        .await
        .map(|c| c.name)
        .unwrap_or_default();
    let documents = st
        .app
        .list_documents(p, &t, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| DocumentRow {
            kind: d.kind.as_str(),
            size: format!("{:.1} kB", d.size_bytes as f64 / 1000.0),
            uploaded: local(Some(d.uploaded_at), &tz),
            by: d.uploaded_by.clone(),
            href: format!(
                "/api/v1/tenants/{}/shipments/{}/documents/{}",
                t.slug, s.id, d.id
            ),
            filename: d.filename,
        })
        .collect();
    // Cases are for those who read them; carriers see their own carrier's.
    let cases = if p.can(Capability::ReadCases) {
        let filter = CaseFilter {
            shipment: Some(id),
            limit: 100,
            ..Default::default()
        };
        st.app.list_cases(p, &t, &filter).await.ok().map(|list| {
            list.into_iter()
                .map(|c| CaseRow {
                    id: c.id.to_string(),
                    number: c.number,
                    case_type: c.case_type.replace('_', " "),
                    status: c.status.as_str(),
                    opened: local(Some(c.opened_at), &tz),
                })
                .collect::<Vec<_>>()
        })
    } else {
        None
    };
    let now = st.app.now();
    let open_cases = cases
        .as_ref()
        .map_or(0, |cs| super::open_count(cs.iter().map(|c| c.status)));
    let late = s.delivered_at.is_none()
        && s.status != consign_core::shipment::ShipmentStatus::Cancelled
        && s.promised_by.is_some_and(|p| p < now);
    let warning = match (late, open_cases) {
        (true, 0) => Some("The promise has passed and it is not delivered.".to_string()),
        (true, n) => Some(format!(
            "The promise has passed and it is not delivered; {n} case(s) open."
        )),
        (false, 0) => None,
        (false, n) => Some(format!("{n} case(s) open on this shipment.")),
    };
    let place = |pl: &consign_core::shipment::Place| {
        format!(
            "{}{}, {} ({})",
            pl.city,
            pl.region
                .as_ref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
            pl.country,
            pl.time_zone
        )
    };
    let mut facts = vec![
        ("Carrier", carrier),
        ("Service", s.service_level.clone()),
        ("Tracking number", s.tracking_number.clone()),
    ];
    // Freight's references; a parcel has neither, and two empty rows would only be noise.
    if let Some(pro) = &s.pro_number {
        facts.push(("PRO number", pro.clone()));
    }
    if let Some(bol) = &s.bol_number {
        facts.push(("Bill of lading", bol.clone()));
    }
    facts.extend([
        ("From", place(&s.origin)),
        ("To", place(&s.destination)),
        (
            "Weight",
            format!("{} kg, {} piece(s)", s.weight_kg, s.pieces),
        ),
        ("Planned pickup", local(s.planned_pickup_at, &tz)),
        ("Picked up", local(s.picked_up_at, &tz)),
        ("Promised by", local(s.promised_by, &tz)),
        ("Delivered", local(s.delivered_at, &tz)),
        (
            "Proof of delivery",
            if s.pod_required {
                "required"
            } else {
                "not required"
            }
            .into(),
        ),
        ("Created", local(Some(s.created_at), &tz)),
    ]);
    if let Some(tr) = &tracked {
        facts.push(("Last carrier scan", local(tr.state.last_event_at, &tz)));
        facts.push(("ETA", local(tr.state.eta, &tz)));
    }
    let statuses = consign_core::shipment::ShipmentStatus::ALL
        .iter()
        .map(|x| x.as_str())
        .collect();
    render(ShipmentPage {
        can_post_event: p.can(Capability::PostEvents),
        can_attach: p.can(Capability::AttachDocuments),
        can_override: p.can(Capability::OverrideShipments),
        statuses,
        document_kinds: consign_core::shipment::DocumentKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect(),
        // A fresh id per page: the event form sent twice is recorded once.
        message_id: format!("dashboard-{}", uuid::Uuid::new_v4()),
        now_local: st
            .app
            .now()
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string(),
        problem,
        done,
        slug: t.slug.clone(),
        tenant_name: t.name.clone(),
        zone: t.time_zone.clone(),
        id: s.id.to_string(),
        number: s.number.clone(),
        status: s.status.as_str(),
        warning,
        facts,
        events: events
            .iter()
            .map(|e| EventRow {
                at: local(Some(e.occurred_at), &tz),
                received: local(Some(e.received_at), &tz),
                status: e.status.map(|x| x.as_str()).unwrap_or("—").into(),
                reason: e.reason.unwrap_or_default().to_string(),
                location: e.location.clone(),
                raw: super::joined(&[&e.raw_code, &e.raw_reason, &e.description]),
                source: e.source.clone(),
            })
            .collect(),
        documents,
        cases,
        frame: v.into(),
    })
}
