//! Bad input: wrong types, ranges, lengths, unknown ids, Unicode (emoji, CJK), NUL bytes,
//! huge bodies (413), invalid UTF-8 and malformed JSON (400) — always a problem document,
//! never a 500.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

fn is_problem(b: &str, status: StatusCode, code: &str) -> bool {
    serde_json::from_str::<Value>(b)
        .map(|v| v["code"] == code && v["status"] == status.as_u16())
        .unwrap_or(false)
}

async fn send_bytes(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    ctype: &str,
    body: Vec<u8>,
) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let mut rb = app
        .client
        .post(format!("{}/api/v1{path}", app.base))
        .header("Content-Type", ctype)
        .body(body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, r.text().await.unwrap(), h)
}

both!(bodies_are_validated, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let (_, v) = app.visitor().await;
    let (_, m) = app.merchant(&off, Some(&cid), "food").await;
    let p = app.point(&off, &cid, json!({})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let now = chrono::Utc::now();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let long = "x".repeat(300);
    let cases: Vec<(&str, String, Option<&str>, Value, StatusCode)> = vec![
        // Wrong types and missing fields.
        (
            "campaign slug is a number",
            "/campaigns".into(),
            Some(off.as_str()),
            json!({"slug": 12, "name": names("x"), "district": "d", "starts_at": now.to_rfc3339(), "ends_at": now.to_rfc3339()}),
            unprocessable,
        ),
        (
            "check-in payload is a number",
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": 5, "method": "qr"}),
            unprocessable,
        ),
        (
            "check-in without method",
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": "x"}),
            unprocessable,
        ),
        (
            "check-in method unknown",
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": "x", "method": "nfc"}),
            unprocessable,
        ),
        (
            "check-in lat is text",
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": "x", "method": "qr", "lat": "north", "lng": 1.0}),
            unprocessable,
        ),
        (
            "check-in lat without lng",
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": "x", "method": "qr", "lat": 22.1}),
            unprocessable,
        ),
        (
            "check-in scanned_at not a time",
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": "x", "method": "qr", "scanned_at": "yesterday"}),
            unprocessable,
        ),
        (
            "check-in payload too long",
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": "B".repeat(600), "method": "qr"}),
            unprocessable,
        ),
        (
            "check-in body is an array",
            "/checkins".into(),
            Some(v.as_str()),
            json!([1, 2]),
            unprocessable,
        ),
        (
            "spend is text",
            "/redemptions".into(),
            Some(m.as_str()),
            json!({"coupon": "ABCD", "spend_avos": "10", "idempotency_key": "k"}),
            unprocessable,
        ),
        (
            "spend negative",
            "/redemptions".into(),
            Some(m.as_str()),
            json!({"coupon": "ABCD", "spend_avos": -5, "idempotency_key": "k"}),
            unprocessable,
        ),
        (
            "spend overflows i64",
            "/redemptions".into(),
            Some(m.as_str()),
            json!({"coupon": "ABCD", "spend_avos": 1e30, "idempotency_key": "k"}),
            unprocessable,
        ),
        (
            "spend a fraction",
            "/redemptions".into(),
            Some(m.as_str()),
            json!({"coupon": "ABCD", "spend_avos": 10.5, "idempotency_key": "k"}),
            unprocessable,
        ),
        (
            "idempotency key too long",
            "/redemptions".into(),
            Some(m.as_str()),
            json!({"coupon": "ABCD", "spend_avos": 10, "idempotency_key": "k".repeat(101)}),
            unprocessable,
        ),
        (
            "idempotency key empty",
            "/redemptions".into(),
            Some(m.as_str()),
            json!({"coupon": "ABCD", "spend_avos": 10, "idempotency_key": "  "}),
            unprocessable,
        ),
        // Ranges.
        (
            "point radius too small",
            format!("/campaigns/{cid}/points"),
            Some(off.as_str()),
            json!({"name": names("p"), "kind": "qr", "lat": HERE.0, "lng": HERE.1, "radius_m": 1}),
            unprocessable,
        ),
        (
            "point latitude 200",
            format!("/campaigns/{cid}/points"),
            Some(off.as_str()),
            json!({"name": names("p"), "kind": "qr", "lat": 200.0, "lng": HERE.1}),
            unprocessable,
        ),
        (
            "point rotate_seconds 1",
            format!("/campaigns/{cid}/points"),
            Some(off.as_str()),
            json!({"name": names("p"), "kind": "qr", "lat": HERE.0, "lng": HERE.1, "rotating": true, "rotate_seconds": 1}),
            unprocessable,
        ),
        (
            "offer stock negative",
            format!("/campaigns/{cid}/offers"),
            Some(off.as_str()),
            json!({"name": names("o"), "kind": "ecash", "face_value_avos": 100, "stock": -1, "per_visitor_limit": 1, "valid_days": 3, "trigger": {"type": "claim"}}),
            unprocessable,
        ),
        (
            "offer percent 150",
            format!("/campaigns/{cid}/offers"),
            Some(off.as_str()),
            json!({"name": names("o"), "kind": "discount", "percent_off": 150, "max_discount_avos": 100, "stock": 1, "per_visitor_limit": 1, "valid_days": 3, "trigger": {"type": "claim"}}),
            unprocessable,
        ),
        (
            "offer trigger unknown",
            format!("/campaigns/{cid}/offers"),
            Some(off.as_str()),
            json!({"name": names("o"), "kind": "ecash", "face_value_avos": 100, "stock": 1, "per_visitor_limit": 1, "valid_days": 3, "trigger": {"type": "lottery"}}),
            unprocessable,
        ),
        (
            "survey estimate 101",
            format!("/campaigns/{cid}/survey"),
            Some(m.as_str()),
            json!({"came_because_of_campaign": true, "estimate_pct": 101}),
            unprocessable,
        ),
        (
            "campaign ends before it starts",
            "/campaigns".into(),
            Some(off.as_str()),
            json!({"slug": "backwards", "name": names("x"), "district": "d", "starts_at": now.to_rfc3339(), "ends_at": (now - chrono::Duration::days(2)).to_rfc3339()}),
            unprocessable,
        ),
        // Lengths.
        (
            "survey comment 2001 chars",
            format!("/campaigns/{cid}/survey"),
            Some(m.as_str()),
            json!({"came_because_of_campaign": true, "comment": "評".repeat(2001)}),
            unprocessable,
        ),
        (
            "visitor ref 65 chars",
            "/visitors".into(),
            None,
            json!({"ref": "r".repeat(65)}),
            unprocessable,
        ),
        (
            "visitor locale unknown",
            "/visitors".into(),
            None,
            json!({"locale": "xx"}),
            unprocessable,
        ),
        (
            "page view path 501 chars",
            "/pageviews".into(),
            None,
            json!({"campaign": cid, "path": "/".repeat(501)}),
            unprocessable,
        ),
        (
            "merchant address 300+ chars",
            "/merchants".into(),
            Some(off.as_str()),
            json!({"name": names("m"), "category": "food", "address": format!("{long}{long}"), "lat": HERE.0, "lng": HERE.1, "username": "addr-long", "password": "long-enough-pw"}),
            unprocessable,
        ),
        (
            "merchant password short",
            "/merchants".into(),
            Some(off.as_str()),
            json!({"name": names("m"), "category": "food", "address": "a", "lat": HERE.0, "lng": HERE.1, "username": "pw-short", "password": "short"}),
            unprocessable,
        ),
        (
            "merchant username with spaces",
            "/merchants".into(),
            Some(off.as_str()),
            json!({"name": names("m"), "category": "food", "address": "a", "lat": HERE.0, "lng": HERE.1, "username": "bad name", "password": "long-enough-pw"}),
            unprocessable,
        ),
        (
            "campaign name too long",
            "/campaigns".into(),
            Some(off.as_str()),
            json!({"slug": "long-name", "name": names(&"長".repeat(500)), "district": "d", "starts_at": now.to_rfc3339(), "ends_at": now.to_rfc3339()}),
            unprocessable,
        ),
        (
            "campaign name with a control character",
            "/campaigns".into(),
            Some(off.as_str()),
            json!({"slug": "ctl-name", "name": {"zh-Hant": "a\u{7}b", "pt": "p", "en": "e"}, "district": "d", "starts_at": now.to_rfc3339(), "ends_at": (now + chrono::Duration::days(1)).to_rfc3339()}),
            unprocessable,
        ),
        // Unknown ids.
        (
            "points of an unknown campaign",
            format!("/campaigns/{}/points", uuid::Uuid::new_v4()),
            Some(off.as_str()),
            json!({"name": names("p"), "kind": "qr", "lat": HERE.0, "lng": HERE.1}),
            StatusCode::NOT_FOUND,
        ),
        (
            "offer of an unknown campaign",
            format!("/campaigns/{}/offers", uuid::Uuid::new_v4()),
            Some(off.as_str()),
            json!({"name": names("o"), "kind": "ecash", "face_value_avos": 100, "stock": 1, "per_visitor_limit": 1, "valid_days": 3, "trigger": {"type": "claim"}}),
            StatusCode::NOT_FOUND,
        ),
        (
            "claim of an unknown offer",
            format!("/offers/{}/claim", uuid::Uuid::new_v4()),
            Some(v.as_str()),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
        (
            "claim of a non-uuid offer",
            "/offers/'%20OR%201=1--/claim".into(),
            Some(v.as_str()),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
        (
            "page view of an unknown campaign",
            "/pageviews".into(),
            None,
            json!({"campaign": "no-such-campaign", "path": "/"}),
            StatusCode::NOT_FOUND,
        ),
        (
            "enrolment in an unknown campaign",
            format!("/campaigns/{}/enrolments", uuid::Uuid::new_v4()),
            Some(m.as_str()),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
        (
            "void an unknown redemption",
            format!("/redemptions/{}/void", uuid::Uuid::new_v4()),
            Some(m.as_str()),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
        (
            "approve an unknown enrolment",
            format!("/enrolments/{}/approve", uuid::Uuid::new_v4()),
            Some(off.as_str()),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
        (
            "devices of an unknown point",
            format!("/points/{}/devices", uuid::Uuid::new_v4()),
            Some(off.as_str()),
            json!({}),
            StatusCode::NOT_FOUND,
        ),
    ];
    let mut failures = Vec::new();
    for (what, path, token, body, want) in &cases {
        let (s, b, h) = app
            .raw(Method::POST, path, *token, Some(body.clone()))
            .await;
        let problem = h
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"));
        if s != *want || !problem {
            failures.push(format!("{what}: {s} (want {want}) {b}"));
        }
    }
    let (s, b) = app.get(&format!("/points/{pid}"), Some(off.as_str())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = app.get("/campaigns/no-such-campaign", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    println!(
        "bad bodies on {:?}: {} cases, {} answered otherwise than expected",
        app.backend,
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
});

both!(unicode_round_trips_and_nul_never_500, |app| {
    let off = app.official().await;
    let now = chrono::Utc::now();
    let name = json!({"zh-Hant": "關前薈 🏮 老街", "zh-Hans": "关前荟 🎉", "pt": "Arraial na Rua dos Ervanários — ç ã ê", "en": "Taipa 🍜 village 👨‍👩‍👧"});
    let (s, c) = app
        .post("/campaigns", Some(off.as_str()), json!({"slug": "unicode-1", "name": name, "district": "氹仔 Taipa", "description": "手信 🍪 pastéis de nata",
            "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(), "ends_at": (now + chrono::Duration::days(5)).to_rfc3339()}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    let (s, got) = app.get("/campaigns/unicode-1", Some(off.as_str())).await;
    assert_eq!(s, StatusCode::OK);
    for lang in ["zh-Hant", "zh-Hans", "pt", "en"] {
        assert_eq!(got["name"][lang], name[lang], "{lang} round-trips exactly");
    }
    let (s, mb) = app
        .post("/merchants", Some(off.as_str()), json!({"name": {"zh-Hant": "茶餐廳 ☕", "pt": "Café", "en": "Café 😀"}, "category": "food",
            "address": "澳門氹仔官也街 10 號", "lat": HERE.0, "lng": HERE.1, "m_mark": true, "username": "cafe-1", "password": "密碼-password-🔑"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mb}");
    let token = app.login("cafe-1", "密碼-password-🔑").await;
    assert!(!token.is_empty(), "a password with CJK and emoji works");
    let (s, b) = app
        .post(
            "/pageviews",
            None,
            json!({"campaign": cid, "path": "/活動/🏮", "ref": "網紅-😀"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let (s, _, h) = app
        .raw(
            Method::GET,
            &format!("/api/v1/campaigns/{cid}/stats.csv"),
            Some(off.as_str()),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));

    // NUL and other control characters: refused or stored, never a 500; they must not
    // poison the page-view buffer either.
    let (_, v) = app.visitor().await;
    let nul = "a\u{0}b";
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        (
            "/campaigns",
            json!({"slug": "nul-1", "name": names("x"), "district": nul, "description": nul, "starts_at": now.to_rfc3339(), "ends_at": (now + chrono::Duration::days(1)).to_rfc3339()}),
            Some(off.as_str()),
        ),
        (
            "/merchants",
            json!({"name": names("m"), "category": "food", "address": nul, "lat": HERE.0, "lng": HERE.1, "username": "nul-user", "password": "long-enough-pw"}),
            Some(off.as_str()),
        ),
        (
            "/auth/login",
            json!({"username": nul, "password": nul}),
            None,
        ),
        ("/visitors", json!({"ref": nul}), None),
        (
            "/checkins",
            json!({"payload": nul, "method": "qr", "nonce": nul}),
            Some(v.as_str()),
        ),
        (
            "/holidays",
            json!({"day": "2031-01-02", "name": nul}),
            Some(off.as_str()),
        ),
        (
            "/pageviews",
            json!({"campaign": cid, "path": nul, "ref": nul}),
            None,
        ),
    ];
    let mut bad = Vec::new();
    for (path, body, token) in &cases {
        let (s, b) = app.post(path, *token, body.clone()).await;
        if s.is_server_error() {
            bad.push(format!("{path}: {s} {b}"));
        }
    }
    // Page views after the poisoned one are still written.
    for i in 0..5 {
        let (s, _) = app
            .post(
                "/pageviews",
                None,
                json!({"campaign": cid, "path": format!("/after/{i}")}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let mut written = 0;
    for _ in 0..40 {
        written = app.count("pageviews", "path LIKE '/after/%'");
        if written == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    println!("unicode on {:?}: names with CJK and emoji round-trip; NUL in {} fields: {} server errors; page views after a NUL one written: {written}/5",
        app.backend, cases.len(), bad.len());
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(written, 5, "a bad page view does not block the others");
});

both!(huge_malformed_and_non_utf8_bodies, |app| {
    let (_, v) = app.visitor().await;
    let off = app.official().await;
    // 64 KiB is the limit: just under is read, just over is 413.
    let big = format!(
        "{{\"payload\": \"{}\", \"method\": \"qr\"}}",
        "A".repeat(70 * 1024)
    );
    let (s, b, _) = send_bytes(
        &app,
        "/checkins",
        Some(v.as_str()),
        "application/json",
        big.into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert!(is_problem(&b, s, "payload_too_large"), "{b}");
    let huge = vec![b' '; 8 * 1024 * 1024];
    let (s, b, _) = send_bytes(
        &app,
        "/campaigns",
        Some(off.as_str()),
        "application/json",
        huge,
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "8 MiB: {b}");
    // Chunked (no Content-Length) and over the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
    let r = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let s = r.status();
    let b = r.text().await.unwrap();
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "chunked: {b}");
    assert!(is_problem(&b, s, "payload_too_large"), "{b}");
    // Invalid UTF-8 inside a JSON string.
    let mut bytes = b"{\"username\": \"adm".to_vec();
    bytes.extend([0xff, 0xfe, 0xc3]);
    bytes.extend(b"in\", \"password\": \"x\"}");
    let (s, b, _) = send_bytes(&app, "/auth/login", None, "application/json", bytes.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "invalid UTF-8: {b}");
    assert!(is_problem(&b, s, "bad_request"), "{b}");
    let mut bytes = b"{\"method\": \"qr\", \"payload\": \"B1:P:".to_vec();
    bytes.extend([0xc0, 0xaf, 0xed, 0xa0, 0x80]);
    bytes.extend(b"\"}");
    let (s, b, _) = send_bytes(
        &app,
        "/checkins",
        Some(v.as_str()),
        "application/json",
        bytes,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "invalid UTF-8 in a field that is read: {b}"
    );
    assert!(is_problem(&b, s, "bad_request"), "{b}");
    // Malformed JSON, deep nesting, wrong content type, empty body.
    for (what, body, ctype) in [
        ("truncated", b"{\"payload\": ".to_vec(), "application/json"),
        (
            "trailing garbage",
            b"{\"payload\": \"x\", \"method\": \"qr\"} xyz".to_vec(),
            "application/json",
        ),
        (
            "deep nesting",
            format!(
                "{{\"payload\": \"x\", \"method\": \"qr\", \"deep\": {}",
                "[".repeat(50_000)
            )
            .into_bytes(),
            "application/json",
        ),
        (
            "form body",
            b"payload=x&method=qr".to_vec(),
            "application/x-www-form-urlencoded",
        ),
        ("empty", Vec::new(), "application/json"),
    ] {
        let (s, b, _) = send_bytes(&app, "/checkins", Some(v.as_str()), ctype, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{what}: {b}");
        assert!(is_problem(&b, s, "bad_request"), "{what}: {b}");
    }
    // A body the visitor sign-up cannot read is refused, not silently replaced by defaults.
    let (s, b, _) = send_bytes(
        &app,
        "/visitors",
        None,
        "application/json",
        b"{\"locale\": 5}".to_vec(),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sign-up with a wrongly typed locale: {b}"
    );
    let (s, b, _) = send_bytes(
        &app,
        "/visitors",
        None,
        "application/json",
        b"{\"locale\": ".to_vec(),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "sign-up with malformed JSON: {b}"
    );
    // …while an empty body still signs up with defaults.
    let r = app
        .client
        .post(format!("{}/api/v1/visitors", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // The server is still fine.
    let (s, _) = app.get("/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    println!("bodies on {:?}: 70 KiB, 8 MiB and chunked 80 KiB → 413; invalid UTF-8, malformed, deeply nested, form and empty → 400", app.backend);
});
