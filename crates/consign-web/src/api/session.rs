//! Sign-in for people: `POST /api/v1/session` checks the password and sets an HttpOnly,
//! SameSite=Lax session cookie; the response carries the CSRF token the browser must echo.

use crate::AppState;
use crate::auth::{Authenticated, SESSION_COOKIE, Via};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::openapi_schemas::{Session, Whoami};
use crate::routing::ApiRoutes;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::routes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new().routes(routes!(login, whoami, logout))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

pub fn session_cookie(secret: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        // No Max-Age: the cookie ends with the browser session; the server expires the
        // session itself after SESSION_HOURS.
        .build()
}

/// Sign in with e-mail and password; sets the session cookie and returns the CSRF token
///
/// Refused (403) when posted from another site.
#[utoipa::path(
    post,
    path = "/session",
    operation_id = "post_api_v1_session",
    request_body = Login,
    responses((status = 201, description = "Signed in: the session cookie is set; send `csrf_token` as X-CSRF-Token on unsafe requests", body = Session))
)]
pub async fn login(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<Response> {
    if !crate::auth::same_origin(&headers) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross-site",
            "Cross-site sign-in refused",
            "sign in from Consign's own pages".to_string(),
        ));
    }
    let (secret, csrf, user) = st.app.login(&body.email, &body.password).await?;
    let jar = jar.add(session_cookie(secret, st.cfg.secure_cookies));
    Ok((
        StatusCode::CREATED,
        jar,
        Json(json!({ "user": user, "csrf_token": csrf })),
    )
        .into_response())
}

/// Sign out
///
/// Ends the cookie session and clears the cookie; a cookie session must send its CSRF token.
#[utoipa::path(
    delete,
    path = "/session",
    operation_id = "delete_api_v1_session",
    responses((status = 204, description = "Signed out"))
)]
pub async fn logout(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    auth: Option<axum::Extension<Authenticated>>,
) -> ApiResult<Response> {
    if let Some(axum::Extension(auth)) = auth {
        // Ending a session is an unsafe request like any other: a cross-site page must not be
        // able to sign a user out.
        crate::auth::check_csrf(&auth, &axum::http::Method::DELETE, &headers)?;
        if let Via::Session { secret, .. } = auth.via {
            st.app.logout(&secret).await?;
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    Ok((StatusCode::NO_CONTENT, jar).into_response())
}

/// Who is calling: actor, role, capabilities
#[utoipa::path(
    get,
    path = "/session",
    operation_id = "get_api_v1_session",
    responses((status = 200, description = "The caller; `csrf_token` only for cookie sessions", body = Whoami))
)]
pub async fn whoami(
    auth: Option<axum::Extension<Authenticated>>,
) -> ApiResult<Json<serde_json::Value>> {
    let Some(axum::Extension(a)) = auth else {
        return Err(ApiError::unauthenticated("not signed in"));
    };
    let p = &a.principal;
    let caps: Vec<&str> = consign_core::access::Capability::ALL
        .into_iter()
        .filter(|c| p.can(*c))
        .map(|c| c.scope_name())
        .collect();
    let csrf = match &a.via {
        Via::Session { csrf, .. } => Some(csrf.clone()),
        Via::Token => None,
    };
    Ok(Json(
        json!({ "actor": p.actor, "role": p.role, "capabilities": caps, "csrf_token": csrf }),
    ))
}
