//! The tenant's order and shipment lists: search, status filter, the records behind a
//! scorecard figure, a count of all that match, and a pager.

use super::viewer::{Frame, TenantPage, Viewer};
use super::{error_page, local, pager, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use consign_core::order::OrderStatus;
use consign_core::shipment::ShipmentStatus;
use consign_core::tenant::Tenant;
use consign_store::{OrderFilter, ShipmentFilter};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/orders", get(orders))
        .route("/app/{tenant}/shipments", get(shipments))
}

struct OrderRow {
    id: String,
    number: String,
    external_ref: String,
    customer: String,
    ship_to: String,
    channel: &'static str,
    lines: usize,
    total: String,
    ordered_at: String,
    promised_by: String,
    status: &'static str,
    /// The promise passed before the order was delivered.
    late: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    q: String,
    status: String,
    statuses: Vec<String>,
    rows: Vec<OrderRow>,
    pager: pager::Pager,
    kpi_label: Option<String>,
}

/// What every tenant list page starts from: the viewer, the tenant (404 outside their reach),
/// its time zone, the search and status filter from the query string, and the scorecard
/// figure whose records the list is narrowed to (its `kpi…` parameters), if any.
struct ListPage {
    st: AppState,
    v: Viewer,
    t: Tenant,
    tz: jiff::tz::TimeZone,
    text: String,
    status: String,
    kpi: Option<consign_core::kpi::records::RecordFilter>,
    /// The `kpi…` parameters again, for the pager's links, and the narrowing in words.
    kpi_query: String,
    kpi_label: Option<String>,
}

/// The `kpi…` parameters again, for the pager's link, and the banner that says what the
/// list holds.
fn records_view(r: &Option<consign_app::kpis::RecordsQuery>) -> (String, Option<String>) {
    let Some(r) = r else {
        return (String::new(), None);
    };
    let mut q = format!("&kpi={}", query_value(&r.figure));
    let mut label = format!("The records behind {}", r.figure.replace('_', " "));
    if let Some(k) = &r.key {
        q.push_str(&format!("&kpi_key={}", query_value(k)));
        label.push_str(&format!(" ({k})"));
    }
    if let Some(o) = &r.outcome {
        q.push_str(&format!("&kpi_outcome={}", query_value(o)));
        label.push_str(match o.as_str() {
            "hit" => ", the ones it counted as met",
            _ => ", the ones it counted as missed",
        });
    }
    if let Some(p) = &r.period {
        q.push_str(&format!("&kpi_period={}", query_value(p)));
        label.push_str(&format!(" in {p}"));
    }
    (q, Some(label))
}

/// Opens a tenant list page; `orders` says whose records a scorecard figure narrows to.
async fn list_page(
    TenantPage { st, v, t, .. }: TenantPage,
    q: &HashMap<String, String>,
    orders: bool,
) -> Result<ListPage, Response> {
    let tz = jiff::tz::TimeZone::get(&t.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let records = q.get("kpi").map(|figure| consign_app::kpis::RecordsQuery {
        figure: figure.clone(),
        period: q.get("kpi_period").cloned(),
        outcome: q.get("kpi_outcome").cloned(),
        key: q.get("kpi_key").cloned(),
    });
    let kpi = match &records {
        Some(r) => Some(
            st.app
                .kpi_records(&v.principal, &t, r, orders)
                .await
                .map_err(error_page)?,
        ),
        None => None,
    };
    let (kpi_query, kpi_label) = records_view(&records);
    Ok(ListPage {
        st,
        v,
        t,
        tz,
        text: q.get("q").cloned().unwrap_or_default(),
        status: q.get("status").cloned().unwrap_or_default(),
        kpi,
        kpi_query,
        kpi_label,
    })
}

impl ListPage {
    /// One page of the list and how many match in all, read side by side.
    async fn rows_and_total<T>(
        list: impl Future<Output = consign_app::AppResult<Vec<T>>>,
        total: impl Future<Output = consign_app::AppResult<u64>>,
    ) -> Result<(Vec<T>, u64), Response> {
        match tokio::join!(list, total) {
            (Ok(l), Ok(n)) => Ok((l, n)),
            (Err(e), _) | (_, Err(e)) => Err(error_page(e)),
        }
    }

    /// The pager under the list, its links keeping the search, the filter and the figure.
    fn pager<T, K: ToString>(
        &self,
        q: &HashMap<String, String>,
        list: &[T],
        limit: u32,
        total: u64,
        key: impl Fn(&T) -> K,
    ) -> pager::Pager {
        let next_cursor = consign_store::next_cursor(list, limit, key);
        let shown = list.len();
        let base = format!(
            "?q={}&status={}{}",
            query_value(&self.text),
            query_value(&self.status),
            self.kpi_query
        );
        pager::Pager::new(q, &base, shown, limit, total, next_cursor)
    }
}

async fn orders(
    page: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let mut page = list_page(page, &q, true).await?;
    let kpi = page.kpi.take();
    let ListPage { st, v, t, .. } = &page;
    let filter = OrderFilter {
        kpi,
        status: OrderStatus::parse(&page.status).ok(),
        q: Some(page.text.clone()).filter(|s| !s.is_empty()),
        after: q.get("cursor").and_then(|c| c.parse().ok()),
        limit: 50,
        ..Default::default()
    };
    let (list, total) = ListPage::rows_and_total(
        st.app.list_orders(&v.principal, t, &filter),
        st.app.count_orders_matching(&v.principal, t, &filter),
    )
    .await?;
    let pager = page.pager(&q, &list, filter.limit, total, |o| o.id);
    let now = st.app.now();
    let rows = list
        .into_iter()
        .map(|o| OrderRow {
            late: !matches!(o.status, OrderStatus::Delivered | OrderStatus::Cancelled)
                && o.promised_by.is_some_and(|p| p < now),
            id: o.id.to_string(),
            total: format!("{} {}", o.total().round_dp(2), o.currency),
            number: o.number,
            external_ref: o.external_ref,
            customer: o.customer.name,
            ship_to: format!(
                "{}, {} {}",
                o.ship_to.city,
                o.ship_to.region.unwrap_or_default(),
                o.ship_to.country
            ),
            channel: o.channel.as_str(),
            lines: o.lines.len(),
            ordered_at: local(Some(o.ordered_at), &page.tz),
            promised_by: local(o.promised_by, &page.tz),
            status: o.status.as_str(),
        })
        .collect();
    let ListPage {
        v,
        t,
        text,
        status,
        kpi_label,
        ..
    } = page;
    Ok(render(OrdersPage {
        frame: v.into(),
        slug: t.slug,
        tenant_name: t.name,
        q: text,
        status,
        statuses: OrderStatus::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        rows,
        pager,
        kpi_label,
    }))
}

struct ShipmentRow {
    id: String,
    number: String,
    carrier: String,
    service: String,
    tracking: String,
    origin: String,
    destination: String,
    weight: String,
    promised_by: String,
    delivered_at: String,
    status: &'static str,
    /// What makes the row a problem, in words (an open case, a promise passed), if anything.
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "shipments.html")]
struct ShipmentsPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    q: String,
    status: String,
    statuses: Vec<String>,
    rows: Vec<ShipmentRow>,
    pager: pager::Pager,
    kpi_label: Option<String>,
}

async fn shipments(
    page: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let mut page = list_page(page, &q, false).await?;
    let kpi = page.kpi.take();
    let ListPage { st, v, t, .. } = &page;
    let filter = ShipmentFilter {
        kpi,
        status: ShipmentStatus::parse(&page.status).ok(),
        q: Some(page.text.clone()).filter(|s| !s.is_empty()),
        after: q.get("cursor").and_then(|c| c.parse().ok()),
        limit: 50,
        ..Default::default()
    };
    let (list, total) = ListPage::rows_and_total(
        st.app.list_shipments(&v.principal, t, &filter),
        st.app.count_shipments_matching(&v.principal, t, &filter),
    )
    .await?;
    let carriers: HashMap<_, _> = st
        .app
        .list_carriers(&v.principal, t)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.id, c.scac.unwrap_or(c.name)))
        .collect();
    let pager = page.pager(&q, &list, filter.limit, total, |s| s.id);
    let place = |p: &consign_core::shipment::Place| format!("{} {}", p.city, p.country);
    // The page's shipments with an open case: one read for the rows shown.
    let mut open_cases: HashMap<consign_core::ids::ShipmentId, usize> = HashMap::new();
    if v.principal.can(consign_core::access::Capability::ReadCases) && !list.is_empty() {
        let filter = consign_store::CaseFilter {
            shipments: Some(list.iter().map(|s| s.id).collect()),
            open_only: true,
            limit: 1000,
            ..Default::default()
        };
        for c in st
            .app
            .list_cases(&v.principal, t, &filter)
            .await
            .unwrap_or_default()
        {
            if let Some(s) = c.shipment_id() {
                *open_cases.entry(s).or_default() += 1;
            }
        }
    }
    let now = st.app.now();
    let rows = list
        .into_iter()
        .map(|s| ShipmentRow {
            problem: {
                let late = s.delivered_at.is_none()
                    && !s.status.is_terminal()
                    && s.promised_by.is_some_and(|p| p < now);
                match (open_cases.get(&s.id), late) {
                    (Some(n), true) => Some(format!("{n} open case(s), promise passed")),
                    (Some(n), false) => Some(format!("{n} open case(s)")),
                    (None, true) => Some("promise passed".into()),
                    (None, false) => None,
                }
            },
            id: s.id.to_string(),
            carrier: carriers.get(&s.carrier_id).cloned().unwrap_or_default(),
            origin: place(&s.origin),
            destination: place(&s.destination),
            weight: s.weight_kg.to_string(),
            promised_by: local(s.promised_by, &page.tz),
            delivered_at: local(s.delivered_at, &page.tz),
            status: s.status.as_str(),
            number: s.number,
            service: s.service_level,
            tracking: match (&s.pro_number, &s.bol_number) {
                (Some(p), _) if *p != s.tracking_number => {
                    format!("{} · PRO {p}", s.tracking_number)
                }
                _ => s.tracking_number,
            },
        })
        .collect();
    let ListPage {
        v,
        t,
        text,
        status,
        kpi_label,
        ..
    } = page;
    Ok(render(ShipmentsPage {
        frame: v.into(),
        slug: t.slug,
        tenant_name: t.name,
        q: text,
        status,
        statuses: ShipmentStatus::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        rows,
        pager,
        kpi_label,
    }))
}
