//! Secrets: JWT and QR key rotation across a restart of the real binary, and no password,
//! token or secret ever in the log (run at debug level) or in an answer.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::support::{self, Backend, HERE};

const JWT_NEW: &str = "reliability-jwt-secret-NEW-9876543210fedcba";
const QR_B: &str = "reliability-qr-secret-B-9876543210fedcba";

async fn rotation(backend: Backend) {
    let Some((url, _guard)) = support::database(backend) else {
        return;
    };
    let debug = [("BAIRRO_LOG", "debug")];
    let mut logs = String::new();

    // Before: secret JWT, QR key A.
    let mut s1 = Server::start(&url, &env(&debug), &[]).await;
    let api = Api::new(&s1.base);
    let w = world(&api, 2, 100).await;
    let (_, visitor) = api.visitor().await;
    let coupon = api
        .ok(
            &format!("/offers/{}/claim", w.offer),
            &visitor,
            json!({}),
            StatusCode::CREATED,
        )
        .await;
    let old_coupon_qr = coupon["payload"].as_str().unwrap().to_string();
    assert!(w.payloads[0].starts_with("B1:P:A:"));
    s1.stop().await;
    logs.push_str(&s1.logs());

    // Rotated: new secrets sign, old ones still verify.
    let rotated = env(&[
        ("BAIRRO_JWT_SECRET", JWT_NEW),
        ("BAIRRO_JWT_PREVIOUS_SECRETS", JWT),
        ("BAIRRO_QR_KEYS", &format!("B:{QR_B},A:{QR_A}")),
        ("BAIRRO_LOG", "debug"),
    ]);
    let mut s2 = Server::start(&url, &rotated, &[]).await;
    let api = Api::new(&s2.base);
    let (s, b) = api.get("/merchants", Some(&w.official)).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "an official's old token still works: {b}"
    );
    let (s, b) = api.get("/me/coupons", Some(&visitor)).await;
    assert_eq!(s, StatusCode::OK, "a visitor's old token still works: {b}");
    let (s, b) = api
        .post(
            "/checkins",
            Some(&visitor),
            json!({"payload": w.payloads[0], "method": "qr", "lat": HERE.0, "lng": HERE.1}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "a printed QR (key A) still checks in: {b}"
    );
    let (s, b) = api
        .post(
            "/redemptions",
            Some(&w.merchant),
            json!({"coupon": old_coupon_qr, "spend_avos": 9000, "idempotency_key": support::key()}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "a coupon QR signed with key A still redeems: {b}"
    );
    let fresh = api.login("admin", ADMIN_PW).await;
    let p = api
        .ok(&format!("/campaigns/{}/points", w.campaign), &fresh,
            json!({"name": support::names("新點"), "kind": "qr", "lat": HERE.0, "lng": HERE.1, "radius_m": 100, "rotating": false}),
            StatusCode::CREATED)
        .await;
    let new_payload = p["payload"].as_str().unwrap().to_string();
    assert!(
        new_payload.starts_with("B1:P:B:"),
        "the new key signs: {new_payload}"
    );
    s2.stop().await;
    logs.push_str(&s2.logs());

    // Grace period over: old token and old QR key refused, new ones work.
    let after = env(&[
        ("BAIRRO_JWT_SECRET", JWT_NEW),
        ("BAIRRO_QR_KEYS", &format!("B:{QR_B}")),
        ("BAIRRO_LOG", "debug"),
    ]);
    let mut s3 = Server::start(&url, &after, &[]).await;
    let api = Api::new(&s3.base);
    let (s, b) = api.get("/merchants", Some(&w.official)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "old token refused: {b}");
    let (s, b) = api.get("/merchants", Some(&fresh)).await;
    assert_eq!(s, StatusCode::OK, "new token works: {b}");
    let (_, v2) = api.visitor().await;
    let (s, b) = api
        .post(
            "/checkins",
            Some(&v2),
            json!({"payload": w.payloads[1], "method": "qr", "lat": HERE.0, "lng": HERE.1}),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_payload")),
        "key A retired: its QR is refused: {b}"
    );
    let (s, b) = api
        .post(
            "/checkins",
            Some(&v2),
            json!({"payload": new_payload, "method": "qr", "lat": HERE.0, "lng": HERE.1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    s3.stop().await;
    logs.push_str(&s3.logs());

    println!(
        "key rotation on {backend:?}: old tokens and key-A QR codes accepted after rotation, refused after the grace period; {} log bytes checked",
        logs.len()
    );
    for secret in [JWT, JWT_NEW, QR_A, QR_B, ADMIN_PW, "merchant-pw-123"] {
        assert!(
            !logs.contains(secret),
            "a secret or password appears in the log"
        );
    }
    for token in [&w.official, &visitor, &fresh, &w.merchant] {
        assert!(!logs.contains(token.as_str()), "a token appears in the log");
        let sig = token.rsplit('.').next().unwrap();
        assert!(
            !logs.contains(sig),
            "a token's signature appears in the log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jwt_and_qr_key_rotation_across_restart_sqlite() {
    rotation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jwt_and_qr_key_rotation_across_restart_postgres() {
    rotation(Backend::Postgres).await;
}

/// Passwords (right and wrong), tokens and secrets never reach the log at debug level, and
/// no answer carries a password or its hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passwords_and_tokens_never_logged_or_returned() {
    let Some((url, _guard)) = support::database(Backend::Sqlite) else {
        return;
    };
    let mut server = Server::start(&url, &env(&[("BAIRRO_LOG", "debug")]), &[]).await;
    let api = Api::new(&server.base);
    let w = world(&api, 1, 10).await;
    let wrong = "Wrong-Password-Typed-By-Mistake-77";
    let (s, b) = api
        .post(
            "/auth/login",
            None,
            json!({"username": "admin", "password": wrong}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    let (s, b) = api
        .post(
            "/merchant/users",
            Some(&w.merchant),
            json!({"username": "cashier-log", "password": "cashier-secret-pw-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let cashier = api.login("cashier-log", "cashier-secret-pw-1").await;
    let mut answers = String::new();
    for (path, token) in [
        ("/merchant/users", &w.merchant),
        ("/merchant/me", &cashier),
        ("/merchants", &w.official),
        ("/audit", &w.official),
    ] {
        let (s, b) = api.get(path, Some(token)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        answers.push_str(&b.to_string());
    }
    let (_, login) = api
        .post(
            "/auth/login",
            None,
            json!({"username": "admin", "password": ADMIN_PW}),
        )
        .await;
    answers.push_str(&login.to_string());
    server.stop().await;
    let logs = server.logs();
    println!(
        "log at debug level: {} bytes, {} lines; answers checked: {} bytes",
        logs.len(),
        logs.lines().count(),
        answers.len()
    );
    assert!(
        logs.lines().count() > 5,
        "the debug log was captured: {logs}"
    );
    for secret in [
        JWT,
        QR_A,
        ADMIN_PW,
        wrong,
        "merchant-pw-123",
        "cashier-secret-pw-1",
    ] {
        assert!(!logs.contains(secret), "{secret} appears in the log");
        assert!(!answers.contains(secret), "{secret} appears in an answer");
    }
    for token in [&w.official, &w.merchant, &cashier] {
        let sig = token.rsplit('.').next().unwrap();
        assert!(!logs.contains(sig), "a token appears in the log");
    }
    assert!(
        !answers.contains("$argon2"),
        "no password hash in any answer"
    );
    assert!(
        !answers.contains("password_hash"),
        "no password hash field in any answer"
    );
}
