//! The request log: one line per request when it ends, with its method, route (the pattern,
//! so ids and codes stay out of the log), status and the time it took (`FmtSpan::CLOSE`).
//! Failures are logged where they happen (`AppError::error_response`). The client's address
//! and user agent are not logged: the product keeps no visitor's address in clear.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::Error;
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

pub struct RequestLine;

impl RootSpanBuilder for RequestLine {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern();
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = route.as_deref().unwrap_or("(web app)"),
            status = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(r) => r.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
    }
}
