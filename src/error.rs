//! One error type for the whole application, answered as RFC 9457 `application/problem+json`
//! with the stable `code` of the SPEC. Causes go to the log; clients get a short message.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Value};

/// A field-level validation message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A refusal of a business rule: status, SPEC code, message and optional extra fields.
    #[error("{code}: {detail}")]
    Rule {
        status: StatusCode,
        code: &'static str,
        detail: String,
        extra: Option<Value>,
    },
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    TooLarge,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn rule(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Rule {
            status,
            code,
            detail: detail.into(),
            extra: None,
        }
    }
    pub fn rule_with(
        status: StatusCode,
        code: &'static str,
        detail: impl Into<String>,
        extra: Value,
    ) -> Self {
        AppError::Rule {
            status,
            code,
            detail: detail.into(),
            extra: Some(extra),
        }
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The SPEC's stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation_failed",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Rule { code, .. } => code,
            AppError::RateLimited { .. } => "rate_limited",
            AppError::TooLarge => "payload_too_large",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "The request has invalid fields",
            AppError::BadRequest(_) => "The request could not be read",
            AppError::Unauthorized(_) => "Authentication required",
            AppError::InvalidCredentials => "Wrong username or password",
            AppError::Forbidden(_) => "Not allowed",
            AppError::NotFound(_) => "Not found",
            AppError::Conflict(_) => "Conflict",
            AppError::Rule { .. } => "Refused",
            AppError::RateLimited { .. } => "Too many requests",
            AppError::TooLarge => "Request body too large",
            AppError::Unavailable(_) => "Service temporarily unavailable",
            AppError::Internal(_) => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            AppError::Validation(errs) => errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::Unavailable(m) => m.clone(),
            AppError::InvalidCredentials => "The username or password is wrong.".into(),
            AppError::Rule { detail, .. } => detail.clone(),
            AppError::RateLimited { retry_after_secs } => {
                format!("Slow down; try again in {retry_after_secs} s.")
            }
            AppError::TooLarge => "The request body exceeds the size limit.".into(),
            AppError::Internal(_) => "Something went wrong on our side.".into(),
        }
    }

    /// The problem document sent to the client.
    pub fn body(&self) -> Value {
        let status = self.status_code();
        let mut body = json!({
            "type": format!("https://bairro.mo/problems/{}", self.code()),
            "title": self.title(),
            "status": status.as_u16(),
            "detail": self.detail(),
            "code": self.code(),
        });
        if let AppError::Validation(errs) = self {
            body["errors"] = json!(errs);
        }
        if let AppError::Rule {
            extra: Some(Value::Object(extra)),
            ..
        } = self
        {
            for (k, v) in extra {
                body[k] = v.clone();
            }
        }
        body
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Rule { status, .. } => *status,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            AppError::Unavailable(m) => tracing::warn!(detail = %m, "unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let AppError::RateLimited { retry_after_secs } = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if matches!(self, AppError::Unavailable(_)) {
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        res.body(self.body().to_string())
    }
}

/// actix's own extractor failures (malformed JSON, wrong types, bad paths) in the same format.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let app = match &err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => AppError::TooLarge,
        J::ContentType => AppError::BadRequest("expected Content-Type: application/json".into()),
        J::Deserialize(e) if e.is_data() => AppError::Validation(vec![FieldError {
            field: "body".into(),
            message: e.to_string(),
        }]),
        other => AppError::BadRequest(format!("malformed JSON: {other}")),
    };
    app.into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    AppError::Validation(vec![FieldError {
        field: "query".into(),
        message: err.to_string(),
    }])
    .into()
}

pub fn path_error(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    AppError::NotFound(format!("bad path: {err}")).into()
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The problem response, for places that answer directly rather than return an error.
    pub fn error_response_owned(self) -> actix_web::HttpResponse {
        ResponseError::error_response(&self)
    }
}
