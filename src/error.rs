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

/// Declares [`Code`]: every stable error code of the SPEC, the HTTP status it is answered
/// with, and (for the generic ones) the problem's title. This table is the one place where a
/// refusal meets HTTP; the rest of the code names a `Code` and never a status.
macro_rules! codes {
    ($($variant:ident = $text:literal => $status:ident),* $(,)?) => {
        /// A stable error code of the SPEC (`code` of the problem document).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code, for the check that each has a message in every language.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status),* }
            }
        }

        impl std::fmt::Display for Code {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    // generic answers
    ValidationFailed = "validation_failed" => UNPROCESSABLE_ENTITY,
    BadRequest = "bad_request" => BAD_REQUEST,
    Unauthorized = "unauthorized" => UNAUTHORIZED,
    InvalidCredentials = "invalid_credentials" => UNAUTHORIZED,
    Forbidden = "forbidden" => FORBIDDEN,
    NotFound = "not_found" => NOT_FOUND,
    Conflict = "conflict" => CONFLICT,
    RateLimited = "rate_limited" => TOO_MANY_REQUESTS,
    PayloadTooLarge = "payload_too_large" => PAYLOAD_TOO_LARGE,
    Unavailable = "unavailable" => SERVICE_UNAVAILABLE,
    Internal = "internal" => INTERNAL_SERVER_ERROR,
    // check-ins
    InvalidPayload = "invalid_payload" => UNPROCESSABLE_ENTITY,
    PayloadExpired = "payload_expired" => GONE,
    OutsideGeofence = "outside_geofence" => FORBIDDEN,
    LocationRequired = "location_required" => FORBIDDEN,
    CampaignNotActive = "campaign_not_active" => FORBIDDEN,
    AlreadyCheckedIn = "already_checked_in" => CONFLICT,
    NonceReused = "nonce_reused" => CONFLICT,
    RotatingPoint = "rotating_point" => CONFLICT,
    PointRetired = "point_retired" => GONE,
    // issuance
    SoldOut = "sold_out" => GONE,
    LimitReached = "limit_reached" => CONFLICT,
    BudgetExhausted = "budget_exhausted" => GONE,
    NotOpen = "not_open" => FORBIDDEN,
    OfferPaused = "offer_paused" => FORBIDDEN,
    VerificationRequired = "verification_required" => FORBIDDEN,
    VisitorBanned = "visitor_banned" => FORBIDDEN,
    // verification
    VerificationUnavailable = "verification_unavailable" => UNPROCESSABLE_ENTITY,
    InvalidAddress = "invalid_address" => UNPROCESSABLE_ENTITY,
    InvalidCode = "invalid_code" => UNPROCESSABLE_ENTITY,
    CodeExpired = "code_expired" => GONE,
    DeliveryFailed = "delivery_failed" => SERVICE_UNAVAILABLE,
    // redemption
    InvalidCoupon = "invalid_coupon" => UNPROCESSABLE_ENTITY,
    CouponNotFound = "coupon_not_found" => NOT_FOUND,
    CouponExpired = "coupon_expired" => GONE,
    CouponVoid = "coupon_void" => CONFLICT,
    CouponNotVoidable = "coupon_not_voidable" => CONFLICT,
    AlreadyRedeemed = "already_redeemed" => CONFLICT,
    AlreadyVoid = "already_void" => CONFLICT,
    RedemptionVoided = "redemption_voided" => CONFLICT,
    VoidWindowPassed = "void_window_passed" => CONFLICT,
    MinSpendNotMet = "min_spend_not_met" => UNPROCESSABLE_ENTITY,
    IdempotencyConflict = "idempotency_conflict" => UNPROCESSABLE_ENTITY,
    MerchantNotEligible = "merchant_not_eligible" => FORBIDDEN,
    MerchantSuspended = "merchant_suspended" => FORBIDDEN,
    // campaigns and operations
    CampaignEnded = "campaign_ended" => CONFLICT,
    NotDraft = "not_draft" => CONFLICT,
    InvalidState = "invalid_state" => CONFLICT,
    StockBelowIssued = "stock_below_issued" => UNPROCESSABLE_ENTITY,
    ImportInvalid = "import_invalid" => UNPROCESSABLE_ENTITY,
    SurveyClosed = "survey_closed" => CONFLICT,
    // money
    FourEyesRequired = "four_eyes_required" => FORBIDDEN,
    NoBankAccount = "no_bank_account" => CONFLICT,
    InPayoutBatch = "in_payout_batch" => CONFLICT,
    AlreadyInBatch = "already_in_batch" => CONFLICT,
    BankAccountNotVerified = "bank_account_not_verified" => CONFLICT,
    // mechanics
    InvalidCard = "invalid_card" => UNPROCESSABLE_ENTITY,
    EntriesClosed = "entries_closed" => FORBIDDEN,
    AlreadyEntered = "already_entered" => CONFLICT,
    // staff
    UsernameTaken = "username_taken" => CONFLICT,
    WeakPassword = "weak_password" => UNPROCESSABLE_ENTITY,
    PasswordChangeRequired = "password_change_required" => FORBIDDEN,
    CannotDisableSelf = "cannot_disable_self" => CONFLICT,
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
        code: Code,
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
    pub fn rule(code: Code, detail: impl Into<String>) -> Self {
        AppError::Rule {
            code,
            detail: detail.into(),
            extra: None,
        }
    }
    pub fn rule_with(code: Code, detail: impl Into<String>, extra: Value) -> Self {
        AppError::Rule {
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
            AppError::Rule { code, .. } => code.as_str(),
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
            AppError::Rule { code, .. } => code.status(),
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
            // A refused request is the client's business, not the server's: visible at debug
            // level (RUST_LOG=debug), never a warning per 401 or 404.
            other => tracing::debug!(status = %other.status_code(), error = ?other, "refused"),
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

/// The web app's dictionaries, by language (for tests that every code or label is named).
#[cfg(test)]
pub(crate) const DICTIONARIES: [(&str, &str); 4] = [
    ("en", include_str!("../frontend/src/i18n/en.json")),
    ("pt", include_str!("../frontend/src/i18n/pt.json")),
    ("zh-Hant", include_str!("../frontend/src/i18n/zh-Hant.json")),
    ("zh-Hans", include_str!("../frontend/src/i18n/zh-Hans.json")),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The web app shows a message for every code the server can answer, in each language.
    #[test]
    fn every_code_has_a_message_in_each_language() {
        for (lang, text) in DICTIONARIES {
            let dict: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
            let missing: Vec<&str> = Code::ALL
                .iter()
                .map(|c| c.as_str())
                .filter(|c| !dict.contains_key(&format!("error.{c}")))
                .collect();
            assert!(missing.is_empty(), "{lang} has no message for {missing:?}");
        }
    }

    #[test]
    fn codes_are_distinct_snake_case_and_refusals_are_client_errors() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
        }
        let refusal = AppError::rule(Code::SoldOut, "gone");
        assert_eq!(refusal.status_code(), StatusCode::GONE);
        assert_eq!(refusal.body()["code"], "sold_out");
    }
}
