//! Graceful shutdown: SIGTERM lets requests in flight finish and flushes the buffered page
//! views, so none answered 202 is lost.

use std::time::Duration;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

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
    let in_flight: Vec<_> = (0..6)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                api.try_call(
                    Method::POST,
                    "/auth/login",
                    None,
                    Some(json!({"username": "admin", "password": ADMIN_PW})),
                )
                .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_requests_and_flushes_pageviews_sqlite() {
    sigterm_flushes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_requests_and_flushes_pageviews_postgres() {
    sigterm_flushes(Backend::Postgres).await;
}
