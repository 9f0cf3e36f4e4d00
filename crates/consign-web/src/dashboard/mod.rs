//! The server-rendered dashboard: one module per page or group of pages, merged into one
//! router here with the middleware every page shares, the error page, and the helpers the
//! pages share. Pages are askama templates with inline CSS (no CDN); times are shown in the
//! tenant's time zone.

mod admin;
mod assets;
mod cases;
mod compose;
mod edi;
mod home;
mod lists;
mod message_templates;
mod order;
mod pager;
mod queue;
mod rulebook;
mod scorecard;
mod search;
mod settings;
mod shipment;
pub(crate) mod shipment_actions;
mod signin;
mod sla_forms;
mod sla_text;
mod teams;
mod viewer;
mod webhooks;

use crate::AppState;
use crate::auth::Authenticated;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use consign_core::tenant::Tenant;
use std::collections::HashMap;
use viewer::{Frame, PathId, TenantPage, Viewer};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|auth: Option<Extension<Authenticated>>| async move {
                Redirect::to(if auth.is_some() { "/app" } else { "/login" })
            }),
        )
        .route("/app", get(home::home))
        .merge(admin::routes())
        .merge(cases::routes())
        .merge(edi::routes())
        .merge(lists::routes())
        .merge(queue::routes())
        .merge(message_templates::routes())
        .merge(rulebook::routes())
        .merge(scorecard::routes())
        .merge(order::routes())
        .merge(search::routes())
        .merge(settings::routes())
        .merge(sla_forms::routes())
        .merge(shipment::routes())
        .merge(shipment_actions::routes())
        .merge(signin::routes())
        .merge(teams::routes())
        .merge(webhooks::routes())
        .layer(axum::middleware::from_fn(server_timing))
        .layer(axum::middleware::from_fn(return_to_page))
        .merge(assets::routes())
}

/// `Server-Timing: app;dur=…` on every page: the server's share of a slow page, visible in
/// the browser's developer tools and to the browser tests.
async fn server_timing(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("app;dur={ms:.1}")) {
        res.headers_mut().insert("server-timing", v);
    }
    res
}

/// A page asked for without a (live) session sends the person to sign in and, once signed
/// in, back to that page: the sign-in redirect of a `GET` carries the page as `next`.
async fn return_to_page(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let wanted = (req.method() == axum::http::Method::GET)
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
        .flatten();
    let mut res = next.run(req).await;
    let to_login = res.status() == StatusCode::SEE_OTHER
        && res.headers().get("location").is_some_and(|l| l == "/login");
    if let (true, Some(page)) = (to_login, wanted)
        && page != "/"
        && page != "/app"
        && let Ok(v) =
            axum::http::HeaderValue::from_str(&format!("/login?next={}", query_value(&page)))
    {
        res.headers_mut().insert("location", v);
    }
    res
}

fn render(t: impl Template) -> Response {
    page_html(t.render())
}

/// A rendered page, or a 500 (the cause logged, not shown) when it could not be rendered.
fn page_html(html: askama::Result<String>) -> Response {
    match html {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "page could not be rendered",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: String,
    detail: String,
    fields: Vec<(String, String)>,
}

/// A use case's refusal as a page: the API's status and words, in HTML (a person asked, not
/// a program); a record outside the viewer's reach is the same 404 page as a missing one.
pub(crate) fn error_page(e: consign_app::AppError) -> Response {
    let api = crate::error::ApiError::from(e);
    let p = &api.problem;
    let title = match api.status {
        StatusCode::NOT_FOUND => "Not found".to_string(),
        StatusCode::FORBIDDEN => "Not allowed".to_string(),
        _ => p.title.clone(),
    };
    let detail = match api.status {
        StatusCode::NOT_FOUND => {
            "There is nothing here, or nothing you may see. Check the address, or start again from the overview.".to_string()
        }
        StatusCode::FORBIDDEN => format!(
            "Your role does not allow this. {}",
            p.detail.clone().unwrap_or_default()
        ),
        _ => p.detail.clone().unwrap_or_default(),
    };
    let page = ErrorPage {
        status: api.status.as_u16(),
        title,
        detail,
        fields: p
            .errors
            .iter()
            .map(|f| (f.field.clone(), f.reason.clone()))
            .collect(),
    };
    (api.status, render(page)).into_response()
}

/// A posted form's field, trimmed; empty when the form did not send it.
fn trimmed(form: &HashMap<String, String>, key: &str) -> String {
    form.get(key)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// A refusal's problems as a form lists them, one line per field (`field: reason`).
fn problems(inv: consign_core::Invalid) -> Vec<String> {
    inv.errors
        .into_iter()
        .map(|e| format!("{}: {}", e.field, e.reason))
        .collect()
}

/// `12,345`: counts people read at a glance.
/// The parts that say something, as one line (`CODE · description`).
fn joined(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|x| !x.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// How many of a page's cases are still open (neither resolved nor closed).
fn open_count<'a>(statuses: impl IntoIterator<Item = &'a str>) -> usize {
    statuses
        .into_iter()
        .filter(|s| !matches!(*s, "resolved" | "closed"))
        .count()
}

/// The tenant's carrier `id`, as the viewer may see it.
async fn carrier_of(
    st: &AppState,
    p: &consign_core::access::Principal,
    t: &Tenant,
    id: consign_core::ids::CarrierId,
) -> Option<consign_core::party::Carrier> {
    st.app
        .list_carriers(p, t)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.id == id)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn local(t: Option<jiff::Timestamp>, tz: &jiff::tz::TimeZone) -> String {
    t.map(|t| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

/// A time with its zone's abbreviation (`2026-12-01 14:05 EST`), where a page mixes zones.
fn local_zoned(t: Option<jiff::Timestamp>, tz: &jiff::tz::TimeZone) -> String {
    t.map(|t| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    })
    .unwrap_or_default()
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn query_value(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
