//! Message endpoints: webhook endpoints as their owners manage them (register, change,
//! disable, rotate the secret, read the delivery log, replay a delivery) and the tenant's
//! outbox as administrators see it (dead letters, retried by hand).

use crate::api::{Created, Tenanted, TenantedJson, created};
use crate::api::{ListQuery, Page, PageParams, TenantSlug};
use crate::error::{ApiError, ApiResult};
use crate::openapi_schemas::page_schema;
use crate::routing::ApiRoutes;
use axum::Json;
use axum::extract::Query;
use consign_app::messages::endpoints::{EndpointView, IssuedSecret};
use consign_app::messages::outbox::Delivery;
use consign_core::message::endpoint::NewEndpoint;
use consign_core::message::outbox::DeliveryState;
use consign_store::OutboxFilter;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa_axum::routes;
use uuid::Uuid;

page_schema!(EndpointPage => EndpointView, DeliveryPage => Delivery);

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(list_endpoints, create_endpoint))
        .routes(routes!(get_endpoint, update_endpoint, disable_endpoint))
        .routes(routes!(rotate_secret))
        .routes(routes!(deliveries))
        .routes(routes!(replay))
        .routes(routes!(list_outbox))
        .routes(routes!(retry))
}

fn id(s: &str, what: &str) -> ApiResult<Uuid> {
    s.parse()
        .map_err(|_| ApiError::not_found(&format!("{what} {s}")))
}

/// The tenant's webhook endpoints (a carrier sees its own)
#[utoipa::path(
    get,
    path = "/webhook-endpoints",
    operation_id = "get_webhook_endpoints",
    params(TenantSlug),
    responses((status = 200, description = "Every endpoint the caller manages", body = EndpointPage))
)]
pub async fn list_endpoints(
    Tenanted { st, p, t, .. }: Tenanted,
) -> ApiResult<Json<Page<EndpointView>>> {
    Ok(Json(Page::whole(st.app.list_endpoints(&p, &t).await?)))
}

/// Register a webhook endpoint; the answer carries its signing secret, shown once
///
/// Deliveries are signed as the Standard Webhooks specification says (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`). A URL that is not
/// http(s), or that leads to a loopback, private or link-local address the administrator has
/// not allowed, is refused.
#[utoipa::path(
    post,
    path = "/webhook-endpoints",
    operation_id = "post_webhook_endpoints",
    params(TenantSlug),
    request_body = NewEndpoint,
    responses((status = 201, description = "The endpoint and its secret (`whsec_…`)", body = IssuedSecret))
)]
pub async fn create_endpoint(
    TenantedJson { st, p, t, body, .. }: TenantedJson<NewEndpoint>,
) -> ApiResult<Created<IssuedSecret>> {
    Ok(created(st.app.create_endpoint(&p, &t, body).await?))
}

/// One webhook endpoint
#[utoipa::path(
    get,
    path = "/webhook-endpoints/{id}",
    operation_id = "get_webhook_endpoints__id_",
    params(TenantSlug, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint (never its secrets)", body = EndpointView))
)]
pub async fn get_endpoint(
    Tenanted { st, p, t, path }: Tenanted<String>,
) -> ApiResult<Json<EndpointView>> {
    Ok(Json(
        st.app
            .get_endpoint(&p, &t, id(&path, "webhook endpoint")?)
            .await?,
    ))
}

/// An endpoint's new URL, description, events, and whether it is enabled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointChange {
    pub url: String,
    #[serde(default)]
    pub description: String,
    pub events: Vec<String>,
    /// `true` re-enables an endpoint disabled by its owner or by a 410; `false` disables it.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Change a webhook endpoint
#[utoipa::path(
    put,
    path = "/webhook-endpoints/{id}",
    operation_id = "put_webhook_endpoints__id_",
    params(TenantSlug, ("id" = String, Path, description = "The endpoint's id")),
    request_body = EndpointChange,
    responses((status = 200, description = "The endpoint as changed", body = EndpointView))
)]
pub async fn update_endpoint(
    TenantedJson {
        st,
        p,
        t,
        body,
        path,
    }: TenantedJson<EndpointChange, String>,
) -> ApiResult<Json<EndpointView>> {
    let new = NewEndpoint {
        url: body.url,
        description: body.description,
        events: body.events,
    };
    Ok(Json(
        st.app
            .update_endpoint(&p, &t, id(&path, "webhook endpoint")?, new, body.enabled)
            .await?,
    ))
}

/// Disable a webhook endpoint; its pending messages become dead letters, its log stays
#[utoipa::path(
    delete,
    path = "/webhook-endpoints/{id}",
    operation_id = "delete_webhook_endpoints__id_",
    params(TenantSlug, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint, disabled", body = EndpointView))
)]
pub async fn disable_endpoint(
    Tenanted { st, p, t, path }: Tenanted<String>,
) -> ApiResult<Json<EndpointView>> {
    Ok(Json(
        st.app
            .disable_endpoint(&p, &t, id(&path, "webhook endpoint")?)
            .await?,
    ))
}

/// Issue a new signing secret; the previous one keeps signing for 24 hours
#[utoipa::path(
    post,
    path = "/webhook-endpoints/{id}/rotate-secret",
    operation_id = "post_webhook_endpoints__id__rotate_secret",
    params(TenantSlug, ("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The new secret, shown once; deliveries carry both signatures meanwhile", body = IssuedSecret))
)]
pub async fn rotate_secret(
    Tenanted { st, p, t, path }: Tenanted<String>,
) -> ApiResult<Json<IssuedSecret>> {
    Ok(Json(
        st.app
            .rotate_endpoint_secret(&p, &t, id(&path, "webhook endpoint")?)
            .await?,
    ))
}

/// An endpoint's delivery log: its messages, newest first, with every attempt
#[utoipa::path(
    get,
    path = "/webhook-endpoints/{id}/deliveries",
    operation_id = "get_webhook_endpoints__id__deliveries",
    params(
        TenantSlug,
        ("id" = String, Path, description = "The endpoint's id"),
        PageParams,
    ),
    responses((status = 200, description = "A page of deliveries", body = DeliveryPage))
)]
pub async fn deliveries(
    Tenanted { st, p, t, path }: Tenanted<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Delivery>>> {
    let mut q = ListQuery::new(q, &[]);
    let limit = q.limit();
    let before = q.cursor::<Uuid>();
    q.finish()?;
    let items = st
        .app
        .endpoint_deliveries(&p, &t, id(&path, "webhook endpoint")?, before, limit)
        .await?;
    Ok(Json(Page::limited(items, limit, |d| d.message.id)))
}

/// Deliver one of the endpoint's messages again, with the same `webhook-id`
#[utoipa::path(
    post,
    path = "/webhook-endpoints/{id}/deliveries/{message}/replay",
    operation_id = "post_webhook_endpoints__id__deliveries__message__replay",
    params(
        TenantSlug,
        ("id" = String, Path, description = "The endpoint's id"),
        ("message" = String, Path, description = "The message's id"),
    ),
    responses((status = 200, description = "The message, due again", body = Delivery))
)]
pub async fn replay(
    Tenanted { st, p, t, path }: Tenanted<(String, String)>,
) -> ApiResult<Json<Delivery>> {
    let (endpoint, message) = path;
    Ok(Json(
        st.app
            .replay_delivery(
                &p,
                &t,
                id(&endpoint, "webhook endpoint")?,
                id(&message, "delivery")?,
            )
            .await?,
    ))
}

/// The tenant's outbox, newest first; `?state=dead` is the dead-letter list (administrators)
#[utoipa::path(
    get,
    path = "/outbox",
    operation_id = "get_outbox",
    params(
        TenantSlug,
        ("state" = Option<String>, Query, description = "`pending`, `delivered` or `dead`"),
        ("endpoint" = Option<String>, Query, description = "Only this endpoint's (its id)"),
        PageParams,
    ),
    responses((status = 200, description = "A page of messages with their attempts", body = DeliveryPage))
)]
pub async fn list_outbox(
    Tenanted { st, p, t, .. }: Tenanted,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Delivery>>> {
    let mut q = ListQuery::new(q, &["state", "endpoint"]);
    let filter = OutboxFilter {
        state: q.parse("state", DeliveryState::parse),
        endpoint: q.parse("endpoint", |s| {
            s.parse::<Uuid>()
                .map_err(|_| format!("'{s}' is not an endpoint id"))
        }),
        case: None,
        limit: q.limit(),
        before: q.cursor::<Uuid>(),
    };
    q.finish()?;
    let items = st.app.list_outbox(&p, &t, &filter).await?;
    Ok(Json(Page::limited(items, filter.limit, |d| d.message.id)))
}

/// Retry a dead letter by hand: due now, with the same dedup key
#[utoipa::path(
    post,
    path = "/outbox/{id}/retry",
    operation_id = "post_outbox__id__retry",
    params(TenantSlug, ("id" = String, Path, description = "The message's id")),
    responses((status = 200, description = "The message, pending again", body = Delivery))
)]
pub async fn retry(Tenanted { st, p, t, path }: Tenanted<String>) -> ApiResult<Json<Delivery>> {
    Ok(Json(
        st.app.retry_message(&p, &t, id(&path, "message")?).await?,
    ))
}
