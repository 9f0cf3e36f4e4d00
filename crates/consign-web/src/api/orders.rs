//! Order endpoints.

use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::api::{KPI_RECORDS_KEYS, KpiRecordsParams, ListQuery, Page, PageParams, TenantSlug};
use crate::error::{ApiError, ApiResult, created_one};
use crate::openapi_schemas::page_schema;
use crate::routing::ApiRoutes;
use axum::Json;
use axum::extract::Query;
use consign_app::orders::OnDuplicate;
use consign_core::ids::OrderId;
use consign_core::order::{ChangeRequest, NewOrder, Order, OrderChange, OrderStatus};
use consign_store::OrderFilter;
use std::collections::HashMap;
use utoipa_axum::routes;

page_schema!(OrderPage => Order, OrderChangePage => OrderChange);

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(changes, change))
        .routes(routes!(release))
}

fn order_id(s: &str) -> Result<OrderId, ApiError> {
    // A malformed id cannot name anything: answer as for a missing order.
    s.parse()
        .map_err(|_| ApiError::not_found(&format!("order {s}")))
}

/// Orders, newest first; filters status, from, to, q; cursor pagination
#[utoipa::path(
    get,
    path = "/orders",
    operation_id = "get_orders",
    params(
        TenantSlug,
        ("status" = Option<String>, Query, description = "Only orders in this status"),
        ("from" = Option<String>, Query, description = "Ordered at or after: RFC 3339 timestamp or YYYY-MM-DD (UTC)"),
        ("to" = Option<String>, Query, description = "Ordered before: RFC 3339 timestamp or YYYY-MM-DD (UTC)"),
        ("q" = Option<String>, Query, description = "An exact order number or external reference, or the start of an external reference"),
        KpiRecordsParams,
        PageParams,
    ),
    responses((status = 200, description = "A page of orders", body = OrderPage))
)]
pub async fn list(
    Tenanted { st, p, t, .. }: Tenanted,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Order>>> {
    let mut q = ListQuery::new(
        q,
        &[&["status", "from", "to", "q"][..], &KPI_RECORDS_KEYS].concat(),
    );
    let records = crate::api::records_query(&mut q)?;
    let mut filter = OrderFilter {
        status: q.parse("status", OrderStatus::parse),
        ordered_from: q.time("from"),
        ordered_to: q.time("to"),
        q: q.text("q"),
        limit: q.limit(),
        after: q.cursor(),
        kpi: None,
    };
    q.finish()?;
    if let Some(r) = records {
        filter.kpi = Some(st.app.kpi_records(&p, &t, &r, true).await?);
    }
    let items = st.app.list_orders(&p, &t, &filter).await?;
    Ok(Json(Page::limited(items, filter.limit, |o| o.id)))
}

/// Create an order (honours Idempotency-Key)
#[utoipa::path(
    post,
    path = "/orders",
    operation_id = "post_orders",
    params(TenantSlug),
    request_body = NewOrder,
    responses((status = 201, description = "The order as created", body = Order))
)]
pub async fn create(
    TenantedJson { st, p, t, body, .. }: TenantedJson<NewOrder>,
) -> ApiResult<Created<Order>> {
    let batch = st
        .app
        .create_orders(&p, &t, vec![body], OnDuplicate::Reject, &|_| {})
        .await;
    Ok(created(created_one(batch)?))
}

/// One order
#[utoipa::path(
    get,
    path = "/orders/{id}",
    operation_id = "get_orders__id_",
    params(TenantSlug, ("id" = String, Path, description = "The order's id")),
    responses((status = 200, description = "The order", body = Order))
)]
pub async fn get(Tenanted { st, p, t, path: id }: Tenanted<String>) -> ApiResult<Json<Order>> {
    Ok(Json(st.app.get_order(&p, &t, order_id(&id)?).await?))
}

/// The order's change requests
#[utoipa::path(
    get,
    path = "/orders/{id}/changes",
    operation_id = "get_orders__id__changes",
    params(TenantSlug, ("id" = String, Path, description = "The order's id")),
    responses((status = 200, description = "Every change request of the order (one page)", body = OrderChangePage))
)]
pub async fn changes(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
) -> ApiResult<Json<Page<OrderChange>>> {
    Ok(Json(Page::whole(
        st.app.order_changes(&p, &t, order_id(&id)?).await?,
    )))
}

/// Request an address change, cancellation or promise change (only before anything ships)
#[utoipa::path(
    post,
    path = "/orders/{id}/changes",
    operation_id = "post_orders__id__changes",
    params(TenantSlug, ("id" = String, Path, description = "The order's id")),
    request_body = ChangeRequest,
    responses((status = 200, description = "The order with the change applied", body = Order))
)]
pub async fn change(
    TenantedJson {
        st,
        p,
        t,
        body,
        path: id,
    }: TenantedJson<ChangeRequest, String>,
) -> ApiResult<Json<Order>> {
    Ok(Json(
        st.app.change_order(&p, &t, order_id(&id)?, body).await?,
    ))
}

/// Release a received order for fulfilment
#[utoipa::path(
    post,
    path = "/orders/{id}/release",
    operation_id = "post_orders__id__release",
    params(TenantSlug, ("id" = String, Path, description = "The order's id")),
    responses((status = 200, description = "The order, released", body = Order))
)]
pub async fn release(Tenanted { st, p, t, path: id }: Tenanted<String>) -> ApiResult<Json<Order>> {
    Ok(Json(st.app.release_order(&p, &t, order_id(&id)?).await?))
}
