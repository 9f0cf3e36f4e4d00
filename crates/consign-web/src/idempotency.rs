//! `Idempotency-Key` for every POST: the same key with the same request replays the first
//! response; the same key with a different request is a 409; a key still being processed
//! makes a repeat wait briefly for its answer, then answers 409 with `Retry-After`. Keys are
//! per caller and kept at least 24 hours.
//!
//! The mechanism lives in `consign_app::idempotency`: the answer is stored in the same
//! transaction as the request's changes, so a retry after a crash replays the first answer
//! and never runs the request twice. This layer only hashes the request, hands the handler
//! to it, and turns its outcomes into HTTP.

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::json::too_large;
use axum::RequestExt;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use consign_app::idempotency::{Answer, KeyOutcome, KeyRequest};
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
    // The route's own limit, as `routing::body_limit` set it for the handler's extractor.
    let (parts, body) = req.with_limited_body().into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return too_large().into_response();
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update([0]);
    h.update(parts.uri.to_string());
    h.update([0]);
    h.update(&bytes);
    let claim = KeyRequest {
        scope,
        key,
        request_hash: h.finalize().to_vec(),
    };
    let run = async {
        let res = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        let (parts, body) = res.into_parts();
        let bytes = to_bytes(body, MAX_STORED_RESPONSE)
            .await
            .unwrap_or_default();
        let answer = Answer {
            status: parts.status.as_u16(),
            content_type: parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            body: bytes.to_vec(),
        };
        ((parts, bytes), answer)
    };
    match st.app.with_idempotency_key(&claim, run).await {
        Ok(KeyOutcome::Ran((parts, bytes))) => Response::from_parts(parts, Body::from(bytes)),
        Ok(KeyOutcome::Replay(a)) => {
            let mut res = (
                StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK),
                a.body,
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&a.content_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            res.headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            res
        }
        Ok(KeyOutcome::Mismatch) => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "this Idempotency-Key was used for a different request".to_string(),
        )
        .into_response(),
        Ok(KeyOutcome::InFlight { retry_after }) => {
            let mut res = ApiError::new(
                StatusCode::CONFLICT,
                "idempotency-key-in-flight",
                "Request in progress",
                format!(
                    "a request with this Idempotency-Key is still being processed; retry in {} s",
                    retry_after.as_secs()
                ),
            )
            .into_response();
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs()),
            );
            res
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
