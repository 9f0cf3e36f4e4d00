//! Shipment and document endpoints.

use crate::AppState;
use crate::api::{ListQuery, Page};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, single};
use crate::json::ApiJson;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use consign_app::orders::OnDuplicate;
use consign_core::ids::{DocumentId, ShipmentId};
use consign_core::shipment::{Document, NewShipment, Shipment, ShipmentStatus};
use consign_store::ShipmentFilter;
use std::collections::HashMap;

fn shipment_id(s: &str) -> Result<ShipmentId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::not_found(&format!("shipment {s}")))
}

pub async fn list(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Shipment>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let mut q = ListQuery::new(q, &["status", "carrier", "order", "from", "to", "q"]);
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
        // Filtering by order reveals whether the order exists: only for those who may read orders.
        consign_app::require(&p, consign_core::access::Capability::ReadOrders)?;
        let o = st
            .app
            .store
            .order_by_ref(t.id, &r)
            .await
            .map_err(consign_app::AppError::from)?;
        filter.order = Some(
            o.ok_or_else(|| ApiError::field("order", format!("no order '{r}'")))?
                .id,
        );
    }
    let items = st.app.list_shipments(&p, &t, &filter).await?;
    let next_cursor = consign_store::next_cursor(&items, filter.limit, |s| s.id);
    Ok(Json(Page { items, next_cursor }))
}

pub async fn create(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewShipment>,
) -> ApiResult<(StatusCode, Json<Shipment>)> {
    let t = st.app.tenant_for(&p, &slug).await?;
    let mut out = st
        .app
        .create_shipments(&p, &t, vec![body], OnDuplicate::Reject, &|_| {})
        .await
        .map_err(single)?;
    let s = out
        .created
        .pop()
        .ok_or_else(|| ApiError::bad_request("nothing was created"))?;
    Ok((StatusCode::CREATED, Json(s)))
}

pub async fn get(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Shipment>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(st.app.get_shipment(&p, &t, shipment_id(&id)?).await?))
}

pub async fn list_documents(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Page<Document>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(Page {
        items: st.app.list_documents(&p, &t, shipment_id(&id)?).await?,
        next_cursor: None,
    }))
}

/// Upload: the raw bytes as the body, `?kind=pod&filename=pod.pdf`, and the file's
/// Content-Type (no multipart needed, so curl `--data-binary @file` works).
pub async fn attach_document(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    let t = st.app.tenant_for(&p, &slug).await?;
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
    Ok((StatusCode::CREATED, Json(doc)))
}

pub async fn download_document(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, id, doc)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let t = st.app.tenant_for(&p, &slug).await?;
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
