//! Administration in the browser: the people and the API tokens of the installation (a new
//! token's secret shown once, on the page that made it; revoking one), and each tenant's
//! outbox with its dead letters, retried by hand. The use cases refuse whoever may not
//! (full administrators for people and tokens, `ManageOutbox` for the outbox), and the page
//! shows that refusal as the 403 page.

use super::{Frame, PathId, TenantPage, Viewer, error_page, local, query_value, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use consign_app::AppError;
use consign_app::admin::NewToken;
use consign_core::access::Role;
use consign_core::ids::TokenId;
use consign_core::message::outbox::DeliveryState;
use consign_store::OutboxFilter;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/admin", get(admin_page))
        .route("/app/admin/tokens", post(create_token))
        .route("/app/admin/tokens/{id}/revoke", post(revoke_token))
        .route("/app/{tenant}/outbox", get(outbox_page))
        .route("/app/{tenant}/outbox/{id}/retry", post(retry))
}

struct UserRow {
    name: String,
    email: String,
    role: &'static str,
    tenants: String,
    disabled: bool,
}

struct TokenRow {
    id: String,
    name: String,
    role: &'static str,
    tenant: String,
    created: String,
    expires: String,
    revoked: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    frame: Frame,
    users: Vec<UserRow>,
    tokens: Vec<TokenRow>,
    roles: Vec<&'static str>,
    /// A token just made: its name and its secret, shown this once.
    issued: Option<(String, String)>,
    problem: Option<String>,
    done: Option<String>,
}

async fn admin_page(
    State(st): State<AppState>,
    v: Viewer,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    show_admin(&st, v, None, None, q.get("done").cloned()).await
}

async fn show_admin(
    st: &AppState,
    v: Viewer,
    issued: Option<(String, String)>,
    problem: Option<String>,
    done: Option<String>,
) -> Response {
    let p = &v.principal;
    let (users, tokens) = match (st.app.list_users(p).await, st.app.list_tokens(p).await) {
        (Ok(u), Ok(t)) => (u, t),
        (Err(e), _) | (_, Err(e)) => return error_page(e),
    };
    let name_of: HashMap<_, _> = v.tenants.iter().map(|t| (t.id, t.slug.clone())).collect();
    let now = st.app.now();
    let page = AdminPage {
        users: users
            .into_iter()
            .map(|u| UserRow {
                tenants: if u.tenants.is_empty() {
                    "all".into()
                } else {
                    u.tenants
                        .iter()
                        .filter_map(|t| name_of.get(t).cloned())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                name: u.name,
                email: u.email,
                role: u.role.as_str(),
                disabled: u.disabled,
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .rev()
            .map(|t| TokenRow {
                id: t.id.to_string(),
                active: t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now),
                tenant: t
                    .tenant_id
                    .and_then(|id| name_of.get(&id).cloned())
                    .unwrap_or_else(|| "all".into()),
                created: local(Some(t.created_at), &TimeZone::UTC),
                expires: local(t.expires_at, &TimeZone::UTC),
                revoked: local(t.revoked_at, &TimeZone::UTC),
                name: t.name,
                role: t.role.as_str(),
            })
            .collect(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        issued,
        problem,
        done,
        frame: v.into(),
    };
    let mut res = render(page);
    // A page that may hold a secret is never stored by the browser or a proxy.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

#[derive(serde::Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    expires_in_days: String,
}

async fn create_token(State(st): State<AppState>, v: Viewer, Form(f): Form<TokenForm>) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let role = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(e) => {
            let why = format!("role: {e}");
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                show_admin(&st, v, None, Some(why), None).await,
            )
                .into_response();
        }
    };
    let expires_at = match f.expires_in_days.trim() {
        "" => Ok(None),
        d => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => Ok(Some(
                st.app.now() + jiff::SignedDuration::from_hours(24 * n),
            )),
            _ => Err(format!(
                "expires in days: '{d}' is not a number of days from 1 to 3650"
            )),
        },
    };
    let expires_at = match expires_at {
        Ok(x) => x,
        Err(why) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                show_admin(&st, v, None, Some(why), None).await,
            )
                .into_response();
        }
    };
    let new = NewToken {
        name: f.name.trim().to_string(),
        role,
        tenant: Some(f.tenant.trim().to_string()).filter(|t| !t.is_empty()),
        carrier: None,
        scopes: None,
        expires_at,
    };
    match st.app.create_token(&v.principal, new).await {
        // Shown on this answer only: no redirect, which would need the secret in the URL.
        Ok((t, secret)) => show_admin(&st, v, Some((t.name, secret)), None, None).await,
        Err(e) => {
            let why = e.to_string();
            let status = crate::error::ApiError::from(e).status;
            (status, show_admin(&st, v, None, Some(why), None).await).into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn revoke_token(
    State(st): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    let Ok(id) = id.parse::<TokenId>() else {
        return error_page(AppError::NotFound(format!("token {id}")));
    };
    match st.app.revoke_token(&v.principal, id).await {
        Ok(()) => Redirect::to("/app/admin?done=token%20revoked").into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) struct MessageRow {
    pub(super) id: String,
    pub(super) transport: &'static str,
    pub(super) recipient: String,
    pub(super) kind: String,
    pub(super) subject: String,
    pub(super) state: &'static str,
    pub(super) attempts: u32,
    pub(super) last: String,
    pub(super) created: String,
    pub(super) log: Vec<String>,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    frame: Frame,
    slug: String,
    tenant_name: String,
    zone: String,
    state: String,
    rows: Vec<MessageRow>,
    done: Option<String>,
}

async fn outbox_page(
    TenantPage { st, v, t, .. }: TenantPage,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let state = q.get("state").cloned().unwrap_or_else(|| "dead".into());
    let filter = OutboxFilter {
        state: DeliveryState::parse(&state).ok(),
        limit: 100,
        ..Default::default()
    };
    let list = match st.app.list_outbox(&v.principal, &t, &filter).await {
        Ok(l) => l,
        Err(e) => return error_page(e),
    };
    let tz = TimeZone::get(&t.time_zone).unwrap_or(TimeZone::UTC);
    let rows = list.into_iter().map(|d| message_row(d, &tz)).collect();
    render(OutboxPage {
        slug: t.slug.clone(),
        tenant_name: t.name.clone(),
        zone: t.time_zone.clone(),
        state,
        rows,
        done: q.get("done").cloned(),
        frame: v.into(),
    })
}

/// One outbox message as the outbox and the endpoint pages list it, with its attempts.
pub(super) fn message_row(d: consign_app::messages::outbox::Delivery, tz: &TimeZone) -> MessageRow {
    let m = d.message;
    MessageRow {
        id: m.id.to_string(),
        transport: m.transport.as_str(),
        recipient: m.recipient,
        kind: m.kind,
        subject: m.subject,
        state: m.state.as_str(),
        attempts: m.attempts,
        last: match (m.last_status, m.last_error) {
            (Some(s), Some(e)) => format!("{s}: {e}"),
            (Some(s), None) => s.to_string(),
            (None, Some(e)) => e,
            (None, None) => String::new(),
        },
        created: local(Some(m.created_at), tz),
        log: d
            .attempts_log
            .iter()
            .map(|a| {
                format!(
                    "#{} {} {} in {} ms{}",
                    a.attempt,
                    local(Some(a.at), tz),
                    a.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "—".into()),
                    a.duration_ms,
                    a.error
                        .as_ref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                )
            })
            .collect(),
    }
}

async fn retry(
    TenantPage {
        st,
        v,
        t,
        path: PathId(id),
    }: TenantPage<PathId<uuid::Uuid>>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = v.check_csrf(&f.csrf) {
        return r;
    }
    match st.app.retry_message(&v.principal, &t, id).await {
        Ok(_) => Redirect::to(&format!(
            "/app/{}/outbox?state=dead&done={}",
            t.slug,
            query_value("the message is due again")
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}
