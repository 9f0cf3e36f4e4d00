//! The order page: who ordered what and where it goes, each line with what has shipped of
//! it, the order's shipments with their state, the change requests it has had, and the cases
//! opened on its shipments. Reached from the order list and the search box.

use super::{Frame, PathId, TenantPage, Viewer, error_page, local, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use consign_core::access::Capability;
use consign_core::ids::OrderId;
use consign_core::shipment::ShipmentStatus;
use consign_core::tenant::Tenant;
use consign_store::{CaseFilter, ShipmentFilter};
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/app/{tenant}/orders/{id}", get(order_page))
}

struct LineRow {
    line_no: u32,
    sku: String,
    description: String,
    ordered: u32,
    shipped: u32,
    open: u32,
    price: String,
}

struct ShipmentRow {
    id: String,
    number: String,
    carrier: String,
    tracking: String,
    status: &'static str,
    promised_by: String,
    delivered_at: String,
}

struct ChangeRow {
    at: String,
    kind: String,
    reason: String,
    actor: String,
}

struct CaseRow {
    id: String,
    number: String,
    case_type: String,
    status: &'static str,
    shipment: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    zone: String,
    number: String,
    status: &'static str,
    /// The promise passed and not everything is delivered, or a case is open.
    warning: Option<String>,
    facts: Vec<(&'static str, String)>,
    lines: Vec<LineRow>,
    shipments: Vec<ShipmentRow>,
    changes: Vec<ChangeRow>,
    cases: Option<Vec<CaseRow>>,
}

async fn order_page(
    TenantPage {
        st,
        v,
        t,
        path: PathId(id),
    }: TenantPage<PathId<OrderId>>,
) -> Response {
    show(&st, v, t, id).await
}

async fn show(st: &AppState, v: Viewer, t: Tenant, id: OrderId) -> Response {
    let p = &v.principal;
    let o = match st.app.get_order(p, &t, id).await {
        Ok(o) => o,
        Err(e) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let shipments = if p.can(Capability::ReadShipments) {
        let filter = ShipmentFilter {
            order: Some(id),
            limit: 200,
            ..Default::default()
        };
        st.app
            .list_shipments(p, &t, &filter)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let changes = st.app.order_changes(p, &t, id).await.unwrap_or_default();
    let carriers: HashMap<_, _> = st
        .app
        .list_carriers(p, &t)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    // What has shipped of each line: its quantities on the shipments not cancelled.
    let mut shipped: HashMap<u32, u32> = HashMap::new();
    for s in shipments
        .iter()
        .filter(|s| s.status != ShipmentStatus::Cancelled)
    {
        for l in &s.lines {
            *shipped.entry(l.line_no).or_default() += l.quantity;
        }
    }
    let cases = if p.can(Capability::ReadCases) {
        let mut rows = Vec::new();
        for s in &shipments {
            let filter = CaseFilter {
                shipment: Some(s.id),
                limit: 50,
                ..Default::default()
            };
            for c in st.app.list_cases(p, &t, &filter).await.unwrap_or_default() {
                rows.push(CaseRow {
                    id: c.id.to_string(),
                    number: c.number,
                    case_type: c.case_type.replace('_', " "),
                    status: c.status.as_str(),
                    shipment: s.number.clone(),
                });
            }
        }
        Some(rows)
    } else {
        None
    };
    let now = st.app.now();
    let open_cases = cases
        .as_ref()
        .map_or(0, |cs| super::open_count(cs.iter().map(|c| c.status)));
    let late = !matches!(
        o.status,
        consign_core::order::OrderStatus::Cancelled | consign_core::order::OrderStatus::Delivered
    ) && o.promised_by.is_some_and(|p| p < now);
    let warning = match (late, open_cases) {
        (true, 0) => Some("The promise has passed and the order is not delivered.".to_string()),
        (true, n) => Some(format!(
            "The promise has passed and the order is not delivered; {n} case(s) open."
        )),
        (false, 0) => None,
        (false, n) => Some(format!("{n} case(s) open on this order's shipments.")),
    };
    let a = &o.ship_to;
    let facts = vec![
        ("Client's reference", o.external_ref.clone()),
        (
            "Customer",
            match &o.customer.email {
                Some(e) => format!("{} <{e}>", o.customer.name),
                None => o.customer.name.clone(),
            },
        ),
        (
            "Ship to",
            // Name, street, then "City, Region Postcode, Country", as labels read.
            format!(
                "{}, {}{}, {}{} {}, {}",
                a.name,
                a.line1,
                a.line2
                    .as_ref()
                    .map(|l| format!(", {l}"))
                    .unwrap_or_default(),
                a.city,
                a.region
                    .as_ref()
                    .map(|r| format!(", {r}"))
                    .unwrap_or_default(),
                a.postal_code,
                a.country
            ),
        ),
        ("Channel", o.channel.as_str().to_string()),
        ("Total", format!("{} {}", o.total().round_dp(2), o.currency)),
        ("Ordered", local(Some(o.ordered_at), &tz)),
        ("Promised by", local(o.promised_by, &tz)),
        ("Last changed", local(Some(o.updated_at), &tz)),
    ];
    render(OrderPage {
        slug: t.slug.clone(),
        tenant_name: t.name.clone(),
        zone: t.time_zone.clone(),
        number: o.number.clone(),
        status: o.status.as_str(),
        warning,
        facts,
        lines: o
            .lines
            .iter()
            .map(|l| {
                let done = shipped.get(&l.line_no).copied().unwrap_or(0);
                LineRow {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    description: l.description.clone(),
                    ordered: l.quantity,
                    shipped: done,
                    open: l.quantity.saturating_sub(done),
                    price: format!("{} {}", l.unit_price.round_dp(2), o.currency),
                }
            })
            .collect(),
        shipments: shipments
            .iter()
            .map(|s| ShipmentRow {
                id: s.id.to_string(),
                number: s.number.clone(),
                carrier: carriers.get(&s.carrier_id).cloned().unwrap_or_default(),
                tracking: s.tracking_number.clone(),
                status: s.status.as_str(),
                promised_by: local(s.promised_by, &tz),
                delivered_at: local(s.delivered_at, &tz),
            })
            .collect(),
        changes: changes
            .iter()
            .map(|c| ChangeRow {
                at: local(Some(c.at), &tz),
                kind: c.kind.replace('_', " "),
                reason: c.reason.clone(),
                actor: c.actor.clone(),
            })
            .collect(),
        cases,
        frame: v.into(),
    })
}
