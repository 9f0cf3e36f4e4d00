//! KPI endpoints: the tenant's KPI definitions, versioned (the scorecards come next).

use crate::api::TenantSlug;
use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::error::{ApiError, ApiResult};
use crate::routing::ApiRoutes;
use axum::Json;
use consign_app::kpis::DefinitionsVersion;
use consign_core::kpi::KpiDefinitions;
use utoipa_axum::routes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(get_kpi_definitions, put_kpi_definitions))
        .routes(routes!(get_kpi_definitions_version))
}

/// The tenant's KPI definitions in force: on-time window, in-full rule, exclusions
#[utoipa::path(
    get,
    path = "/kpi-definitions",
    operation_id = "get_kpi_definitions",
    params(TenantSlug),
    responses((status = 200, description = "The version in force (0: SPEC's defaults)", body = DefinitionsVersion))
)]
pub async fn get_kpi_definitions(
    Tenanted { st, p, t, .. }: Tenanted,
) -> ApiResult<Json<DefinitionsVersion>> {
    Ok(Json(st.app.kpi_definitions(&p, &t).await?))
}

/// One stored version of the tenant's KPI definitions
#[utoipa::path(
    get,
    path = "/kpi-definitions/{version}",
    operation_id = "get_kpi_definitions_version",
    params(TenantSlug, ("version" = String, Path, description = "The version number; 0 is the defaults")),
    responses((status = 200, description = "That version", body = DefinitionsVersion))
)]
pub async fn get_kpi_definitions_version(
    Tenanted {
        st,
        p,
        t,
        path: version,
    }: Tenanted<String>,
) -> ApiResult<Json<DefinitionsVersion>> {
    // A version that is not a number names no version: the same 404 as one never stored.
    let v: i64 = version
        .parse()
        .map_err(|_| ApiError::not_found(&format!("KPI definitions version {version}")))?;
    Ok(Json(st.app.kpi_definitions_version(&p, &t, v).await?))
}

/// Store a new version of the tenant's KPI definitions (the contract's terms)
#[utoipa::path(
    put,
    path = "/kpi-definitions",
    operation_id = "put_kpi_definitions",
    params(TenantSlug),
    request_body = KpiDefinitions,
    responses((status = 201, description = "The new version, now in force", body = DefinitionsVersion))
)]
pub async fn put_kpi_definitions(
    TenantedJson {
        st,
        p,
        t,
        body: definitions,
        ..
    }: TenantedJson<KpiDefinitions>,
) -> ApiResult<Created<DefinitionsVersion>> {
    Ok(created(
        st.app.put_kpi_definitions(&p, &t, definitions).await?,
    ))
}
