//! A tenant's webhook endpoints in the browser, for whoever manages them (the provider's
//! administrators, the client's manager; a carrier its own): each endpoint's events and
//! state, and its delivery log — every message with its attempts — where one delivery is
//! sent again by hand (a replay keeps its `webhook-id`, so a receiver deduplicates it).

use super::admin::{MessageRow, message_row};
use super::{Frame, PathId, TenantPage, error_page, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use consign_app::AppError;
use jiff::tz::TimeZone;
use std::collections::HashMap;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/webhooks", get(endpoints))
        .route("/app/{tenant}/webhooks/{id}", get(endpoint))
        .route(
            "/app/{tenant}/webhooks/{id}/deliveries/{message}/replay",
            post(replay),
        )
}

struct EndpointRow {
    id: String,
    url: String,
    description: String,
    events: String,
    state: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct EndpointsPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    rows: Vec<EndpointRow>,
}

fn row(e: &consign_app::messages::endpoints::EndpointView, tz: &TimeZone) -> EndpointRow {
    EndpointRow {
        id: e.id.to_string(),
        url: e.url.clone(),
        description: e.description.clone(),
        events: e.events.join(", "),
        state: match (&e.disabled_at, &e.disabled_reason) {
            (Some(at), reason) => format!(
                "disabled {}{}",
                super::local(Some(*at), tz),
                reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            (None, _) => format!("active, {} secret(s) in force", e.secrets_in_force),
        },
    }
}

async fn endpoints(TenantPage { st, v, t, .. }: TenantPage) -> Response {
    let list = match st.app.list_endpoints(&v.principal, &t).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    render(EndpointsPage {
        slug: t.slug.clone(),
        tenant_name: t.name.clone(),
        rows: list.iter().map(|e| row(e, &tz)).collect(),
        frame: v.into(),
    })
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct EndpointPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    zone: String,
    endpoint: EndpointRow,
    rows: Vec<MessageRow>,
    done: Option<String>,
}

async fn endpoint(
    TenantPage {
        st,
        v,
        t,
        path: PathId(id),
    }: TenantPage<PathId<Uuid>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = &v.principal;
    let e = match st.app.get_endpoint(p, &t, id).await {
        Ok(e) => e,
        Err(e) => return error_page(e),
    };
    let log = match st.app.endpoint_deliveries(p, &t, id, None, 100).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    render(EndpointPage {
        slug: t.slug.clone(),
        tenant_name: t.name.clone(),
        zone: t.time_zone.clone(),
        endpoint: row(&e, &tz),
        rows: log.into_iter().map(|d| message_row(d, &tz)).collect(),
        done: q.get("done").cloned(),
        frame: v.into(),
    })
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn replay(
    TenantPage {
        st,
        v,
        t,
        path: (id, message),
    }: TenantPage<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let (Ok(id), Ok(message)) = (id.parse::<Uuid>(), message.parse::<Uuid>()) else {
        return error_page(AppError::NotFound("delivery".into()));
    };
    match st.app.replay_delivery(&v.principal, &t, id, message).await {
        Ok(_) => Redirect::to(&format!(
            "/app/{}/webhooks/{id}?done={}",
            t.slug,
            query_value("the delivery is due again")
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}
