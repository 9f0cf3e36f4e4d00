//! EDI endpoints: trading partners, intake of raw X12, and the stored interchanges.

use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::api::{Page, TenantSlug};
use crate::error::{ApiError, ApiResult};
use crate::openapi_schemas::{
    EdiReport as EdiReportSchema, InterchangeDetail as InterchangeDetailSchema, Tender, page_schema,
};
use crate::routing::{ApiRoutes, BodyLimit};
use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use consign_app::edi::EdiReport;
use consign_core::edi::{
    InterchangeRecord, NewTradingPartner, OutboundGroup, SetRecord, TradingPartner,
};
use consign_core::ids::{InterchangeId, PartnerId};
use serde::Serialize;
use utoipa_axum::routes;

page_schema!(
    PartnerPage => TradingPartner,
    OutboundGroupPage => OutboundGroup,
    InterchangePage => InterchangeRecord,
);

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .limited(BodyLimit::Edi, routes!(receive))
        .routes(routes!(list_partners, create_partner))
        .routes(routes!(outbound_groups))
        .routes(routes!(list_interchanges))
        .routes(routes!(get_interchange))
        .routes(routes!(raw_interchange))
        .routes(routes!(tender))
        .routes(routes!(warehouse_order))
}

/// EDI trading partners
#[utoipa::path(
    get,
    path = "/edi/partners",
    operation_id = "get_edi_partners",
    params(TenantSlug),
    responses((status = 200, description = "Every trading partner the caller may see (one page)", body = PartnerPage))
)]
pub async fn list_partners(
    Tenanted { st, p, t, .. }: Tenanted,
) -> ApiResult<Json<Page<TradingPartner>>> {
    Ok(Json(Page::whole(st.app.list_partners(&p, &t).await?)))
}

/// Add a trading partner (ISA ids, carrier or warehouse, strictness)
#[utoipa::path(
    post,
    path = "/edi/partners",
    operation_id = "post_edi_partners",
    params(TenantSlug),
    request_body = NewTradingPartner,
    responses((status = 201, description = "The trading partner as created", body = TradingPartner))
)]
pub async fn create_partner(
    TenantedJson { st, p, t, body, .. }: TenantedJson<NewTradingPartner>,
) -> ApiResult<Created<TradingPartner>> {
    Ok(created(st.app.create_partner(&p, &t, body).await?))
}

/// Groups sent to the partner and the 997 that answered each
#[utoipa::path(
    get,
    path = "/edi/partners/{id}/outbound",
    operation_id = "get_edi_partners__id__outbound",
    params(TenantSlug, ("id" = String, Path, description = "The trading partner's id")),
    responses((status = 200, description = "Every group sent to the partner (one page); `ack_status` null: no 997 yet", body = OutboundGroupPage))
)]
pub async fn outbound_groups(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
) -> ApiResult<Json<Page<OutboundGroup>>> {
    let id: PartnerId = id
        .parse()
        .map_err(|_| ApiError::not_found("trading partner"))?;
    let items = st.app.outbound_groups(&p, &t, id).await?;
    Ok(Json(Page::whole(items)))
}

/// Receive raw X12; answers with per-set verdicts and the 997s (Accept: application/edi-x12 for the 997s alone)
///
/// The body is read as X12 whatever its content type.
#[utoipa::path(
    post,
    path = "/edi",
    operation_id = "post_edi",
    params(TenantSlug),
    request_body(content = String, content_type = "application/edi-x12"),
    responses((status = 200, description = "What was accepted per interchange, group and set, with the acknowledgements; or, when asked for with Accept, the acknowledgements alone as X12", content(
        (EdiReportSchema = "application/json"),
        (String = "application/edi-x12"),
    )))
)]
pub async fn receive(
    Tenanted { st, p, t, .. }: Tenanted,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(|_| crate::json::too_large())?;
    let report: EdiReport = st.app.receive_edi(&p, &t, &body).await?;
    if report.interchanges.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "edi",
            "No X12 interchange could be read",
            report.problems.join("; "),
        ));
    }
    let wants_x12 = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/edi-x12"));
    if wants_x12 {
        let mut res = report.acknowledgements.into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/edi-x12"),
        );
        return Ok(res);
    }
    Ok(Json(report).into_response())
}

/// Stored interchanges, inbound and outbound, newest first
#[utoipa::path(
    get,
    path = "/edi/interchanges",
    operation_id = "get_edi_interchanges",
    params(TenantSlug),
    responses((status = 200, description = "The latest 200 interchanges the caller may see", body = InterchangePage))
)]
pub async fn list_interchanges(
    Tenanted { st, p, t, .. }: Tenanted,
) -> ApiResult<Json<Page<InterchangeRecord>>> {
    let items = st.app.list_interchanges(&p, &t).await?;
    Ok(Json(Page::whole(items)))
}

#[derive(Serialize)]
pub struct InterchangeDetail {
    #[serde(flatten)]
    pub interchange: InterchangeRecord,
    pub sets: Vec<SetRecord>,
}

/// The interchange id of a request (404 for an id that cannot be one).
fn interchange_id(id: &str) -> ApiResult<InterchangeId> {
    id.parse().map_err(|_| ApiError::not_found("interchange"))
}

/// One interchange with its transaction sets
#[utoipa::path(
    get,
    path = "/edi/interchanges/{id}",
    operation_id = "get_edi_interchanges__id_",
    params(TenantSlug, ("id" = String, Path, description = "The interchange's id")),
    responses((status = 200, description = "The interchange and its sets", body = InterchangeDetailSchema))
)]
pub async fn get_interchange(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
) -> ApiResult<Json<InterchangeDetail>> {
    let id = interchange_id(&id)?;
    let (interchange, sets) = st.app.interchange(&p, &t, id).await?;
    Ok(Json(InterchangeDetail { interchange, sets }))
}

/// The interchange's bytes as received or sent
#[utoipa::path(
    get,
    path = "/edi/interchanges/{id}/raw",
    operation_id = "get_edi_interchanges__id__raw",
    params(TenantSlug, ("id" = String, Path, description = "The interchange's id")),
    responses((status = 200, description = "X12", body = String, content_type = "application/edi-x12"))
)]
pub async fn raw_interchange(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
) -> ApiResult<Response> {
    let id = interchange_id(&id)?;
    let raw = st.app.interchange_raw(&p, &t, id).await?;
    let mut res = raw.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/edi-x12"),
    );
    Ok(res)
}

/// Tender the shipment to its carrier as an EDI 204 (stored, awaiting its 997)
///
/// Needs a trading partner for the shipment's carrier.
#[utoipa::path(
    post,
    path = "/shipments/{id}/tender",
    operation_id = "post_shipments__id__tender",
    params(TenantSlug, ("id" = String, Path, description = "The shipment's id")),
    responses((status = 201, description = "The interchange as sent", body = Tender))
)]
pub async fn tender(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
) -> ApiResult<Created<consign_app::edi::Sent>> {
    let id: consign_core::ids::ShipmentId =
        id.parse().map_err(|_| ApiError::not_found("shipment"))?;
    Ok(created(st.app.tender_shipment(&p, &t, id).await?))
}

/// Send the order to a warehouse (?warehouse=CODE) as an EDI 940 (stored, awaiting its 997)
///
/// Needs a trading partner for the warehouse.
#[utoipa::path(
    post,
    path = "/orders/{id}/warehouse-order",
    operation_id = "post_orders__id__warehouse-order",
    params(
        TenantSlug,
        ("id" = String, Path, description = "The order's id"),
        ("warehouse" = String, Query, description = "The warehouse's code"),
    ),
    responses((status = 201, description = "The interchange as sent", body = Tender))
)]
pub async fn warehouse_order(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> ApiResult<Created<consign_app::edi::Sent>> {
    let id: consign_core::ids::OrderId = id.parse().map_err(|_| ApiError::not_found("order"))?;
    let lq = crate::api::ListQuery::new(q, &["warehouse"]);
    let warehouse = lq.text("warehouse");
    lq.finish()?;
    let warehouse = warehouse
        .ok_or_else(|| ApiError::field("warehouse", "is required (the warehouse code)"))?;
    Ok(created(
        st.app.send_warehouse_order(&p, &t, id, &warehouse).await?,
    ))
}
