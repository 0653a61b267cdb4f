//! The one error type of the HTTP boundary. Every failure becomes an RFC 9457
//! `application/problem+json` body with a stable `code`; validation failures name each field.
//! Database and internal errors are logged here, once, and answered with an opaque 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `email` or `phones[1].number`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The body of every error response (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// Per-field messages when `code` is `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request body or parameters are well formed but invalid.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The request cannot be understood (malformed JSON, bad parameter syntax).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// A path or query parameter does not parse (e.g. a malformed UUID).
    #[error("bad parameter {}: {}", .0.field, .0.message)]
    BadParameter(FieldError),
    /// No valid credentials. `reason` is logged, never sent.
    #[error("unauthorized: {reason}")]
    Unauthorized { reason: String },
    /// Authenticated, but the role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// No such object (or it belongs to another tenant: the same answer).
    #[error("not found")]
    NotFound,
    /// The object conflicts with an existing one.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// Too many attempts; retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The body is larger than the configured limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A dependency (the database) is not available.
    #[error("service unavailable")]
    Unavailable,
    /// A bug or an infrastructure failure.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(err))
    }

    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn unauthorized(reason: impl Into<String>) -> ApiError {
        ApiError::Unauthorized {
            reason: reason.into(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } | ApiError::BadParameter(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest { code, .. } | ApiError::Conflict { code, .. } => code,
            ApiError::BadParameter(_) => "bad_parameter",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            ApiError::BadRequest { detail, .. } | ApiError::Conflict { detail, .. } => {
                Some(detail.clone())
            }
            ApiError::Validation(_) => Some("one or more fields are invalid".into()),
            ApiError::BadParameter(e) => Some(format!("parameter `{}` {}", e.field, e.message)),
            ApiError::Unauthorized { .. } => Some("missing, invalid or expired credentials".into()),
            ApiError::Forbidden => Some("your role does not allow this".into()),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> ApiError {
        match err {
            sqlx::Error::PoolTimedOut => ApiError::Unavailable,
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        match &self {
            ApiError::Internal(err) => tracing::error!(error = %err, "request failed"),
            ApiError::Unavailable => tracing::warn!("request failed: database unavailable"),
            ApiError::Unauthorized { reason } => tracing::info!(%reason, "unauthorized request"),
            other => tracing::debug!(error = %other, "request refused"),
        }
        let code = self.code();
        let body = Problem {
            kind: format!(
                "https://switchboard.dev/problems/{}",
                code.replace('_', "-")
            ),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: code.to_owned(),
            errors: match self {
                ApiError::Validation(ref errors) => errors.clone(),
                ApiError::BadParameter(ref error) => vec![error.clone()],
                _ => Vec::new(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            ApiError::Unauthorized { .. } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// Collects field errors while a request is validated, so one response names them all.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// Record the error of `result`, if any, for `field`; pass its value on.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError::new(field, e.to_string()));
                None
            }
        }
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Ok` if nothing was recorded.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

impl Validator {
    /// The recorded errors as a response (used when a required value failed to parse).
    pub fn into_error(self) -> ApiError {
        ApiError::Validation(self.errors)
    }
}
