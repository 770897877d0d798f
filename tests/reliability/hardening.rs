//! The real binary under hostile or careless use: environment booleans spelled the usual ways,
//! and memory that stays bounded under a burst of password checks and many distinct keys.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;
use crate::support::{self, Backend};

fn rss_mib(pid: i32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap()
        / 1024
}

async fn wrong_logins(api: &Api, n: usize, user: &str) -> Vec<StatusCode> {
    join_all((0..n).map(|_| {
        let api = api.clone();
        let user = user.to_string();
        async move {
            api.try_call(
                Method::POST,
                "/auth/login",
                None,
                Some(json!({"username": user, "password": "not-the-password"})),
            )
            .await
            .map(|(s, _)| s)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }))
    .await
}

async fn environment_booleans(backend: Backend) {
    for (value, limited) in [
        ("1", false),
        ("yes", false),
        ("on", false),
        ("0", true),
        ("false", true),
    ] {
        let Some((url, _guard)) = support::database(backend) else {
            return;
        };
        let server = Server::start(&url, &env(&[("BAIRRO_NO_RATE_LIMITS", value)]), &[]).await;
        let api = Api::new(&server.base);
        // A username no account has: the per-account rate limit still applies to it, while
        // the account lockout (kept in the database whatever the switch) cannot.
        let answers = wrong_logins(&api, 8, "nobody-by-this-name").await;
        let refused = answers.contains(&StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            refused, limited,
            "BAIRRO_NO_RATE_LIMITS={value}: {answers:?}"
        );
        assert!(answers
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn environment_booleans_sqlite() {
    environment_booleans(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn environment_booleans_postgres() {
    environment_booleans(Backend::Postgres).await;
}

/// 120 password checks at once (each needs 7 MiB, one at a time) and 3,000 sign-ups from distinct keys:
/// the server's resident memory stays bounded.
async fn memory_bounded(backend: Backend) {
    let Some((url, _guard)) = support::database(backend) else {
        return;
    };
    let server = Server::start(&url, &env(&[]), &["--no-rate-limits"]).await;
    let api = Api::new(&server.base);
    let before = rss_mib(server.pid());
    let mut peak = before;
    for round in 0..3 {
        let answers = wrong_logins(&api, 40, &format!("nobody-{round}")).await;
        assert!(
            answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
            "{answers:?}"
        );
        peak = peak.max(rss_mib(server.pid()));
    }
    for chunk in 0..30 {
        let got = join_all((0..100).map(|i| {
            let api = api.clone();
            async move {
                api.try_call(
                    Method::POST,
                    "/visitors",
                    None,
                    Some(json!({"ref": format!("k{chunk}-{i}")})),
                )
                .await
                .map(|(s, _)| s)
            }
        }))
        .await;
        assert!(got.iter().all(|s| matches!(s, Ok(StatusCode::CREATED))));
    }
    let after = rss_mib(server.pid());
    peak = peak.max(after);
    println!(
        "memory on {backend:?}: {before} MiB at start, {peak} MiB at the peak of 120 password checks and 3,000 sign-ups, {after} MiB after"
    );
    assert!(peak < 250, "resident memory stays bounded: {peak} MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stays_bounded_sqlite() {
    memory_bounded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stays_bounded_postgres() {
    memory_bounded(Backend::Postgres).await;
}
