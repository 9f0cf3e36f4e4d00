//! A JSON body extractor whose rejections are precise problem details: malformed JSON gives
//! line and column (400), a wrong type or unknown field gives the field path (422), a missing
//! or wrong content type gives 415, and an oversized body 413.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Request body too large",
        "the body exceeds the size limit".to_string(),
    )
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !(ct.starts_with("application/json") || ct.starts_with("application/merge-patch+json")) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json".to_string(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| too_large())?;
        parse(&bytes).map(ApiJson)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => ApiError::bad_request(format!(
                "malformed JSON at line {} column {}: {inner}",
                inner.line(),
                inner.column()
            )),
            serde_json::error::Category::Data => {
                let reason = inner.to_string();
                // Strip serde's position suffix: the field path says where.
                let reason = reason
                    .split(" at line ")
                    .next()
                    .unwrap_or(&reason)
                    .to_string();
                let parent = if path == "." { String::new() } else { path };
                ApiError::field(&field_of(&parent, &reason), reason)
            }
        }
    })
}

/// The field an error is about. serde reports a missing or repeated field at the path of the
/// object that should hold it, naming the field only in its text (``missing field `x` ``):
/// the name is taken from there, so the error points at `customer.name`, not at `customer`.
fn field_of(parent: &str, reason: &str) -> String {
    let named = ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|p| reason.strip_prefix(p))
        .and_then(|rest| rest.split('`').next())
        .filter(|name| !name.is_empty());
    match named {
        Some(name) if parent.is_empty() => name.to_string(),
        Some(name) => format!("{parent}.{name}"),
        None => parent.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        id: u32,
        inner: Inner,
    }

    fn field(body: &str) -> String {
        let e = parse::<Outer>(body.as_bytes()).unwrap_err();
        let v = serde_json::to_value(&e.problem).unwrap();
        v["errors"][0]["field"].as_str().unwrap().to_string()
    }

    #[test]
    fn missing_and_repeated_fields_are_named() {
        assert_eq!(field(r#"{"inner":{"name":"a"}}"#), "id");
        assert_eq!(field(r#"{"id":1,"inner":{}}"#), "inner.name");
        assert_eq!(field(r#"{"id":1,"id":2,"inner":{"name":"a"}}"#), "id");
        assert_eq!(
            field(r#"{"id":1,"inner":{"name":"a","name":"b"}}"#),
            "inner.name"
        );
        assert_eq!(field(r#"{"id":"x","inner":{"name":"a"}}"#), "id");
    }
}
