//! Administration endpoints: tenants, users, tokens, carriers, warehouses, customers, audit.

use crate::AppState;
use crate::api::{ListQuery, Page};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use consign_app::admin::{NewToken, NewUser};
use consign_app::require;
use consign_core::access::{ApiToken, Capability, User};
use consign_core::ids::{CustomerId, TokenId};
use consign_core::party::{Carrier, Customer, NewCarrier, NewWarehouse, Warehouse};
use consign_core::tenant::{NewTenant, Tenant};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

pub async fn list_tenants(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Page<Tenant>>> {
    Ok(Json(Page {
        items: st.app.list_tenants(&p).await?,
        next_cursor: None,
    }))
}

pub async fn create_tenant(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(body): ApiJson<NewTenant>,
) -> ApiResult<(StatusCode, Json<Tenant>)> {
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_tenant(&p, body).await?),
    ))
}

pub async fn get_tenant(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Tenant>> {
    Ok(Json(st.app.tenant_for(&p, &slug).await?))
}

pub async fn list_users(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(Page {
        items: st.app.list_users(&p).await?,
        next_cursor: None,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// Present only when the server generated the password; shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

pub async fn create_user(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    let (user, password) = st.app.create_user(&p, body).await?;
    Ok((StatusCode::CREATED, Json(CreatedUser { user, password })))
}

pub async fn list_tokens(
    State(st): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<Json<Page<ApiToken>>> {
    Ok(Json(Page {
        items: st.app.list_tokens(&p).await?,
        next_cursor: None,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret, shown this once; only its hash is stored.
    pub secret: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let (token, secret) = st.app.create_token(&p, body).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

pub async fn revoke_token(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: TokenId = id.parse().map_err(|_| ApiError::not_found("token"))?;
    st.app.revoke_token(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_carriers(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Page<Carrier>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(Page {
        items: st.app.list_carriers(&p, &t).await?,
        next_cursor: None,
    }))
}

pub async fn create_carrier(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewCarrier>,
) -> ApiResult<(StatusCode, Json<Carrier>)> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_carrier(&p, &t, body).await?),
    ))
}

pub async fn list_warehouses(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Page<Warehouse>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok(Json(Page {
        items: st.app.list_warehouses(&p, &t).await?,
        next_cursor: None,
    }))
}

pub async fn create_warehouse(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewWarehouse>,
) -> ApiResult<(StatusCode, Json<Warehouse>)> {
    let t = st.app.tenant_for(&p, &slug).await?;
    Ok((
        StatusCode::CREATED,
        Json(st.app.create_warehouse(&p, &t, body).await?),
    ))
}

pub async fn list_customers(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Customer>>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    require(&p, Capability::ReadOrders)?;
    let mut q = ListQuery::new(q, &[]);
    let limit = q.limit();
    let after: Option<CustomerId> = q.cursor();
    q.finish()?;
    let items = st
        .app
        .store
        .customers(t.id, after, limit)
        .await
        .map_err(consign_app::AppError::from)?;
    let next_cursor = consign_store::next_cursor(&items, limit, |c| c.id);
    Ok(Json(Page { items, next_cursor }))
}

/// The audit trail of one entity, newest last: who changed what, before and after.
pub async fn entity_audit(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((slug, entity, id)): Path<(String, String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let t = st.app.tenant_for(&p, &slug).await?;
    require(&p, Capability::ReadAudit)?;
    let recs = st
        .app
        .store
        .audit_for_entity(t.id.0, &entity, &id)
        .await
        .map_err(consign_app::AppError::from)?;
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
