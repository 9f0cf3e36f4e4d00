//! Signing in and out of the dashboard: the sign-in page and form (back to the page asked
//! for, never off this site) and the sign-out form.

use super::render;
use crate::AppState;
use crate::api::session::session_cookie;
use crate::auth::{Authenticated, SESSION_COOKIE, Via};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
}

/// Where a sign-in may send the person on: a path of this site only (`/app…`), never
/// another origin (`//evil`, `https://…`) — an open redirect would make the login page a
/// phishing tool.
fn local_page(next: &str) -> Option<&str> {
    (next.starts_with("/app") && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    email: String,
    /// The page to go on to after signing in (empty: the home page).
    next: String,
}

async fn login_page(Query(q): Query<HashMap<String, String>>) -> Response {
    render(LoginPage {
        error: None,
        email: String::new(),
        next: q
            .get("next")
            .and_then(|n| local_page(n))
            .unwrap_or_default()
            .to_string(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_submit(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    if !crate::auth::same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site sign-in refused").into_response();
    }
    match st.app.login(&f.email, &f.password).await {
        Ok((secret, _, _)) => (
            jar.add(session_cookie(secret, st.cfg.secure_cookies)),
            Redirect::to(local_page(&f.next).unwrap_or("/app")),
        )
            .into_response(),
        Err(_) => {
            let page = render(LoginPage {
                error: Some("E-mail or password is wrong.".into()),
                next: local_page(&f.next).unwrap_or_default().to_string(),
                email: f.email,
            });
            (StatusCode::UNAUTHORIZED, page).into_response()
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(st): State<AppState>,
    jar: CookieJar,
    auth: Option<Extension<Authenticated>>,
    Form(f): Form<LogoutForm>,
) -> Response {
    if let Some(Extension(Authenticated {
        via: Via::Session { secret, csrf, .. },
        ..
    })) = auth
    {
        if !bool::from(f.csrf.as_bytes().ct_eq(csrf.as_bytes())) {
            return (StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response();
        }
        let _ = st.app.logout(&secret).await;
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/").build()),
        Redirect::to("/login"),
    )
        .into_response()
}
