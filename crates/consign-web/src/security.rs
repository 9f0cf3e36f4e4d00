//! Security headers on every answer, pages and API alike: a Content-Security-Policy that
//! allows no inline or foreign script and no framing, `nosniff`, no referrer beyond our own
//! origin, and `Cache-Control: no-store` on anything answered to a request that carried
//! credentials (a shared cache or a browser's back button must not keep a signed-in user's
//! data).

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Our pages load scripts only from our own origin. Styles may be inline (the pages' one
/// `<style>` block and Swagger UI's), images may be `data:` URLs (Swagger UI's icons).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let credentials = req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().get_all(header::COOKIE).iter().any(|c| {
            c.to_str()
                .is_ok_and(|c| c.contains(crate::auth::SESSION_COOKIE))
        });
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Not `no-referrer`: under it browsers send `Origin: null` on our own form posts, and
    // the sign-in form's same-origin check (`auth::same_origin`) would refuse them.
    set(header::REFERRER_POLICY, "same-origin");
    if credentials {
        set(header::CACHE_CONTROL, "no-store");
    }
    res
}
