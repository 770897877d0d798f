//! Graceful shutdown: SIGTERM lets requests in flight finish and flushes the buffered page
//! views, so none answered 202 is lost.

use std::time::Duration;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::*;
use crate::support::{self, Backend};

async fn sigterm_flushes(backend: Backend) {
    let Some((url, _guard)) = support::database(backend) else {
        return;
    };
    let env = env(&[]);
    let mut server = Server::start(&url, &env, &["--no-rate-limits"]).await;
    let api = Api::new(&server.base);
    let w = world(&api, 1, 10).await;
    let sent = 600;
    let views = join_all((0..sent).map(|i| {
        let api = api.clone();
        let c = w.campaign.clone();
        async move {
            api.try_call(
                Method::POST,
                "/pageviews",
                None,
                Some(json!({"campaign": c, "path": format!("/c/{i}"), "ref": "kol-shutdown"})),
            )
            .await
        }
    }))
    .await;
    let accepted = views
        .iter()
        .filter(|r| matches!(r, Ok((s, _)) if *s == StatusCode::ACCEPTED))
        .count();
    // Slow requests in flight (password hashing) when the signal comes.
    let done = Arc::new(AtomicUsize::new(0));
    let in_flight: Vec<_> = (0..6)
        .map(|_| {
            let (api, done) = (api.clone(), done.clone());
            tokio::spawn(async move {
                let r = api
                    .try_call(
                        Method::POST,
                        "/auth/login",
                        None,
                        Some(json!({"username": "admin", "password": ADMIN_PW})),
                    )
                    .await;
                done.fetch_add(1, Ordering::SeqCst);
                r
            })
        })
        .collect();
    // The signal comes once the server has all six in hand: each is either answered already
    // or counted in flight by the server (the metrics request itself is one more).
    let waited = std::time::Instant::now();
    loop {
        let finished = done.load(Ordering::SeqCst);
        let text = metrics_text(&api).await;
        let held = in_flight_gauge(&text).saturating_sub(1);
        if finished + held >= 6 {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "the six logins never reached the server ({finished} answered, {held} in hand)"
        );
        // Poll again shortly (a condition, not a guess at how long it takes).
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.term();
    let answers = join_all(in_flight).await;
    let exited = server.wait_exit(Duration::from_secs(20)).await;
    assert!(exited, "the server stops within 20 s of SIGTERM");
    let logins_ok = answers
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap(), Ok((s, _)) if *s == StatusCode::OK))
        .count();
    let rows = count(
        &url,
        "pageviews",
        &format!("campaign_id = '{}' AND path LIKE '/c/%'", w.campaign),
    );
    println!(
        "SIGTERM on {backend:?}: {sent} page views sent, {accepted} answered 202, {rows} rows after exit, lost {}; \
         {logins_ok}/6 logins in flight answered 200",
        accepted as i64 - rows
    );
    assert_eq!(accepted, sent, "every page view was accepted");
    assert_eq!(rows, accepted as i64, "no accepted page view is lost");
    assert_eq!(
        logins_ok,
        6,
        "requests in flight finish: {answers:?}\n{}",
        server.logs()
    );
}

/// The server's count of requests in hand, from `/metrics`.
fn in_flight_gauge(metrics: &str) -> usize {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("bairro_http_requests_in_flight "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as usize
}

async fn metrics_text(api: &Api) -> String {
    let r = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .expect("metrics answer");
    r.text().await.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_requests_and_flushes_pageviews_sqlite() {
    sigterm_flushes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_requests_and_flushes_pageviews_postgres() {
    sigterm_flushes(Backend::Postgres).await;
}
