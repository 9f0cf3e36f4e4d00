//! RFC 9457 problem details. Every error the API returns has this shape, with a field-level
//! `errors` list for validation problems. Internal causes are logged, never returned.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use consign_app::AppError;
use consign_core::FieldError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a refused stale write (412): the record as it stands now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed so `Result<_, ApiError>` stays small on the happy path.
    pub problem: Box<Problem>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &str,
        detail: impl Into<Option<String>>,
    ) -> Self {
        ApiError {
            status,
            problem: Box::new(Problem {
                kind: format!("urn:consign:problem:{slug}"),
                title: title.into(),
                status: status.as_u16(),
                detail: detail.into(),
                errors: vec![],
                current: None,
            }),
            retry_after: None,
        }
    }
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.problem.errors = errors;
        self
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("{what} not found"),
        )
    }
    pub fn unauthenticated(detail: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            detail.to_string(),
        )
    }
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "The request is invalid",
            None,
        )
        .with_errors(errors)
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail.into(),
        )
    }
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, reason)])
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthenticated(m) => ApiError::unauthenticated(&m),
            AppError::Forbidden(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", m)
            }
            AppError::NotFound(m) => ApiError::not_found(&m),
            AppError::Invalid(inv) => ApiError::invalid(inv.errors),
            AppError::InvalidItems(items) => {
                let errors = items
                    .into_iter()
                    .flat_map(|(i, inv)| {
                        inv.errors
                            .into_iter()
                            .map(move |e| FieldError::new(format!("[{i}].{}", e.field), e.reason))
                    })
                    .collect();
                ApiError::invalid(errors)
            }
            AppError::Conflict { message, errors } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "Conflict", message)
                    .with_errors(errors)
            }
            AppError::Stale { current } => {
                let mut e = ApiError::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale",
                    "Precondition failed",
                    format!(
                        "case {} changed meanwhile: it is at version {}; look at it again before acting",
                        current.number, current.version
                    ),
                );
                e.problem.current = serde_json::to_value(&*current).ok();
                e
            }
            AppError::Duplicate { field } => {
                let field = field.unwrap_or("id");
                ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "Conflict",
                    format!("{field} already exists"),
                )
                .with_errors(vec![FieldError::new(
                    field,
                    "already exists (stored by a concurrent request)",
                )])
            }
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    None,
                )
            }
        }
    }
}

/// Single-item endpoints reuse batch use cases; their item-0 errors read as plain fields.
/// The one record a single-item create made: its batch of one, or the item's own errors.
pub fn created_one<T>(
    batch: consign_app::AppResult<consign_app::orders::BatchOutcome<T>>,
) -> Result<T, ApiError> {
    batch
        .map_err(single)?
        .created
        .pop()
        .ok_or_else(|| ApiError::bad_request("nothing was created"))
}

pub fn single(e: AppError) -> ApiError {
    match e {
        AppError::InvalidItems(mut items) if items.len() == 1 => {
            ApiError::invalid(items.remove(0).1.errors)
        }
        other => other.into(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110 §11.6.1: a 401 names the scheme that would be accepted.
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"consign\""),
            );
        }
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
