//! Administration endpoints: tenants, users, tokens, carriers, warehouses, customers, audit.

use crate::AppState;
use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::api::{ListQuery, Page, PageParams, TenantSlug};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi_schemas::{AuditPage, page_schema};
use crate::routing::ApiRoutes;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use consign_app::admin::{NewToken, NewUser};
use consign_core::access::{ApiToken, User};
use consign_core::ids::{CustomerId, TokenId};
use consign_core::party::{Carrier, Customer, NewCarrier, NewWarehouse, Warehouse};
use consign_core::tenant::{NewTenant, Tenant};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use utoipa_axum::routes;

page_schema!(
    TenantPage => Tenant,
    UserPage => User,
    TokenPage => ApiToken,
    CarrierPage => Carrier,
    WarehousePage => Warehouse,
    CustomerPage => Customer,
);

/// Routes outside any tenant: tenants, users, tokens.
pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(list_users, create_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// Routes of one tenant: the tenant, its carriers, warehouses, customers and audit trail.
pub fn tenant_routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(get_tenant))
        .routes(routes!(list_carriers, create_carrier))
        .routes(routes!(list_warehouses, create_warehouse))
        .routes(routes!(list_customers))
        .routes(routes!(entity_audit))
}

/// Tenants the caller reaches
#[utoipa::path(
    get,
    path = "/tenants",
    operation_id = "get_api_v1_tenants",
    responses((status = 200, description = "Every tenant the caller reaches (one page)", body = TenantPage))
)]
pub async fn list_tenants(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Page<Tenant>>> {
    Ok(Json(Page::whole(st.app.list_tenants(&p).await?)))
}

/// Create a tenant (admin)
#[utoipa::path(
    post,
    path = "/tenants",
    operation_id = "post_api_v1_tenants",
    request_body = NewTenant,
    responses((status = 201, description = "The tenant as created", body = Tenant))
)]
pub async fn create_tenant(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(body): ApiJson<NewTenant>,
) -> ApiResult<Created<Tenant>> {
    Ok(created(st.app.create_tenant(&p, body).await?))
}

/// One tenant
#[utoipa::path(
    get,
    path = "/",
    operation_id = "get",
    params(TenantSlug),
    responses((status = 200, description = "The tenant", body = Tenant))
)]
pub async fn get_tenant(Tenanted { t, .. }: Tenanted) -> ApiResult<Json<Tenant>> {
    Ok(Json(t))
}

/// Users (admin)
#[utoipa::path(
    get,
    path = "/users",
    operation_id = "get_api_v1_users",
    responses((status = 200, description = "Every user (one page)", body = UserPage))
)]
pub async fn list_users(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(Page::whole(st.app.list_users(&p).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// Present only when the server generated the password; shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Create a user; a generated password is returned once
#[utoipa::path(
    post,
    path = "/users",
    operation_id = "post_api_v1_users",
    request_body = NewUser,
    responses((status = 201, description = "The user as created, with `password` when the server generated it", body = CreatedUser))
)]
pub async fn create_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<Created<CreatedUser>> {
    let (user, password) = st.app.create_user(&p, body).await?;
    Ok(created(CreatedUser { user, password }))
}

/// API tokens (admin); secrets are never returned
#[utoipa::path(
    get,
    path = "/tokens",
    operation_id = "get_api_v1_tokens",
    responses((status = 200, description = "Every token (one page), without secrets", body = TokenPage))
)]
pub async fn list_tokens(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Page<ApiToken>>> {
    Ok(Json(Page::whole(st.app.list_tokens(&p).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret, shown this once; only its hash is stored.
    pub secret: String,
}

/// Create an API token; the secret is returned once
#[utoipa::path(
    post,
    path = "/tokens",
    operation_id = "post_api_v1_tokens",
    request_body = NewToken,
    responses((status = 201, description = "The token and its secret, shown this once", body = CreatedToken))
)]
pub async fn create_token(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<Created<CreatedToken>> {
    let (token, secret) = st.app.create_token(&p, body).await?;
    Ok(created(CreatedToken { token, secret }))
}

/// Revoke a token
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    operation_id = "delete_api_v1_tokens__id_",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked: the token answers 401 from now on"))
)]
pub async fn revoke_token(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: TokenId = id.parse().map_err(|_| ApiError::not_found("token"))?;
    st.app.revoke_token(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's carriers
#[utoipa::path(
    get,
    path = "/carriers",
    operation_id = "get_carriers",
    params(TenantSlug),
    responses((status = 200, description = "Every carrier of the tenant (one page)", body = CarrierPage))
)]
pub async fn list_carriers(Tenanted { st, p, t, .. }: Tenanted) -> ApiResult<Json<Page<Carrier>>> {
    Ok(Json(Page::whole(st.app.list_carriers(&p, &t).await?)))
}

/// Add a carrier (admin)
#[utoipa::path(
    post,
    path = "/carriers",
    operation_id = "post_carriers",
    params(TenantSlug),
    request_body = NewCarrier,
    responses((status = 201, description = "The carrier as created", body = Carrier))
)]
pub async fn create_carrier(
    TenantedJson { st, p, t, body, .. }: TenantedJson<NewCarrier>,
) -> ApiResult<Created<Carrier>> {
    Ok(created(st.app.create_carrier(&p, &t, body).await?))
}

/// The tenant's warehouses
#[utoipa::path(
    get,
    path = "/warehouses",
    operation_id = "get_warehouses",
    params(TenantSlug),
    responses((status = 200, description = "Every warehouse of the tenant (one page)", body = WarehousePage))
)]
pub async fn list_warehouses(
    Tenanted { st, p, t, .. }: Tenanted,
) -> ApiResult<Json<Page<Warehouse>>> {
    Ok(Json(Page::whole(st.app.list_warehouses(&p, &t).await?)))
}

/// Add a warehouse (admin)
#[utoipa::path(
    post,
    path = "/warehouses",
    operation_id = "post_warehouses",
    params(TenantSlug),
    request_body = NewWarehouse,
    responses((status = 201, description = "The warehouse as created", body = Warehouse))
)]
pub async fn create_warehouse(
    TenantedJson { st, p, t, body, .. }: TenantedJson<NewWarehouse>,
) -> ApiResult<Created<Warehouse>> {
    Ok(created(st.app.create_warehouse(&p, &t, body).await?))
}

/// The tenant's customers (cursor pagination)
#[utoipa::path(
    get,
    path = "/customers",
    operation_id = "get_customers",
    params(
        TenantSlug,
        PageParams,
    ),
    responses((status = 200, description = "A page of customers, newest first", body = CustomerPage))
)]
pub async fn list_customers(
    Tenanted { st, p, t, .. }: Tenanted,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Customer>>> {
    let mut q = ListQuery::new(q, &[]);
    let limit = q.limit();
    let after: Option<CustomerId> = q.cursor();
    q.finish()?;
    let items = st.app.list_customers(&p, &t, after, limit).await?;
    Ok(Json(Page::limited(items, limit, |c| c.id)))
}

/// Audit trail of one entity (admin)
///
/// Oldest first: who changed what, before and after, with each record's chain hash.
#[utoipa::path(
    get,
    path = "/audit/{entity}/{id}",
    operation_id = "get_audit__entity___id_",
    params(
        TenantSlug,
        ("entity" = String, Path, description = "The entity type, e.g. `order` or `shipment`"),
        ("id" = String, Path, description = "The entity's id"),
    ),
    responses((status = 200, description = "The entity's audit records", body = AuditPage))
)]
pub async fn entity_audit(
    Tenanted {
        st,
        p,
        t,
        path: (entity, id),
    }: Tenanted<(String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let recs = st.app.entity_audit(&p, &t, &entity, &id).await?;
    let items: Vec<_> = recs
        .into_iter()
        .map(|r| {
            let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
            json!({
                "seq": r.seq, "at": r.entry.at, "actor": r.entry.actor, "action": r.entry.action,
                "before": parse(r.entry.before), "after": parse(r.entry.after), "hash": hex::encode(r.hash),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
