//! Extractors of tenant routes: the caller, the tenant its `{tenant}` segment names, and the
//! rest of the path (and the JSON body), so that handlers do not each repeat the lookup.
//!
//! They fail in the order the handlers' own extractors and first lines used to: caller (401,
//! 403), path, then the JSON body, and only then the tenant lookup (404), so a request both
//! malformed and for an unknown tenant still hears about its body.

use crate::AppState;
use crate::auth::Caller;
use crate::json::ApiJson;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use consign_core::access::Principal;
use consign_core::tenant::Tenant;
use serde::de::DeserializeOwned;

/// What follows `{tenant}` in a route's path: `()` for none, `String` for one id, a pair for
/// two.
pub trait PathRest: Sized + Send {
    fn extract(
        parts: &mut Parts,
        st: &AppState,
    ) -> impl Future<Output = Result<(String, Self), Response>> + Send;
}

impl PathRest for () {
    async fn extract(parts: &mut Parts, st: &AppState) -> Result<(String, ()), Response> {
        let Path(slug) = Path::<String>::from_request_parts(parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok((slug, ()))
    }
}

impl PathRest for String {
    async fn extract(parts: &mut Parts, st: &AppState) -> Result<(String, String), Response> {
        let Path(both) = Path::<(String, String)>::from_request_parts(parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(both)
    }
}

impl PathRest for (String, String) {
    async fn extract(
        parts: &mut Parts,
        st: &AppState,
    ) -> Result<(String, (String, String)), Response> {
        let Path((slug, a, b)) = Path::<(String, String, String)>::from_request_parts(parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok((slug, (a, b)))
    }
}

/// A request on a tenant route without a JSON body.
pub struct Tenanted<P = ()> {
    pub st: AppState,
    pub p: Principal,
    pub t: Tenant,
    pub path: P,
}

/// The caller, the slug and the rest of the path, before anything else is read.
async fn caller_and_path<P: PathRest>(
    parts: &mut Parts,
    st: &AppState,
) -> Result<(Principal, String, P), Response> {
    let Caller(p) = Caller::from_request_parts(parts, st)
        .await
        .map_err(IntoResponse::into_response)?;
    let (slug, path) = P::extract(parts, st).await?;
    Ok((p, slug, path))
}

async fn resolve(st: &AppState, p: &Principal, slug: &str) -> Result<Tenant, Response> {
    st.app
        .tenant_for(p, slug)
        .await
        .map_err(|e| crate::error::ApiError::from(e).into_response())
}

impl<P: PathRest> FromRequestParts<AppState> for Tenanted<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let (p, slug, path) = caller_and_path(parts, st).await?;
        let t = resolve(st, &p, &slug).await?;
        Ok(Tenanted {
            st: st.clone(),
            p,
            t,
            path,
        })
    }
}

/// A request on a tenant route with a JSON body, parsed before the tenant is looked up.
pub struct TenantedJson<B, P = ()> {
    pub st: AppState,
    pub p: Principal,
    pub t: Tenant,
    pub path: P,
    pub body: B,
}

impl<B: DeserializeOwned + Send, P: PathRest> FromRequest<AppState> for TenantedJson<B, P> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let (p, slug, path) = caller_and_path(&mut parts, st).await?;
        let ApiJson(body) = ApiJson::from_request(Request::from_parts(parts, body), st)
            .await
            .map_err(IntoResponse::into_response)?;
        let t = resolve(st, &p, &slug).await?;
        Ok(TenantedJson {
            st: st.clone(),
            p,
            t,
            path,
            body,
        })
    }
}
