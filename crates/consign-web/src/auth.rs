//! Authentication: bearer API tokens for integrations, cookie sessions for people. A bad
//! bearer token is refused outright (401) rather than treated as anonymous. Cookie sessions
//! must echo their CSRF token in `X-CSRF-Token` on every unsafe API request; a cross-site
//! page can make the browser send the cookie but cannot read the token.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use consign_core::access::Principal;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "consign_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Clone)]
pub enum Via {
    Token,
    Session {
        secret: String,
        csrf: String,
        user_name: String,
        email: String,
    },
}

#[derive(Clone)]
pub struct Authenticated {
    pub principal: Principal,
    pub via: Via,
}

/// Resolves credentials once per request and leaves the result in the request extensions.
pub async fn authenticate(
    State(st): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(h) = req.headers().get(header::AUTHORIZATION) {
        // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are `Bearer`.
        let token = h
            .to_str()
            .ok()
            .and_then(|v| v.trim_start().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(token) = token else {
            return ApiError::unauthenticated("Authorization must be 'Bearer <token>'")
                .into_response();
        };
        match st.app.principal_for_token(token).await {
            Ok(p) => {
                req.extensions_mut().insert(Authenticated {
                    principal: p,
                    via: Via::Token,
                });
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else if let Some(c) = jar.get(SESSION_COOKIE)
        && let Ok((user, csrf)) = st.app.session(c.value()).await
    {
        req.extensions_mut().insert(Authenticated {
            principal: user.principal(),
            via: Via::Session {
                secret: c.value().to_string(),
                csrf,
                user_name: user.name.clone(),
                email: user.email.clone(),
            },
        });
    }
    next.run(req).await
}

/// Whether a request comes from our own pages: a sign-in posted from another site (login
/// CSRF: signing the victim in as the attacker) is refused. Browsers send `Sec-Fetch-Site` and,
/// on cross-origin POSTs, `Origin`; non-browser clients send neither and are not affected.
pub fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site == "cross-site"
    {
        return false;
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or("");
            let host = host.to_str().unwrap_or("");
            origin.split_once("://").is_some_and(|(_, h)| h == host)
        }
        _ => true,
    }
}

/// An authenticated API caller. Rejects with 401, or 403 when a cookie session omits the
/// CSRF token on an unsafe method.
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(auth) = parts.extensions.get::<Authenticated>().cloned() else {
            return Err(ApiError::unauthenticated(
                "send 'Authorization: Bearer <token>' or sign in",
            ));
        };
        check_csrf(&auth, &parts.method, &parts.headers)?;
        Ok(Caller(auth.principal))
    }
}

/// A cookie session's unsafe request must echo the session's CSRF token; bearer tokens are
/// not sent by browsers on their own, so they need none.
pub fn check_csrf(
    auth: &Authenticated,
    method: &Method,
    headers: &axum::http::HeaderMap,
) -> Result<(), ApiError> {
    if let Via::Session { csrf, .. } = &auth.via
        && !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let sent = headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or(b"");
        if !bool::from(sent.ct_eq(csrf.as_bytes())) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "CSRF token missing or wrong",
                format!("cookie sessions must send the session's CSRF token in {CSRF_HEADER}"),
            ));
        }
    }
    Ok(())
}
