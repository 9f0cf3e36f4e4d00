//! Scorecard endpoints: a tenant's scorecard for a period as JSON, CSV or a printable page.

use crate::AppState;
use crate::api::TenantSlug;
use crate::api::Tenanted;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::routing::ApiRoutes;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use consign_app::kpis::{Scorecard, ScorecardOverview};
use std::collections::HashMap;
use utoipa_axum::routes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new().routes(routes!(get_scorecard))
}

/// Routes outside a tenant: the provider's overview.
pub fn provider_routes() -> ApiRoutes {
    ApiRoutes::new().routes(routes!(get_scorecard_overview))
}

/// Headline figures of every tenant the caller reaches, for one period
#[utoipa::path(
    get,
    path = "/scorecards/{period}",
    operation_id = "get_scorecard_overview",
    params(("period" = String, Path, description = "2026-W48, 2026-11 or 2026-11-01..2026-11-15, in each tenant's time zone")),
    responses((status = 200, description = "Each tenant's on-time delivery, OTIF, perfect order and exception rate", body = ScorecardOverview))
)]
pub async fn get_scorecard_overview(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(period): Path<String>,
) -> ApiResult<Json<ScorecardOverview>> {
    Ok(Json(st.app.scorecard_overview(&p, &period).await?))
}

/// The query a scorecard takes (read by hand, so a bad value gets a field error).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ScorecardQuery {
    /// `json` (the default), `csv`, or `html` (a printable page with charts).
    pub format: Option<String>,
    /// Recompute under this KPI definitions version instead of the one in force.
    pub definitions: Option<i64>,
}

/// The tenant's scorecard for a period (ISO week `2026-W48`, month `2026-11`, or days `2026-11-01..2026-11-15`)
#[utoipa::path(
    get,
    path = "/scorecards/{period}",
    operation_id = "get_scorecard",
    params(TenantSlug, ("period" = String, Path, description = "2026-W48, 2026-11 or 2026-11-01..2026-11-15, in the tenant's time zone"), ScorecardQuery),
    responses(
        (status = 200, description = "The scorecard", body = Scorecard, content_type = "application/json"),
        (status = 200, description = "The same as CSV: section, item, period, numerator, denominator, value", body = String, content_type = "text/csv"),
        (status = 200, description = "A printable page with SVG charts", body = String, content_type = "text/html"),
    )
)]
pub async fn get_scorecard(
    Tenanted {
        st,
        p,
        t,
        path: period,
    }: Tenanted<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    if let Some(k) = q
        .keys()
        .find(|k| !matches!(k.as_str(), "format" | "definitions"))
    {
        return Err(ApiError::field(
            k,
            "unknown parameter; expected format or definitions",
        ));
    }
    let format = q.get("format").map(String::as_str).unwrap_or("json");
    if !matches!(format, "json" | "csv" | "html") {
        return Err(ApiError::field(
            "format",
            format!("'{format}' is not json, csv or html"),
        ));
    }
    let version = match q.get("definitions") {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            ApiError::field("definitions", format!("'{v}' is not a version number"))
        })?),
    };
    let s = st.app.scorecard(&p, &t, &period, version).await?;
    let file = format!("scorecard-{}-{}", s.tenant, s.period.replace("..", "_"));
    Ok(match format {
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}.csv\""),
                ),
            ],
            s.to_csv(),
        )
            .into_response(),
        "html" => match crate::scorecard_page::render(
            &s,
            crate::scorecard_page::Links::for_page(&s, false),
        ) {
            Ok(page) => Html(page).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "scorecard page");
                return Err(ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the scorecard page could not be rendered".to_string(),
                ));
            }
        },
        _ => Json(s).into_response(),
    })
}
