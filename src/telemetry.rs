//! Business and process counters (Prometheus), recorded by the use cases and served by
//! `GET /metrics` (`http::metrics`).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .expect("buckets")
            .install_recorder()
            .expect("one metrics recorder per process")
    })
}

pub fn count(name: &'static str, n: usize) {
    metrics::counter!(name).increment(n as u64);
}
