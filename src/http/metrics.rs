//! `GET /metrics` in Prometheus format: requests and latencies per route, pool usage, and
//! business counters (check-ins, claims, redemptions, page views).

use std::sync::OnceLock;
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

/// The gauge's handle, looked up once (not in the registry twice a request).
fn in_flight() -> &'static metrics::Gauge {
    static G: OnceLock<metrics::Gauge> = OnceLock::new();
    G.get_or_init(|| {
        handle();
        metrics::gauge!("bairro_http_requests_in_flight")
    })
}

impl InFlight {
    fn enter() -> InFlight {
        in_flight().increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        in_flight().decrement(1.0);
    }
}

type Series = (metrics::Counter, metrics::Histogram);

thread_local! {
    /// Each worker's handles by (method, route pattern, status): a request costs a map lookup,
    /// not label strings and a registry lookup. Bounded: the methods are ten labels, the routes
    /// are the patterns the server has (or `unmatched`), the statuses are HTTP's.
    static SERIES: std::cell::RefCell<std::collections::HashMap<(&'static str, String, u16), Series>> =
        Default::default();
}

/// Counts and times every request by its route pattern (never by its raw path).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = method_label(req.method());
    let _in_flight = InFlight::enter();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    let (counter, histogram) = SERIES.with(|m| {
        let mut m = m.borrow_mut();
        let key = (method, route, status);
        if let Some(s) = m.get(&key) {
            return s.clone();
        }
        let labels = [
            ("method", method.to_string()),
            ("route", key.1.clone()),
            ("status", status.to_string()),
        ];
        let s = (
            metrics::counter!("bairro_http_requests_total", &labels),
            metrics::histogram!("bairro_http_request_seconds", &labels[..2]),
        );
        m.insert(key, s.clone());
        s
    });
    counter.increment(1);
    observe(histogram, start.elapsed().as_secs_f64());
    Ok(res)
}

/// The method as a label: the standard ones by name, anything else a client makes up as
/// `OTHER`, so invented methods cannot grow the set of series without bound.
fn method_label(m: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .find(|k| *k == m)
        .map(|k| k.as_str())
        .unwrap_or("OTHER")
}

/// Histogram samples are kept one by one until folded into their buckets; after this many
/// samples they are folded, so memory holds at most this many whether `/metrics` is read or not.
pub const SAMPLES_PER_UPKEEP: u64 = 4096;

/// Records a latency sample, folding the pending samples into their buckets every
/// [`SAMPLES_PER_UPKEEP`] samples.
pub fn observe(h: metrics::Histogram, seconds: f64) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SAMPLES: AtomicU64 = AtomicU64::new(0);
    h.record(seconds);
    if SAMPLES.fetch_add(1, Ordering::Relaxed) % SAMPLES_PER_UPKEEP == SAMPLES_PER_UPKEEP - 1 {
        handle().run_upkeep();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        use actix_web::http::Method;
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for m in ["FOO", "BREW", "X-ANYTHING"] {
            assert_eq!(
                method_label(&Method::from_bytes(m.as_bytes()).unwrap()),
                "OTHER"
            );
        }
    }

    #[test]
    fn latency_samples_do_not_pile_up_without_a_scrape() {
        handle();
        let h = metrics::histogram!("bairro_test_unscraped_seconds");
        // Eight million samples are 64 MB and more if kept one by one until a scrape.
        let before = crate::memory::resident_kib().unwrap_or(0);
        for i in 0..8_000_000u32 {
            observe(h.clone(), f64::from(i % 1000) / 1e4);
        }
        let grown = crate::memory::resident_kib()
            .unwrap_or(0)
            .saturating_sub(before);
        assert!(grown < 24 * 1024, "resident memory grew by {grown} KiB");
        // Nothing is lost: the folded samples are all in the histogram.
        assert!(handle()
            .render()
            .contains("bairro_test_unscraped_seconds_count 8000000"));
    }
}
