//! Health, login, roles, the error format, OpenAPI completeness and metrics.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::support::*;

both!(health_asks_the_database, |app| {
    let (s, b) = app.get("/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "ok");
});

both!(login_and_roles, |app| {
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"username": "admin", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["code"], "invalid_credentials");
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"username": "nobody", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );

    let off = app.official().await;
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"username": "admin", "password": "admin-test-password"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["role"], "official");
    assert!(b["expires_at"].as_str().unwrap().contains('T'));

    // No token, a tampered token, and the wrong role.
    let (s, b) = app.post("/campaigns", None, json!({})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let mut tampered = off.clone();
    tampered.pop();
    tampered.push(if off.ends_with('A') { 'B' } else { 'A' });
    let (s, b) = app.post("/campaigns", Some(&tampered), json!({})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (_, visitor) = app.visitor().await;
    let (s, b) = app.post("/campaigns", Some(&visitor), json!({})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (s, _) = app.get("/stats/overview", Some(&visitor)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

both!(errors_are_problem_json, |app| {
    let off = app.official().await;
    // Malformed JSON.
    let r = app
        .client
        .post(format!("{}/api/v1/campaigns", app.base))
        .bearer_auth(&off)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let b: serde_json::Value = r.json().await.unwrap();
    for k in ["type", "title", "status", "detail", "code"] {
        assert!(b.get(k).is_some(), "{k} missing in {b}");
    }
    // Wrong types.
    let (s, b) = app.post("/campaigns", Some(&off), json!({"slug": 5})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    // Unknown route.
    let (s, text, headers) = app
        .raw(Method::GET, "/api/v1/no-such-thing", None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(text.contains("\"code\":\"not_found\""));
    // Field-level messages.
    let (s, b) = app.post("/campaigns", Some(&off), json!({"slug": "Bad Slug", "name": {"zh-Hant": "", "pt": "x", "en": "y"},
        "district": "", "starts_at": "2026-01-02T00:00:00+08:00", "ends_at": "2026-01-01T00:00:00+08:00"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["slug", "district", "ends_at", "name.zh-Hant"] {
        assert!(fields.contains(&f), "{f} not reported in {b}");
    }
    // A body over the size limit.
    let big = "x".repeat(100_000);
    let (s, b) = app
        .post("/campaigns", Some(&off), json!({"slug": big}))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
});

both!(visitors_sign_up_anonymously, |app| {
    let (s, b) = app
        .post("/visitors", None, json!({"locale": "pt", "ref": "kol-1"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(b["visitor_id"].is_string() && b["token"].is_string());
    let (s, b) = app
        .post("/visitors", None, json!({"locale": "klingon"}))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    assert_eq!(app.count("visitors", "ref = 'kol-1'"), 1);
});

/// Every route the server answers is in the OpenAPI document, and the browsable page is served.
#[actix_web::test]
async fn openapi_lists_every_route() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (s, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let mut missing = Vec::new();
    for module in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http")).unwrap() {
        let text = std::fs::read_to_string(module.unwrap().path()).unwrap();
        for line in text.lines().filter(|l| l.contains(".route(\"")) {
            let path = line.split('"').nth(1).unwrap();
            let method = line
                .split("web::")
                .nth(1)
                .and_then(|m| m.split('(').next())
                .unwrap_or("");
            let full = format!("/api/v1{path}");
            match paths.get(&full).and_then(|p| p.get(method)) {
                Some(_) => {}
                None => missing.push(format!("{method} {full}")),
            }
        }
    }
    assert!(src.contains("openapi::routes"));
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    let (s, html, _) = app.raw(Method::GET, "/api/docs", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("/api/v1/openapi.json") && !html.contains("cdn"));
}

#[actix_web::test]
async fn metrics_count_requests_and_business_events() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.metrics_token = Some(bairro::config::Secret::new("scrape-token-0123456789"))
    })
    .await
    .unwrap();
    let _ = app.visitor().await;
    let (s, text, _) = app
        .raw(
            Method::GET,
            "/metrics",
            Some("scrape-token-0123456789"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("bairro_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/visitors\""), "{text}");
    assert!(text.contains("bairro_db_pool_connections"));
    // Without the token, or with another one, nothing is shown.
    for token in [None, Some("scrape-token-0123456780")] {
        let (s, text, _) = app.raw(Method::GET, "/metrics", token, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(!text.contains("bairro_http_requests_total"));
    }
}

#[actix_web::test]
async fn metrics_are_not_public_unless_configured() {
    // Nothing configured: refused to everyone, saying how to turn them on.
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (s, text, _) = app.raw(Method::GET, "/metrics", None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(text.contains("BAIRRO_METRICS_TOKEN"), "{text}");
    let off = app.official().await;
    let (s, _, _) = app.raw(Method::GET, "/metrics", Some(&off), None).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a staff login is not a metrics token"
    );

    // A private metrics address serves them without a token; the public one still refuses.
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.metrics_bind = Some("127.0.0.1:0".into())
    })
    .await
    .unwrap();
    let _ = app.visitor().await;
    let (s, _, _) = app.raw(Method::GET, "/metrics", None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let port = app.metrics_port.expect("a metrics port");
    let r = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.contains("route=\"/api/v1/visitors\""), "{text}");
    let r = app
        .client
        .get(format!("http://127.0.0.1:{port}/api/v1/campaigns"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "only /metrics there");
}
