//! The server-rendered dashboard: sign-in, an overview of the tenants a person reaches, and
//! order and shipment lists with search and status filters. Pages are askama templates with
//! inline CSS (no CDN); times are shown in the tenant's time zone.

mod admin;
mod assets;
mod cases;
mod compose;
mod edi;
mod home;
mod message_templates;
mod order;
mod pager;
mod queue;
mod rulebook;
mod search;
mod settings;
mod shipment;
mod shipment_actions;
mod sla_forms;
mod sla_text;
mod teams;
mod viewer;
mod webhooks;

use crate::AppState;
use crate::api::session::session_cookie;
use crate::auth::{Authenticated, SESSION_COOKIE, Via};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use consign_core::order::OrderStatus;
use consign_core::shipment::ShipmentStatus;
use consign_core::tenant::Tenant;
use consign_store::{OrderFilter, ShipmentFilter};
use serde::Deserialize;
use std::collections::HashMap;
use subtle::ConstantTimeEq;
use viewer::{Frame, PathId, TenantPage, Viewer};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|auth: Option<Extension<Authenticated>>| async move {
                Redirect::to(if auth.is_some() { "/app" } else { "/login" })
            }),
        )
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", axum::routing::post(logout))
        .route("/app", get(home::home))
        .route("/app/{tenant}/orders", get(orders))
        .route("/app/{tenant}/shipments", get(shipments))
        .route("/app/{tenant}/scorecard", get(scorecard))
        .route("/app/scorecard", get(pick_scorecard))
        .merge(admin::routes())
        .merge(cases::routes())
        .merge(edi::routes())
        .merge(queue::routes())
        .merge(message_templates::routes())
        .merge(rulebook::routes())
        .merge(order::routes())
        .merge(search::routes())
        .merge(settings::routes())
        .merge(sla_forms::routes())
        .merge(shipment::routes())
        .merge(shipment_actions::routes())
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

/// Where a sign-in may send the person on: a path of this site only (`/app…`), never
/// another origin (`//evil`, `https://…`) — an open redirect would make the login page a
/// phishing tool.
fn local_page(next: &str) -> Option<&str> {
    (next.starts_with("/app") && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
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

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    email: String,
    /// The page to go on to after signing in (empty: the home page).
    next: String,
}

async fn login_page(Query(q): Query<HashMap<String, String>>) -> Response {
    render(LoginPage {
        error: None,
        email: String::new(),
        next: q
            .get("next")
            .and_then(|n| local_page(n))
            .unwrap_or_default()
            .to_string(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_submit(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    if !crate::auth::same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site sign-in refused").into_response();
    }
    match st.app.login(&f.email, &f.password).await {
        Ok((secret, _, _)) => (
            jar.add(session_cookie(secret, st.cfg.secure_cookies)),
            Redirect::to(local_page(&f.next).unwrap_or("/app")),
        )
            .into_response(),
        Err(_) => {
            let page = render(LoginPage {
                error: Some("E-mail or password is wrong.".into()),
                next: local_page(&f.next).unwrap_or_default().to_string(),
                email: f.email,
            });
            (StatusCode::UNAUTHORIZED, page).into_response()
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(st): State<AppState>,
    jar: CookieJar,
    auth: Option<Extension<Authenticated>>,
    Form(f): Form<LogoutForm>,
) -> Response {
    if let Some(Extension(Authenticated {
        via: Via::Session { secret, csrf, .. },
        ..
    })) = auth
    {
        if !bool::from(f.csrf.as_bytes().ct_eq(csrf.as_bytes())) {
            return (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response();
        }
        let _ = st.app.logout(&secret).await;
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/").build()),
        Redirect::to("/login"),
    )
        .into_response()
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

/// The scorecard picker's form: to the chosen tenant's scorecard of the chosen period
/// (a tenant out of reach is the same 404 as a missing one).
async fn pick_scorecard(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let slug = q.get("tenant").cloned().unwrap_or_default();
    let t = v.tenant(&st, &slug).await?;
    let period = q.get("period").map(|p| p.trim()).unwrap_or_default();
    let to = match period {
        "" => format!("/app/{}/scorecard", t.slug),
        p => format!("/app/{}/scorecard?period={}", t.slug, query_value(p)),
    };
    Ok(Redirect::to(&to).into_response())
}

/// The tenant's scorecard page; without `period`, the last complete week in the tenant's
/// zone.
async fn scorecard(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let period = match q.get("period") {
        Some(p) => p.clone(),
        None => {
            let tz = jiff::tz::TimeZone::get(&t.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
            let today = st.app.now().to_zoned(tz).date();
            consign_core::kpi::Period::week_of(today)
                .previous()
                .to_string()
        }
    };
    let s = match st.app.scorecard(&v.principal, &t, &period, None).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let mut links = crate::scorecard_page::Links::for_page(&s, true);
    links.tenants = v
        .tenants
        .iter()
        .map(|t| (t.slug.clone(), t.name.clone()))
        .collect();
    match crate::scorecard_page::render(&s, links) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "scorecard page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "page could not be rendered",
            )
                .into_response()
        }
    }
}
