//! Who is looking at a dashboard page, as extractors, so that no handler repeats the lookup:
//! [`Viewer`] (a person with a session; anyone else is sent to the sign-in page) and
//! [`TenantPage`] (the viewer and the tenant the path's `{tenant}` names, answered with the
//! same 404 outside their reach as for no such tenant). A posted form then proves it came
//! from its session's own pages with [`Viewer::check_csrf`].
//!
//! They fail in the order the handlers' first lines used to: no session first (to the
//! sign-in page, before the path is even read), then the tenant.

use super::error_page;
use crate::AppState;
use crate::api::tenanted::PathRest;
use crate::auth::{Authenticated, Via};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use consign_core::access::Principal;
use consign_core::tenant::Tenant;
use subtle::ConstantTimeEq;

/// Who is looking at a page: people with a session only (tokens are for the API).
pub(super) struct Viewer {
    pub principal: Principal,
    pub user_name: String,
    pub csrf: String,
    /// The tenants the viewer reaches, for the page's tenant menu.
    pub tenants: Vec<Tenant>,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Some(Authenticated {
            principal,
            via: Via::Session {
                csrf, user_name, ..
            },
        }) = parts.extensions.get::<Authenticated>().cloned()
        else {
            return Err(Redirect::to("/login").into_response());
        };
        let tenants = st.app.list_tenants(&principal).await.map_err(error_page)?;
        Ok(Viewer {
            principal,
            user_name,
            csrf,
            tenants,
        })
    }
}

impl Viewer {
    /// Refuses (403) a posted form whose token is not this session's, compared in constant
    /// time; a form is checked before anything it asks for is done.
    // A refusal is a whole response, the same type every handler answers with; it is made
    // once per refused form, so its size does not matter.
    #[allow(clippy::result_large_err)]
    pub(super) fn check_csrf(&self, given: &str) -> Result<(), Response> {
        if bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err((StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response())
        }
    }

    /// The tenant `slug` names, if the viewer reaches it (the same 404 as for none).
    pub(super) async fn tenant(&self, st: &AppState, slug: &str) -> Result<Tenant, Response> {
        st.app
            .tenant_for(&self.principal, slug)
            .await
            .map_err(error_page)
    }
}

/// A page of one tenant: the state, the viewer, the tenant the path's `{tenant}` names, and
/// the rest of the path (`()`, one id, or two).
pub(super) struct TenantPage<P = ()> {
    pub st: AppState,
    pub v: Viewer,
    pub t: Tenant,
    pub path: P,
}

impl<P: PathRest> FromRequestParts<AppState> for TenantPage<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let v = Viewer::from_request_parts(parts, st).await?;
        let (slug, path) = P::extract(parts, st).await?;
        let t = v.tenant(st, &slug).await?;
        Ok(TenantPage {
            st: st.clone(),
            v,
            t,
            path,
        })
    }
}

/// The id the path names after `{tenant}`, parsed as the page's kind of id: one that does not
/// parse answers the same 404 page as an id of nothing, before anything is read (a form with
/// such an id is refused so even before its CSRF token is looked at).
pub(super) struct PathId<T>(pub T);

impl<T: std::str::FromStr + Send> PathRest for PathId<T> {
    async fn extract(parts: &mut Parts, st: &AppState) -> Result<(String, Self), Response> {
        let (slug, id) = String::extract(parts, st).await?;
        match id.parse() {
            Ok(id) => Ok((slug, PathId(id))),
            Err(_) => Err(error_page(consign_app::AppError::NotFound(id))),
        }
    }
}

/// What every signed-in page shows around its content (the `nav.html` header): the
/// tenants to switch to, who is signed in, and the token its forms carry.
pub(super) struct Frame {
    pub tenants: Vec<Tenant>,
    pub user_name: String,
    pub csrf: String,
}

impl From<Viewer> for Frame {
    fn from(v: Viewer) -> Frame {
        Frame {
            tenants: v.tenants,
            user_name: v.user_name,
            csrf: v.csrf,
        }
    }
}
