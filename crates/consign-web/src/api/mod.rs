//! The JSON API under `/api/v1`. Handlers only translate: HTTP in, a use case call, HTTP out.

pub mod admin;
pub mod case_messages;
pub mod cases;
pub mod edi;
pub mod kpis;
pub mod messages;
pub mod orders;
pub mod scorecards;
pub mod session;
pub mod shipments;
pub(crate) mod tenanted;
pub mod tracking;

pub use tenanted::{Tenanted, TenantedJson};

use crate::error::{ApiError, ApiResult};
use crate::routing::ApiRoutes;
use axum::Json;
use axum::http::StatusCode;
use consign_core::FieldError;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// Every API route, as served and as documented. Each module declares its own routes once;
/// this only says where they hang.
pub fn routes() -> ApiRoutes {
    let tenant = ApiRoutes::new()
        .merge(admin::tenant_routes())
        .merge(orders::routes())
        .merge(shipments::routes())
        .merge(tracking::routes())
        .merge(cases::routes())
        .merge(messages::routes())
        .merge(case_messages::routes())
        .merge(kpis::routes())
        .merge(scorecards::routes())
        .merge(edi::routes());
    let v1 = ApiRoutes::new()
        .merge(session::routes())
        .merge(admin::routes())
        .merge(cases::provider_routes())
        .merge(scorecards::provider_routes())
        .nest("/tenants/{tenant}", tenant)
        .fallback(|| async { ApiError::not_found("route") });
    ApiRoutes::new().nest("/api/v1", v1)
}

/// The `{tenant}` segment that starts every tenant route.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantSlug {
    /// The tenant's slug, as in `/api/v1/tenants/acme`.
    pub tenant: String,
}

/// The cursor pagination of a list, as every paged list documents it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read through `ListQuery`, declared here for the OpenAPI document
pub struct PageParams {
    /// `next_cursor` of the previous page
    cursor: Option<String>,
    /// Page size, 1 to 500 (default 50)
    limit: Option<String>,
}

/// The `kpi…` parameters of a list of orders, shipments or cases (read by [`records_query`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct KpiRecordsParams {
    /// Only the records behind a scorecard figure: on_time_delivery, delivered_without_promise, exception_rate, exceptions_by_reason, exceptions_by_accountable, exceptions_by_lane (shipments); otif, perfect_order (orders)
    kpi: Option<String>,
    /// The figure's period: 2026-W48, 2026-11 or 2026-11-01..2026-11-15
    kpi_period: Option<String>,
    /// hit (the numerator) or miss (the rest of the denominator); absent, the whole denominator
    kpi_outcome: Option<String>,
    /// The breakdown's entry: a case type, an accountable party or a lane
    kpi_key: Option<String>,
}

/// The query keys of [`KpiRecordsParams`], for a list's allowed keys.
pub const KPI_RECORDS_KEYS: [&str; 4] = ["kpi", "kpi_period", "kpi_outcome", "kpi_key"];

/// A page of a list: `next_cursor` is present when there may be more.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list that is whole on one page (carriers, partners, endpoints: a tenant has a few).
    pub fn whole(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }

    /// A page of at most `limit` items: full, it may have a next one, which starts after the
    /// last item's `key`.
    pub fn limited<K: ToString>(items: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let next_cursor = consign_store::next_cursor(&items, limit, key);
        Page { items, next_cursor }
    }
}

/// The answer to a POST that made something: 201 and the thing as made.
pub type Created<T> = (StatusCode, Json<T>);

pub fn created<T>(made: T) -> Created<T> {
    (StatusCode::CREATED, Json(made))
}

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// Query parameters of list endpoints, parsed with a precise error per parameter and unknown
/// parameters refused (a misspelt filter silently ignored would return the wrong list).
pub struct ListQuery {
    raw: HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl ListQuery {
    pub fn new(raw: HashMap<String, String>, allowed: &[&str]) -> Self {
        let mut errors = Vec::new();
        for k in raw.keys() {
            if !allowed.contains(&k.as_str()) && !["cursor", "limit"].contains(&k.as_str()) {
                errors.push(FieldError::new(
                    k.clone(),
                    format!(
                        "unknown query parameter; expected one of {}, cursor, limit",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        ListQuery { raw, errors }
    }
    pub fn text(&self, k: &str) -> Option<String> {
        self.raw
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
    pub fn parse<T>(&mut self, k: &str, p: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let v = self.text(k)?;
        match p(&v) {
            Ok(x) => Some(x),
            Err(e) => {
                self.errors.push(FieldError::new(k, e));
                None
            }
        }
    }
    pub fn time(&mut self, k: &str) -> Option<Timestamp> {
        self.parse(k, |s| {
            if let Ok(t) = s.parse::<Timestamp>() {
                return Ok(t);
            }
            if let Ok(z) = s
                .parse::<jiff::civil::Date>()
                .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
            {
                return Ok(z.timestamp());
            }
            Err(format!(
                "'{s}' is not an RFC 3339 timestamp or a YYYY-MM-DD date"
            ))
        })
    }
    pub fn limit(&mut self) -> u32 {
        self.parse("limit", |s| match s.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(format!("must be a whole number from 1 to {MAX_LIMIT}")),
        })
        .unwrap_or(DEFAULT_LIMIT)
    }
    pub fn cursor<T: std::str::FromStr>(&mut self) -> Option<T> {
        self.parse("cursor", |s| {
            s.parse::<T>()
                .map_err(|_| "not a cursor returned by this list".to_string())
        })
    }
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }
}

/// The `?carrier=` filter of a list: a carrier of the tenant by SCAC, id or name, else a 422
/// naming the parameter.
pub async fn carrier_filter(
    st: &crate::AppState,
    p: &consign_core::access::Principal,
    t: &consign_core::tenant::Tenant,
    name: &str,
) -> Result<consign_core::ids::CarrierId, ApiError> {
    let carriers = st.app.list_carriers(p, t).await?;
    Ok(consign_app::shipments::find_carrier(&carriers, name)
        .ok_or_else(|| ApiError::field("carrier", format!("no carrier '{name}'")))?
        .id)
}

/// The `kpi…` parameters of a list: the records behind a scorecard figure, if asked for.
pub(crate) fn records_query(
    q: &mut ListQuery,
) -> ApiResult<Option<consign_app::kpis::RecordsQuery>> {
    let figure = q.text("kpi");
    let period = q.text("kpi_period");
    let outcome = q.text("kpi_outcome");
    let key = q.text("kpi_key");
    match figure {
        Some(figure) => Ok(Some(consign_app::kpis::RecordsQuery {
            figure,
            period,
            outcome,
            key,
        })),
        None if period.is_some() || outcome.is_some() || key.is_some() => Err(ApiError::field(
            "kpi",
            "kpi_period, kpi_outcome and kpi_key narrow a figure's records: name the figure",
        )),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use crate::openapi_schemas::written_out;
    use crate::routing::BodyLimit;

    /// The router collects a written-out schema through its type; it must come out as written.
    #[test]
    fn written_out_schemas_survive_the_round_trip() {
        let (_, doc, _) = super::routes().into_parts();
        let collected = doc.components.map(|c| c.schemas).unwrap_or_default();
        for (name, written) in written_out() {
            let schema = collected
                .get(&name)
                .unwrap_or_else(|| panic!("no route answers with {name}"));
            assert_eq!(serde_json::to_value(schema).unwrap(), written, "{name}");
        }
    }

    #[test]
    fn every_limited_route_is_a_documented_path() {
        let (_, doc, limits) = super::routes().into_parts();
        for path in limits.paths() {
            assert!(
                doc.paths.paths.contains_key(path),
                "{path} is not documented"
            );
        }
        for (path, limit) in [
            (
                "/api/v1/tenants/{tenant}/tracking-events",
                BodyLimit::Events,
            ),
            (
                "/api/v1/tenants/{tenant}/webhooks/{format}",
                BodyLimit::Events,
            ),
            ("/api/v1/tenants/{tenant}/edi", BodyLimit::Edi),
            (
                "/api/v1/tenants/{tenant}/shipments/{id}/documents",
                BodyLimit::Document,
            ),
            ("/api/v1/tenants/{tenant}/orders", BodyLimit::Json),
            ("/login", BodyLimit::Json),
        ] {
            assert_eq!(limits.for_route(Some(path)), limit, "{path}");
        }
    }
}
