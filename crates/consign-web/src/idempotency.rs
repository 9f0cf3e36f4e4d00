//! `Idempotency-Key` for every POST: the same key with the same request replays the first
//! response; the same key with a different request is a 409; a key still being processed is
//! a 409 too (the client retries later). Keys are per caller and kept at least 24 hours.
//!
//! The reservation is written before the handler runs, so two concurrent requests with one
//! key cannot both execute. A handler that fails with a 5xx releases the key so the client
//! can retry.

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::json::too_large;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use consign_store::KeyState;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";
/// Responses larger than this are not stored for replay (document uploads answer small JSON).
const MAX_STORED_RESPONSE: usize = 4 * 1024 * 1024;

pub async fn idempotency(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).cloned() else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k)
            if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..0x7f).contains(&b)) =>
        {
            k.to_string()
        }
        _ => {
            return ApiError::bad_request(
                "Idempotency-Key must be 1-255 printable ASCII characters",
            )
            .into_response();
        }
    };
    let Some(auth) = req.extensions().get::<Authenticated>() else {
        // Unauthenticated requests will be refused by the handler; nothing to remember.
        return next.run(req).await;
    };
    let scope = auth.principal.actor.label();
    let (parts, body) = req.into_parts();
    let limit = st.cfg.body_limit_for(parts.uri.path());
    let Ok(bytes) = to_bytes(body, limit).await else {
        return too_large().into_response();
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update([0]);
    h.update(parts.uri.to_string());
    h.update([0]);
    h.update(&bytes);
    let hash = h.finalize();
    let state = match st
        .app
        .store
        .reserve_key(&scope, &key, &hash, st.app.now())
        .await
    {
        Ok(s) => s,
        Err(e) => return ApiError::from(consign_app::AppError::from(e)).into_response(),
    };
    match state {
        KeyState::Completed {
            status,
            content_type,
            body,
        } => {
            let mut res =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            res.headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            res
        }
        KeyState::Mismatch => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "this Idempotency-Key was used for a different request".to_string(),
        )
        .into_response(),
        KeyState::InFlight => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency-key-in-flight",
            "Request in progress",
            "a request with this Idempotency-Key is still being processed; retry later".to_string(),
        )
        .into_response(),
        KeyState::Reserved => {
            let res = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let (parts, body) = res.into_parts();
            let bytes = to_bytes(body, MAX_STORED_RESPONSE)
                .await
                .unwrap_or_default();
            let stored = if parts.status.is_server_error() {
                st.app.store.release_key(&scope, &key).await
            } else {
                let ct = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                st.app
                    .store
                    .complete_key(&scope, &key, parts.status.as_u16(), ct, &bytes)
                    .await
            };
            if let Err(e) = stored {
                tracing::error!(error = %e, "could not record idempotency key");
            }
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}
