//! What a person posts from the shipment page: a tracking event (a carrier's scan typed in,
//! a warehouse's handover, an agent's note of what the carrier said on the phone) through
//! the same ingest as every feed, and a document (proof of delivery, BOL) uploaded from the
//! browser, and an agent's override of the status or the promise with its reason. Each
//! form carries the session's CSRF token; the event form also carries a
//! message id minted with the page, so sending it twice records the event once.

use super::shipment::show;
use super::{PathId, TenantPage, Viewer, error_page};
use crate::AppState;
use crate::routing::BodyLimit;
use axum::Router;
use axum::extract::{Form, Multipart};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use consign_app::AppError;
use consign_app::documents::Upload;
use consign_core::ids::ShipmentId;
use consign_core::tenant::Tenant;
use consign_core::tracking::NewTrackingEvent;

/// The upload form's path: it takes a document's size, not a form's (see `BODY_LIMITS`).
const UPLOAD: &str = "/app/{tenant}/shipments/{id}/documents";

/// The pages' routes that read more than a form: a phone's photo of a POD is several MB.
pub const BODY_LIMITS: [(&str, BodyLimit); 1] = [(UPLOAD, BodyLimit::Document)];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/shipments/{id}", post(post_event))
        .route(UPLOAD, post(upload))
        .route("/app/{tenant}/shipments/{id}/override", post(override_form))
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`) read in the tenant's zone; empty is none.
fn local_instant(
    field: &str,
    text: &str,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<jiff::Timestamp>, String> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| dt.to_zoned(tz.clone()).ok())
            .map(|z| Some(z.timestamp()))
            .ok_or_else(|| format!("{field}: '{text}' is not a date and time")),
    }
}

#[derive(serde::Deserialize)]
struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    /// `YYYY-MM-DDTHH:MM` in the tenant's zone (a `datetime-local` input).
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    description: String,
    /// Minted with the page: the same form sent twice is one event.
    #[serde(default)]
    message_id: String,
}

async fn post_event(
    TenantPage {
        st,
        v,
        t,
        path: PathId(sid),
    }: TenantPage<PathId<ShipmentId>>,
    Form(f): Form<EventForm>,
) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let p = &v.principal;
    let s = match st.app.get_shipment(p, &t, sid).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let tz = jiff::tz::TimeZone::get(&t.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    // The time as the person typed it, in the tenant's zone; empty is now.
    let occurred_at =
        local_instant("occurred at", &f.occurred_at, &tz).map(|t| t.unwrap_or(st.app.now()));
    let occurred_at = match occurred_at {
        Ok(at) => at,
        Err(why) => {
            return refused(&st, v, t, sid, StatusCode::UNPROCESSABLE_ENTITY, why).await;
        }
    };
    let carrier = super::carrier_of(&st, p, &t, s.carrier_id)
        .await
        .map(|c| c.id.to_string())
        .unwrap_or_default();
    let event = NewTrackingEvent {
        carrier,
        tracking_number: s.tracking_number.clone(),
        occurred_at,
        status: Some(f.status.clone()).filter(|x| !x.is_empty()),
        reason: Some(f.reason.clone()).filter(|x| !x.is_empty()),
        eta: None,
        location: Some(f.location.trim().to_string()).filter(|x| !x.is_empty()),
        description: Some(f.description.trim().to_string()).filter(|x| !x.is_empty()),
        message_id: Some(f.message_id.clone()).filter(|x| !x.is_empty()),
        raw_code: None,
    };
    let mut inv = consign_core::Invalid::default();
    let outcome = match event.into_mapped("", &mut inv) {
        Some(m) if inv.is_empty() => {
            st.app
                .ingest_events(p, &t, "dashboard", vec![(String::new(), m)])
                .await
        }
        _ => Err(AppError::Invalid(inv)),
    };
    answer(&st, v, t, sid, outcome, "event").await
}

/// The upload form (`multipart/form-data`): `csrf`, `kind` and the `file`.
async fn upload(
    TenantPage {
        st,
        v,
        t,
        path: PathId(sid),
    }: TenantPage<PathId<ShipmentId>>,
    mut form: Multipart,
) -> Response {
    let (mut csrf, mut kind) = (String::new(), String::new());
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let why = format!("the upload could not be read: {e}");
                return refused(&st, v, t, sid, StatusCode::BAD_REQUEST, why).await;
            }
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "kind" => kind = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or_default().to_string();
                let ty = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, ty, b.to_vec())),
                    Err(e) => {
                        let why = format!("the file could not be read: {e}");
                        return refused(&st, v, t, sid, StatusCode::PAYLOAD_TOO_LARGE, why).await;
                    }
                }
            }
            _ => {}
        }
    }
    // The token comes inside the form, so it is checked once the form is read, before
    // anything is stored.
    if let Err(r) = v.check_csrf(&csrf) {
        return r;
    }
    let Some((filename, content_type, bytes)) = file.filter(|f| !f.2.is_empty()) else {
        let why = "file: choose a file to upload".to_string();
        return refused(&st, v, t, sid, StatusCode::UNPROCESSABLE_ENTITY, why).await;
    };
    let upload = Upload {
        kind: &kind,
        filename: &filename,
        content_type: &content_type,
        bytes: &bytes,
    };
    let outcome = st.app.attach_document(&v.principal, &t, sid, upload).await;
    answer(&st, v, t, sid, outcome, "document").await
}

#[derive(serde::Deserialize)]
struct OverrideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    promised_by: String,
    #[serde(default)]
    reason: String,
}

/// An agent's override: a status or a promise set by hand, with the reason (the same use
/// case as the API's, a manual event through the ingest and an audit record).
async fn override_form(
    TenantPage {
        st,
        v,
        t,
        path: PathId(sid),
    }: TenantPage<PathId<ShipmentId>>,
    Form(f): Form<OverrideForm>,
) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let tz = jiff::tz::TimeZone::get(&t.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let times = local_instant("occurred at", &f.occurred_at, &tz)
        .and_then(|o| local_instant("promised by", &f.promised_by, &tz).map(|p| (o, p)));
    let (occurred_at, promised_by) = match times {
        Ok(x) => x,
        Err(why) => {
            return refused(&st, v, t, sid, StatusCode::UNPROCESSABLE_ENTITY, why).await;
        }
    };
    let req = consign_core::tracking::ShipmentOverride {
        status: Some(f.status.clone()).filter(|x| !x.is_empty()),
        occurred_at,
        promised_by,
        reason: f.reason.clone(),
    };
    let outcome = st.app.override_shipment(&v.principal, &t, sid, req).await;
    answer(&st, v, t, sid, outcome, "override").await
}

/// The page again with why the form was refused, under `status`.
async fn refused(
    st: &AppState,
    v: Viewer,
    t: Tenant,
    sid: ShipmentId,
    status: StatusCode,
    why: String,
) -> Response {
    (status, show(st, v, t, sid, Some(why), None).await).into_response()
}

/// A form's outcome as a person reads it: done, back to the page saying so (post, redirect,
/// get: a reload does not post again); refused, the page with why; out of reach, the 404 page.
async fn answer<T>(
    st: &AppState,
    v: Viewer,
    t: Tenant,
    sid: ShipmentId,
    outcome: consign_app::AppResult<T>,
    done: &str,
) -> Response {
    match outcome {
        Ok(_) => {
            Redirect::to(&format!("/app/{}/shipments/{}?done={done}", t.slug, sid)).into_response()
        }
        Err(AppError::NotFound(m)) => error_page(AppError::NotFound(m)),
        Err(e) => {
            let why = e.to_string();
            let status = crate::error::ApiError::from(e).status;
            refused(st, v, t, sid, status, why).await
        }
    }
}
