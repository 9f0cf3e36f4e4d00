//! Shipment and document endpoints.

use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::api::{KPI_RECORDS_KEYS, KpiRecordsParams, ListQuery, Page, PageParams, TenantSlug};
use crate::error::{ApiError, ApiResult, created_one};
use crate::openapi_schemas::{Binary, page_schema};
use crate::routing::{ApiRoutes, BodyLimit};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use consign_app::orders::OnDuplicate;
use consign_core::ids::{DocumentId, ShipmentId};
use consign_core::shipment::{Document, NewShipment, Shipment, ShipmentStatus};
use consign_store::ShipmentFilter;
use std::collections::HashMap;
use utoipa_axum::routes;

page_schema!(ShipmentPage => Shipment, DocumentPage => Document);

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .limited(
            BodyLimit::Document,
            routes!(list_documents, attach_document),
        )
        .routes(routes!(download_document))
}

fn shipment_id(s: &str) -> Result<ShipmentId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::not_found(&format!("shipment {s}")))
}

/// Shipments, newest first; filters status, carrier, order, from, to, q; cursor pagination
#[utoipa::path(
    get,
    path = "/shipments",
    operation_id = "get_shipments",
    params(
        TenantSlug,
        ("status" = Option<String>, Query, description = "Only shipments in this status"),
        ("carrier" = Option<String>, Query, description = "Only this carrier's: SCAC, id or name"),
        ("order" = Option<String>, Query, description = "Only this order's: its number or external reference (needs the right to read orders)"),
        ("from" = Option<String>, Query, description = "Created at or after: RFC 3339 timestamp or YYYY-MM-DD (UTC)"),
        ("to" = Option<String>, Query, description = "Created before: RFC 3339 timestamp or YYYY-MM-DD (UTC)"),
        ("q" = Option<String>, Query, description = "An exact shipment or tracking number, or the start of a tracking number"),
        KpiRecordsParams,
        PageParams,
    ),
    responses((status = 200, description = "A page of shipments", body = ShipmentPage))
)]
pub async fn list(
    Tenanted { st, p, t, .. }: Tenanted,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Shipment>>> {
    let mut q = ListQuery::new(
        q,
        &[
            &["status", "carrier", "order", "from", "to", "q"][..],
            &KPI_RECORDS_KEYS,
        ]
        .concat(),
    );
    let records = crate::api::records_query(&mut q)?;
    let carrier_name = q.text("carrier");
    let order_ref = q.text("order");
    let mut filter = ShipmentFilter {
        status: q.parse("status", ShipmentStatus::parse),
        created_from: q.time("from"),
        created_to: q.time("to"),
        q: q.text("q"),
        limit: q.limit(),
        after: q.cursor(),
        ..Default::default()
    };
    q.finish()?;
    if let Some(c) = carrier_name {
        filter.carrier = Some(crate::api::carrier_filter(&st, &p, &t, &c).await?);
    }
    if let Some(r) = order_ref {
        // Filtering by order reveals whether the order exists: only for those who may read
        // orders (the use case checks).
        let o = st.app.order_by_reference(&p, &t, &r).await?;
        filter.order = Some(
            o.ok_or_else(|| ApiError::field("order", format!("no order '{r}'")))?
                .id,
        );
    }
    if let Some(r) = records {
        filter.kpi = Some(st.app.kpi_records(&p, &t, &r, false).await?);
    }
    let items = st.app.list_shipments(&p, &t, &filter).await?;
    Ok(Json(Page::limited(items, filter.limit, |s| s.id)))
}

/// Create a shipment (honours Idempotency-Key)
#[utoipa::path(
    post,
    path = "/shipments",
    operation_id = "post_shipments",
    params(TenantSlug),
    request_body = NewShipment,
    responses((status = 201, description = "The shipment as created", body = Shipment))
)]
pub async fn create(
    TenantedJson { st, p, t, body, .. }: TenantedJson<NewShipment>,
) -> ApiResult<Created<Shipment>> {
    let batch = st
        .app
        .create_shipments(&p, &t, vec![body], OnDuplicate::Reject, &|_| {})
        .await;
    Ok(created(created_one(batch)?))
}

/// One shipment
#[utoipa::path(
    get,
    path = "/shipments/{id}",
    operation_id = "get_shipments__id_",
    params(TenantSlug, ("id" = String, Path, description = "The shipment's id")),
    responses((status = 200, description = "The shipment", body = Shipment))
)]
pub async fn get(Tenanted { st, p, t, path: id }: Tenanted<String>) -> ApiResult<Json<Shipment>> {
    Ok(Json(st.app.get_shipment(&p, &t, shipment_id(&id)?).await?))
}

/// The shipment's documents
#[utoipa::path(
    get,
    path = "/shipments/{id}/documents",
    operation_id = "get_shipments__id__documents",
    params(TenantSlug, ("id" = String, Path, description = "The shipment's id")),
    responses((status = 200, description = "Every document of the shipment (one page)", body = DocumentPage))
)]
pub async fn list_documents(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
) -> ApiResult<Json<Page<Document>>> {
    Ok(Json(Page::whole(
        st.app.list_documents(&p, &t, shipment_id(&id)?).await?,
    )))
}

/// Attach a document: raw body, ?kind=&filename=
///
/// The file's bytes are the body and its Content-Type the request's (no multipart, so
/// `curl --data-binary @pod.pdf` works).
#[utoipa::path(
    post,
    path = "/shipments/{id}/documents",
    operation_id = "post_shipments__id__documents",
    params(
        TenantSlug,
        ("id" = String, Path, description = "The shipment's id"),
        ("kind" = String, Query, description = "bol, pod, commercial_invoice, customs or other"),
        ("filename" = String, Query, description = "The file's name, given back on download"),
    ),
    request_body(content = inline(Binary), content_type = "*/*"),
    responses((status = 201, description = "The document as stored", body = Document))
)]
pub async fn attach_document(
    Tenanted { st, p, t, path: id }: Tenanted<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Created<Document>> {
    let body = body.map_err(|_| crate::json::too_large())?;
    let lq = ListQuery::new(q, &["kind", "filename"]);
    let kind = lq.text("kind");
    let filename = lq.text("filename");
    lq.finish()?;
    let kind = kind.ok_or_else(|| {
        ApiError::field(
            "kind",
            "is required (bol, pod, commercial_invoice, customs, other)",
        )
    })?;
    let filename = filename.ok_or_else(|| ApiError::field("filename", "is required"))?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let upload = consign_app::documents::Upload {
        kind: &kind,
        filename: &filename,
        content_type: ct,
        bytes: &body,
    };
    let doc = st
        .app
        .attach_document(&p, &t, shipment_id(&id)?, upload)
        .await?;
    Ok(created(doc))
}

/// Download a document
#[utoipa::path(
    get,
    path = "/shipments/{id}/documents/{doc}",
    operation_id = "get_shipments__id__documents__doc_",
    params(
        TenantSlug,
        ("id" = String, Path, description = "The shipment's id"),
        ("doc" = String, Path, description = "The document's id"),
    ),
    responses((status = 200, description = "The document's bytes as an attachment, with the Content-Type it was uploaded with", content(("application/octet-stream"))))
)]
pub async fn download_document(
    Tenanted {
        st,
        p,
        t,
        path: (id, doc),
    }: Tenanted<(String, String)>,
) -> ApiResult<Response> {
    let doc_id: DocumentId = doc.parse().map_err(|_| ApiError::not_found("document"))?;
    let (d, bytes) = st
        .app
        .document_bytes(&p, &t, shipment_id(&id)?, doc_id)
        .await?;
    // Uploaded bytes are served as a download, never rendered by the browser in our origin:
    // always `attachment`, no sniffing, and a sandbox policy in case a browser renders anyway.
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&d.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.filename))
        .unwrap_or(HeaderValue::from_static(
            "attachment; filename=\"document\"",
        ));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(res)
}
