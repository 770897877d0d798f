//! `GET /metrics` in Prometheus format: requests and latencies per route, pool usage, and
//! business counters (check-ins, claims, redemptions, page views).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use super::state::State;

pub use crate::telemetry::{count, handle};

/// Requests the server has in hand (read and not yet answered), as a gauge: what a graceful
/// shutdown waits for.
struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        metrics::gauge!("bairro_http_requests_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("bairro_http_requests_in_flight").decrement(1.0);
    }
}

/// Counts and times every request by its route pattern (never by its raw path).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().to_string();
    let _in_flight = InFlight::enter();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("bairro_http_requests_total", &labels).increment(1);
    metrics::histogram!("bairro_http_request_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    Ok(res)
}

/// `GET /metrics` on the main address: only with the configured bearer token
/// (`BAIRRO_METRICS_TOKEN`). Without one the figures are not public: 403, saying how to turn
/// them on (a token, or a private `--metrics-bind` address).
pub async fn render(
    state: State,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, crate::error::AppError> {
    use crate::error::AppError;
    let Some(token) = &state.settings.metrics_token else {
        return Err(AppError::Forbidden(
            if state.settings.metrics_bind.is_some() {
                "metrics are served on the metrics address (--metrics-bind) only".into()
            } else {
                "metrics are not public: set BAIRRO_METRICS_TOKEN (and scrape with it as a bearer token) or BAIRRO_METRICS_BIND".into()
            },
        ));
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or("");
    if !same_secret(given, token.expose()) {
        return Err(AppError::Unauthorized(
            "the metrics token is missing or wrong".into(),
        ));
    }
    Ok(figures(&state))
}

/// Compares digests, so the time taken says nothing about how much of the token matched.
fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// `GET /metrics` on the private metrics address (`--metrics-bind`): no token asked.
pub async fn render_private(state: State) -> HttpResponse {
    figures(&state)
}

fn figures(state: &State) -> HttpResponse {
    let s = state.pool.state();
    metrics::gauge!("bairro_db_pool_connections").set(f64::from(s.connections));
    metrics::gauge!("bairro_db_pool_idle").set(f64::from(s.idle_connections));
    metrics::gauge!("bairro_pageviews_buffered").set(state.pageviews.len() as f64);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle().render())
}
