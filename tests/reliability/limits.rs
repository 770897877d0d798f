//! Rate limits: logins (per account and per address), check-ins, claims and page views answer
//! 429 with `Retry-After` and a problem document (`rate_limited`) when exceeded.

use reqwest::{header::HeaderMap, Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

fn assert_limited(s: StatusCode, b: &str, h: &HeaderMap, what: &str) {
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{what}: {b}");
    let retry: u64 = h
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: Retry-After in whole seconds"));
    assert!((1..=3600).contains(&retry), "{what}: Retry-After {retry}");
    assert!(h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json")));
    let v: Value = serde_json::from_str(b).unwrap();
    assert_eq!(v["code"], "rate_limited", "{what}: {v}");
    assert_eq!(v["status"], 429);
}

/// Sends until the first 429 (at most `max`); returns the statuses before it and the 429.
async fn until_limited(
    app: &TestApp,
    max: usize,
    mut req: impl FnMut(usize) -> (Method, String, Option<String>, Value),
) -> (Vec<StatusCode>, Option<(StatusCode, String, HeaderMap)>) {
    let mut before = Vec::new();
    for i in 0..max {
        let (m, path, token, body) = req(i);
        let (s, b, h) = app.raw(m, &path, token.as_deref(), Some(body)).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            return (before, Some((s, b, h)));
        }
        before.push(s);
    }
    (before, None)
}

#[actix_web::test]
async fn login_brute_force_is_slowed_per_account() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // A second official, created (by admin) before admin's account is hammered.
    let admin = app.official().await;
    app.staff(&admin, "official-two", "official", None).await;
    let (before, limited) = until_limited(&app, 11, |_| {
        (
            Method::POST,
            "/auth/login".into(),
            None,
            json!({"username": "admin", "password": "guess-guess-guess"}),
        )
    })
    .await;
    println!(
        "login, one account: {} wrong logins answered 401 before the first 429",
        before.len()
    );
    assert!(
        before.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{before:?}"
    );
    assert!(before.len() >= 3, "a few tries are allowed: {before:?}");
    let (s, b, h) = limited.expect("by the 11th rapid wrong login the account is rate limited");
    assert_limited(s, &b, &h, "login per account");
    // Even the right password waits now (the limit is on attempts, not failures).
    let (s, b, h) = app
        .raw(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "admin", "password": "admin-test-password"})),
        )
        .await;
    assert_limited(s, &b, &h, "right password during the lockout");
    // Another account from the same address is not locked by this one.
    let off = app.login("official-two", "second-official-pw").await;
    assert!(!off.is_empty());
}

#[actix_web::test]
async fn login_brute_force_is_slowed_per_address() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // A different account name each time: only the per-address limit can stop this.
    let (before, limited) = until_limited(&app, 40, |i| {
        (
            Method::POST,
            "/auth/login".into(),
            None,
            json!({"username": format!("nobody-{i}"), "password": "guess-guess-guess"}),
        )
    })
    .await;
    println!(
        "login, many accounts from one address: {} answered 401 before the first 429",
        before.len()
    );
    assert!(before.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    let (s, b, h) = limited.expect("spraying many accounts from one address is rate limited");
    assert_limited(s, &b, &h, "login per address");
}

#[actix_web::test]
async fn checkins_claims_and_pageviews_are_rate_limited() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let (_, v) = app.visitor().await;

    let (before, limited) = until_limited(&app, 40, |_| {
        (
            Method::POST,
            "/checkins".into(),
            Some(v.clone()),
            json!({"payload": "B1:P:A:FORGED:SIG", "method": "qr"}),
        )
    })
    .await;
    println!(
        "check-ins by one visitor: {} answered before the first 429",
        before.len()
    );
    assert!(
        before
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{before:?}"
    );
    let (s, b, h) = limited.expect("check-ins are rate limited");
    assert_limited(s, &b, &h, "check-ins");
    // Another visitor is not affected.
    let (_, v2) = app.visitor().await;
    let (s, b) = app.check_in(&v2, "B1:P:A:FORGED:SIG", json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    let fake = uuid::Uuid::new_v4();
    let (before, limited) = until_limited(&app, 40, |_| {
        (
            Method::POST,
            format!("/offers/{fake}/claim"),
            Some(v.clone()),
            json!({}),
        )
    })
    .await;
    println!(
        "claims by one visitor: {} answered before the first 429",
        before.len()
    );
    assert!(
        before.iter().all(|s| *s == StatusCode::NOT_FOUND),
        "{before:?}"
    );
    let (s, b, h) = limited.expect("claims are rate limited");
    assert_limited(s, &b, &h, "claims");

    let (before, limited) = until_limited(&app, 400, |i| {
        (
            Method::POST,
            "/pageviews".into(),
            None,
            json!({"campaign": cid, "path": format!("/p/{i}")}),
        )
    })
    .await;
    println!(
        "page views from one address: {} answered 202 before the first 429",
        before.len()
    );
    assert!(before.iter().all(|s| *s == StatusCode::ACCEPTED));
    assert!(before.len() >= 200, "a burst of 200 is allowed");
    let (s, b, h) = limited.expect("page views are rate limited");
    assert_limited(s, &b, &h, "page views");
}
