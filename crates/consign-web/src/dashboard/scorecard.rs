//! The tenant's KPI scorecard page, and the picker that leads to a tenant's scorecard of a
//! period.

use super::viewer::{TenantPage, Viewer};
use super::{error_page, page_html, query_value};
use crate::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{tenant}/scorecard", get(scorecard))
        .route("/app/scorecard", get(pick_scorecard))
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
    page_html(crate::scorecard_page::render(&s, links))
}
