//! Order endpoints.

use crate::AppState;
use crate::api::{ListQuery, Page};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, single};
use crate::json::ApiJson;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use consign_app::orders::OnDuplicate;
use consign_core::ids::OrderId;
use consign_core::order::{ChangeRequest, NewOrder, Order, OrderChange, OrderStatus};
use consign_store::OrderFilter;
use std::collections::HashMap;

fn order_id(s: &str) -> Result<OrderId, ApiError> {
    // A malformed id cannot name anything: answer as for a missing order.
    s.parse()
        .map_err(|_| ApiError::not_found(&format!("order {s}")))
}

pub async fn list(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Order>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let mut q = ListQuery::new(q, &["status", "from", "to", "q"]);
    let filter = OrderFilter {
        status: q.parse("status", OrderStatus::parse),
        ordered_from: q.time("from"),
        ordered_to: q.time("to"),
        q: q.text("q"),
        limit: q.limit(),
        after: q.cursor(),
    };
    q.finish()?;
    let items = st.app.list_orders(&p, &t, &filter).await?;
    let next_cursor = consign_store::next_cursor(&items, filter.limit, |o| o.id);
    Ok(Json(Page { items, next_cursor }))
}

pub async fn create(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewOrder>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let mut out = st
        .app
        .create_orders(&p, &t, vec![body], OnDuplicate::Reject, &|_| {})
        .await
        .map_err(single)?;
    let order = out
        .created
        .pop()
        .ok_or_else(|| ApiError::bad_request("nothing was created"))?;
    Ok((StatusCode::CREATED, Json(order)))
}

pub async fn get(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Order>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(st.app.get_order(&p, &t, order_id(&id)?).await?))
}

pub async fn changes(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Page<OrderChange>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(Page {
        items: st.app.order_changes(&p, &t, order_id(&id)?).await?,
        next_cursor: None,
    }))
}

pub async fn change(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ChangeRequest>,
) -> ApiResult<Json<Order>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(
        st.app.change_order(&p, &t, order_id(&id)?, body).await?,
    ))
}

pub async fn release(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Order>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(st.app.release_order(&p, &t, order_id(&id)?).await?))
}
