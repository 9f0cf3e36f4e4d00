//! Messages on cases: an agent sends a templated or free-text e-mail, replies come back (on
//! the case, or through the mail relay by reply token), the case's messages with their
//! delivery states; and the tenant's message templates with a preview against a real case.

use crate::api::cases::{CaseView, case_id, if_match, with_etag};
use crate::api::messages::DeliveryPage;
use crate::api::{Page, TenantSlug};
use crate::api::{Tenanted, TenantedJson};
use crate::error::{ApiResult, Problem};
use crate::openapi_schemas::page_schema;
use crate::routing::ApiRoutes;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use consign_app::messages::outbox::Delivery;
use consign_app::messages::send::{InboundEmail, InboundMessage, OutgoingMessage};
use consign_app::messages::templates::TemplateView;
use consign_core::message::outbox::OutboxMessage;
use consign_core::message::{Rendered, Template};
use serde::Serialize;
use utoipa_axum::routes;

page_schema!(TemplatePage => TemplateView);

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(routes!(case_messages, receive))
        .routes(routes!(send))
        .routes(routes!(preview))
        .routes(routes!(inbound_email))
        .routes(routes!(list_templates, put_template))
        .routes(routes!(delete_template))
}

/// A case after a message was sent on it, and the message as queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SentView {
    pub case: CaseView,
    pub message: OutboxMessage,
}

/// Send an e-mail on a case to the customer, the client or the carrier
///
/// A template by name (the tenant's own or a default) rendered against the case, or free text.
/// Written as a `message_out` entry and an outbox message in one transaction; delivered by
/// the outbox worker (see `…/cases/{id}/messages` for its state). With `If-Match`, refused
/// with 412 if the case changed meanwhile.
#[utoipa::path(
    post,
    path = "/cases/{id}/messages/send",
    operation_id = "post_cases__id__messages_send",
    params(
        TenantSlug,
        ("id" = String, Path, description = "The case's id"),
        ("If-Match" = Option<String>, Header, description = "The case version the message was decided on, as its ETag"),
    ),
    request_body = OutgoingMessage,
    responses(
        (status = 200, description = "The case and the queued message", body = SentView),
        (status = 412, description = "The case changed meanwhile", body = Problem),
    )
)]
pub async fn send(
    headers: HeaderMap,
    TenantedJson {
        st,
        p,
        t,
        body,
        path,
    }: TenantedJson<OutgoingMessage, String>,
) -> ApiResult<Response> {
    let id = case_id(&path)?;
    let (case, timeline, message) = st
        .app
        .send_case_message(&p, &t, id, body, if_match(&headers)?)
        .await?;
    let version = case.version;
    Ok(with_etag(
        version,
        Json(SentView {
            case: CaseView::of(&st, &p, &t, case, timeline).await?,
            message,
        }),
    ))
}

/// The messages sent on a case, newest first, with their delivery states
#[utoipa::path(
    get,
    path = "/cases/{id}/messages",
    operation_id = "get_cases__id__messages",
    params(TenantSlug, ("id" = String, Path, description = "The case's id")),
    responses((status = 200, description = "The case's messages and their attempts", body = DeliveryPage))
)]
pub async fn case_messages(
    Tenanted { st, p, t, path }: Tenanted<String>,
) -> ApiResult<Json<Page<Delivery>>> {
    Ok(Json(Page::whole(
        st.app.case_messages(&p, &t, case_id(&path)?).await?,
    )))
}

/// Attach a reply to a case (`message_in`); a case waiting on someone is open again
#[utoipa::path(
    post,
    path = "/cases/{id}/messages",
    operation_id = "post_cases__id__messages",
    params(TenantSlug, ("id" = String, Path, description = "The case's id")),
    request_body = InboundMessage,
    responses((status = 200, description = "The case with the reply on its timeline", body = CaseView))
)]
pub async fn receive(
    TenantedJson {
        st,
        p,
        t,
        body,
        path,
    }: TenantedJson<InboundMessage, String>,
) -> ApiResult<Response> {
    let (case, timeline) = st
        .app
        .receive_case_message(&p, &t, case_id(&path)?, body)
        .await?;
    Ok(with_etag(
        case.version,
        Json(CaseView::of(&st, &p, &t, case, timeline).await?),
    ))
}

/// A mail relay hands over an e-mail sent to a reply address
///
/// Matched to its case by the reply token in the address (`reply+<token>@…`), else by the
/// `[CASE-…]` number in the subject; within this tenant only.
#[utoipa::path(
    post,
    path = "/inbound-email",
    operation_id = "post_inbound_email",
    params(TenantSlug),
    request_body = InboundEmail,
    responses((status = 200, description = "Which case the reply was attached to", body = RelayReceipt))
)]
pub async fn inbound_email(
    TenantedJson { st, p, t, body, .. }: TenantedJson<InboundEmail>,
) -> ApiResult<Json<RelayReceipt>> {
    let (case, _) = st.app.receive_email(&p, &t, body).await?;
    Ok(Json(RelayReceipt {
        case_id: case.id,
        number: case.number,
        status: case.status.as_str().to_string(),
    }))
}

/// What a mail relay learns of the case its e-mail went to (it reads no case).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RelayReceipt {
    pub case_id: consign_core::ids::CaseId,
    pub number: String,
    pub status: String,
}

/// Render a template against a real case, sending nothing
#[utoipa::path(
    post,
    path = "/cases/{id}/messages/preview",
    operation_id = "post_cases__id__messages_preview",
    params(TenantSlug, ("id" = String, Path, description = "The case's id")),
    request_body = Template,
    responses((status = 200, description = "The subject, text and HTML bodies as they would go out", body = Rendered))
)]
pub async fn preview(
    TenantedJson {
        st,
        p,
        t,
        body,
        path,
    }: TenantedJson<Template, String>,
) -> ApiResult<Json<Rendered>> {
    Ok(Json(
        st.app
            .preview_template(&p, &t, case_id(&path)?, &body)
            .await?,
    ))
}

/// The message templates in force: the tenant's own and the product's defaults
#[utoipa::path(
    get,
    path = "/message-templates",
    operation_id = "get_message_templates",
    params(TenantSlug),
    responses((status = 200, description = "Every template, with its source", body = TemplatePage))
)]
pub async fn list_templates(
    Tenanted { st, p, t, .. }: Tenanted,
) -> ApiResult<Json<Page<TemplateView>>> {
    Ok(Json(Page::whole(st.app.list_templates(&p, &t).await?)))
}

/// Save a tenant template (checked: a syntax error names its line, an unknown variable its name)
#[utoipa::path(
    put,
    path = "/message-templates",
    operation_id = "put_message_templates",
    params(TenantSlug),
    request_body = Template,
    responses((status = 200, description = "The template as saved; it overrides a default of the same name and language", body = Template))
)]
pub async fn put_template(
    TenantedJson { st, p, t, body, .. }: TenantedJson<Template>,
) -> ApiResult<Json<Template>> {
    Ok(Json(st.app.put_template(&p, &t, body).await?))
}

/// Remove a tenant template (the default of its name, if any, is in force again)
#[utoipa::path(
    delete,
    path = "/message-templates/{name}/{language}",
    operation_id = "delete_message_templates__name___language_",
    params(
        TenantSlug,
        ("name" = String, Path, description = "The template's name"),
        ("language" = String, Path, description = "Its language"),
    ),
    responses((status = 204, description = "Removed"))
)]
pub async fn delete_template(
    Tenanted { st, p, t, path }: Tenanted<(String, String)>,
) -> ApiResult<StatusCode> {
    st.app.delete_template(&p, &t, &path.0, &path.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
