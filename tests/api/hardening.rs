//! What a hostile or careless client tries: spreadsheet formulas in CSV cells, markup in
//! printable pages, absurd numbers and dates, a replay after a void, slugs shaped like ids,
//! control characters in text — each answered the same on SQLite and PostgreSQL.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

fn field_error(b: &Value, field: &str) -> bool {
    b["code"] == "validation_failed"
        && b["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["field"] == field))
}

/// Every cell of a CSV a spreadsheet would run as a formula (numbers are fine).
fn formula_cells(csv_text: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut bad = Vec::new();
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            if risky && cell.parse::<f64>().is_err() {
                bad.push(cell.to_string());
            }
        }
    }
    bad
}

/// A merchant with the given display name, enrolled and approved; returns (id, token).
async fn named_merchant(app: &TestApp, off: &str, cid: &str, name: Value) -> (String, String) {
    let user = format!("h-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (s, b) = app
        .post("/merchants", Some(off), json!({"name": name, "category": "food", "address": "Rua do Cunha 1",
            "lat": HERE.0, "lng": HERE.1, "m_mark": true, "username": user, "password": "merchant-pw-123"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let token = app.login(&user, "merchant-pw-123").await;
    let (s, e) = app
        .post(
            &format!("/campaigns/{cid}/enrolments"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (s, _) = app
        .post(
            &format!("/enrolments/{}/approve", e["id"].as_str().unwrap()),
            Some(off),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    (id, token)
}

async fn claim(app: &TestApp, offer: &str, visitor: &str) -> Value {
    let (s, c) = app
        .post(&format!("/offers/{offer}/claim"), Some(visitor), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c
}

both!(csv_cells_never_start_a_formula, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    // A formula as a traffic source is refused at the door, by sign-up and by page views.
    for r in [
        "=HYPERLINK(\"http://x\",\"y\")",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "\tx",
    ] {
        let (s, b) = app.post("/visitors", None, json!({"ref": r})).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "sign-up ref {r:?}: {b}"
        );
        assert!(field_error(&b, "ref"), "{b}");
        let (s, b) = app
            .post(
                "/pageviews",
                None,
                json!({"campaign": cid, "path": "/", "ref": r}),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "page-view ref {r:?}: {b}"
        );
        assert!(field_error(&b, "ref"), "{b}");
    }
    let (s, b) = app.post("/visitors", None, json!({"ref": "網紅-😀"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Names an official or merchant typed are text too: they reach the CSV neutralised.
    app.point(
        &off,
        cid,
        json!({"name": {"zh-Hant": "=HYPERLINK(\"http://evil\")", "pt": "p", "en": "e"}}),
    )
    .await;
    let o = app
        .offer(
            &off,
            cid,
            json!({"name": {"zh-Hant": "@SUM(A1:A9)", "pt": "o", "en": "o"}}),
        )
        .await;
    let (_, m) = named_merchant(
        &app,
        &off,
        cid,
        json!({"zh-Hant": "-1+cmd", "pt": "m", "en": "m"}),
    )
    .await;
    let (_, v) = app.visitor().await;
    let coupon = claim(&app, o["id"].as_str().unwrap(), &v).await;
    let (s, b) = app
        .redeem(&m, coupon["code"].as_str().unwrap(), 20000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let mut files = Vec::new();
    for path in [
        format!("/api/v1/campaigns/{cid}/stats.csv"),
        format!("/api/v1/campaigns/{cid}/export.csv"),
        "/api/v1/pledges.csv".to_string(),
    ] {
        let (s, text, _) = app.raw(Method::GET, &path, Some(&off), None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {text}");
        files.push((path, text));
    }
    let (s, text, _) = app
        .raw(
            Method::GET,
            "/api/v1/merchant/redemptions.csv",
            Some(&m),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    files.push(("redemptions.csv".into(), text));
    let stats = &files[0].1;
    assert!(
        stats.contains("'=HYPERLINK"),
        "the point's name is kept, neutralised: {stats}"
    );
    assert!(stats.contains("'@SUM(A1:A9)"), "{stats}");
    assert!(stats.contains("'-1+cmd"), "{stats}");
    for (path, text) in &files {
        let bad = formula_cells(text);
        assert!(bad.is_empty(), "{path} has formula cells: {bad:?}");
    }
});

both!(printable_pages_escape_and_carry_a_policy, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let evil = "<img src=x onerror=\"alert(document.cookie)\"><script>alert(1)</script>";
    let o = app.offer(&off, cid, json!({})).await;
    let (_, m) = named_merchant(
        &app,
        &off,
        cid,
        json!({"zh-Hant": evil, "pt": evil, "en": "Café & Co"}),
    )
    .await;
    let (_, v) = app.visitor().await;
    let coupon = claim(&app, o["id"].as_str().unwrap(), &v).await;
    let (s, _) = app
        .redeem(&m, coupon["code"].as_str().unwrap(), 20000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let sid = st[0]["id"].as_str().unwrap();
    let p = app
        .point(
            &off,
            cid,
            json!({"name": {"zh-Hant": evil, "pt": evil, "en": evil}}),
        )
        .await;
    for (path, token) in [
        (format!("/api/v1/settlements/{sid}/print"), off.as_str()),
        (format!("/api/v1/settlements/{sid}/print"), m.as_str()),
        (
            format!("/api/v1/points/{}/poster", p["id"].as_str().unwrap()),
            off.as_str(),
        ),
    ] {
        let (s, html, h) = app.raw(Method::GET, &path, Some(token), None).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x"),
            "{path} carries markup: {html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=&quot;alert"),
            "{path}: the name is shown as text"
        );
        let csp = h
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_string());
        let csp = csp.unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{path}: {csp}"
        );
        assert!(
            html.contains("http-equiv=\"Content-Security-Policy\""),
            "{path}: the policy travels with the document"
        );
    }
    let (s, html, h) = app.raw(Method::GET, "/api/docs", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<script>"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline'; connect"),
        "{csp}"
    );
});

both!(numbers_and_dates_are_bounded, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "/merchant/redemptions?page=9223372036854775807&per_page=2".into(),
            "page",
            "m",
        ),
        ("/merchant/redemptions?page=-1".into(), "page", "m"),
        ("/merchant/redemptions?per_page=0".into(), "per_page", "m"),
        (
            "/merchant/redemptions?per_page=100000".into(),
            "per_page",
            "m",
        ),
        (
            "/merchant/redemptions?from=-262143-01-01".into(),
            "from",
            "m",
        ),
        (
            "/merchant/redemptions.csv?to=%2B262142-12-31".into(),
            "to",
            "m",
        ),
        (
            format!("/campaigns/{cid}/stats?from=-262143-01-01"),
            "from",
            "o",
        ),
        (
            format!("/campaigns/{cid}/stats.csv?to=%2B262142-12-31"),
            "to",
            "o",
        ),
        (
            format!("/campaigns/{cid}/signals?from=0001-01-01"),
            "from",
            "o",
        ),
        (
            format!("/campaigns/{cid}/export.json?from=-262143-01-01"),
            "from",
            "o",
        ),
        ("/audit?limit=9223372036854775807".into(), "limit", "o"),
        ("/audit?limit=0".into(), "limit", "o"),
        ("/pledges?year=2147483647".into(), "year", "o"),
    ];
    for (path, field, who) in &cases {
        let token = if *who == "m" {
            m.as_str()
        } else {
            off.as_str()
        };
        let (s, b) = app.get(path, Some(token)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {b}");
        assert!(field_error(&b, field), "{path}: {b}");
    }
    for (from, to, field) in [
        ("-262143-01-01", "2026-01-01", "from"),
        ("2026-01-01", "+262142-12-31", "to"),
    ] {
        let (s, b) = app
            .post(
                &format!("/campaigns/{cid}/settlements"),
                Some(&off),
                json!({"from": from, "to": to}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(field_error(&b, field), "{b}");
    }
    let (s, b) = app
        .post(
            "/holidays",
            Some(&off),
            json!({"day": "-0001-01-01", "name": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app
        .post(
            "/campaigns",
            Some(&off),
            json!({"slug": "far-future", "name": names("x"), "district": "Taipa",
            "starts_at": "9999-01-01T00:00:00Z", "ends_at": "9999-02-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app
        .call(Method::DELETE, "/holidays/-262143-01-01", Some(&off), None)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(field_error(&b, "day"), "{b}");
    let (s, b) = app
        .call(
            Method::PUT,
            "/pledges/x/footnotes/2147483647",
            Some(&off),
            Some(json!({"text": "note"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(field_error(&b, "year"), "{b}");
    // In range is fine.
    let (s, b) = app
        .get("/merchant/redemptions?page=3&per_page=500", Some(&m))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
});

both!(replay_after_void_tells_the_truth, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let o = app.offer(&off, cid, json!({})).await;
    let (_, v) = app.visitor().await;
    let coupon = claim(&app, o["id"].as_str().unwrap(), &v).await;
    let code = coupon["code"].as_str().unwrap();
    let k = key();
    let (s, first) = app.redeem(&m, code, 20000, &k).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, again) = app.redeem(&m, code, 20000, &k).await;
    assert_eq!(
        (s, &again),
        (StatusCode::CREATED, &first),
        "a plain retry gets the first answer"
    );
    let rid = first["redemption"]["id"].as_str().unwrap();
    let (s, b) = app
        .post(&format!("/redemptions/{rid}/void"), Some(&m), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app.redeem(&m, code, 20000, &k).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a replay after the void is no success: {b}"
    );
    assert_eq!(b["code"], "redemption_voided", "{b}");
    assert_eq!(b["redemption"]["id"], rid);
    assert_eq!(b["redemption"]["status"], "void");
    assert_eq!(
        app.count("redemptions", "status <> 'void'"),
        0,
        "the replay redeemed nothing"
    );
    // The coupon is usable again, with a new key.
    let (s, b) = app.redeem(&m, code, 20000, &key()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
});

both!(slugs_shaped_like_ids_are_refused, |app| {
    let off = app.official().await;
    let now = chrono::Utc::now();
    for slug in [
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().simple().to_string(),
    ] {
        let (s, b) = app
            .post("/campaigns", Some(&off), json!({"slug": slug, "name": names("x"), "district": "Taipa",
                "starts_at": now.to_rfc3339(), "ends_at": (now + chrono::Duration::days(3)).to_rfc3339()}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{slug}: {b}");
        assert!(field_error(&b, "slug"), "{b}");
    }
    let d = app.draft_campaign(&off).await;
    let id = d["id"].as_str().unwrap();
    let (s, b) = app
        .call(
            Method::PATCH,
            &format!("/campaigns/{id}"),
            Some(&off),
            Some(json!({"slug": uuid::Uuid::new_v4().to_string()})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(field_error(&b, "slug"), "{b}");
});

both!(control_characters_are_refused_alike, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let (_, v) = app.visitor().await;
    let now = chrono::Utc::now();
    let cases: Vec<(Method, String, Option<&str>, Value, &str)> = vec![
        (
            Method::POST,
            "/visitors".into(),
            None,
            json!({"ref": "a\u{0}b"}),
            "ref",
        ),
        (
            Method::POST,
            "/pageviews".into(),
            None,
            json!({"campaign": cid, "path": "/", "ref": "kol\u{0}"}),
            "ref",
        ),
        (
            Method::POST,
            "/pageviews".into(),
            None,
            json!({"campaign": cid, "path": "/a\u{1b}[2J"}),
            "path",
        ),
        (
            Method::POST,
            "/merchants".into(),
            Some(off.as_str()),
            json!({"name": names("m"), "category": "food",
            "address": "Rua\u{0} 1", "lat": HERE.0, "lng": HERE.1, "username": "ctl-user", "password": "long-enough-pw"}),
            "address",
        ),
        (
            Method::POST,
            "/merchants".into(),
            Some(off.as_str()),
            json!({"name": {"zh-Hant": "x\u{7}", "pt": "x", "en": "x"}, "category": "food",
            "address": "Rua 1", "lat": HERE.0, "lng": HERE.1, "username": "ctl-user2", "password": "long-enough-pw"}),
            "name.zh-Hant",
        ),
        (
            Method::POST,
            format!("/campaigns/{cid}/survey"),
            Some(m.as_str()),
            json!({"came_because_of_campaign": true, "estimate_pct": 40, "comment": "ok\u{0}"}),
            "comment",
        ),
        (
            Method::POST,
            "/campaigns".into(),
            Some(off.as_str()),
            json!({"slug": "ctl-1", "name": names("x"), "district": "Tai\npa",
            "starts_at": now.to_rfc3339(), "ends_at": (now + chrono::Duration::days(1)).to_rfc3339()}),
            "district",
        ),
        (
            Method::POST,
            "/checkins".into(),
            Some(v.as_str()),
            json!({"payload": "x\u{85}", "method": "qr"}),
            "payload",
        ),
        (
            Method::POST,
            "/auth/login".into(),
            None,
            json!({"username": "admin\u{0}", "password": "x"}),
            "username",
        ),
    ];
    for (method, path, token, body, field) in cases {
        let (s, b) = app.call(method, &path, token, Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {b}");
        assert!(field_error(&b, field), "{path} names {field}: {b}");
    }
    for (path, field) in [
        ("/audit?entity=a%00b", "entity"),
        ("/audit?entity_id=%1F", "entity_id"),
    ] {
        let (s, b) = app.get(path, Some(&off)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {b}");
        assert!(field_error(&b, field), "{b}");
    }
    let (s, b) = app.get("/campaigns/a%00b", Some(&off)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // Line breaks where text spans lines are kept.
    let (s, b) = app
        .post(&format!("/campaigns/{cid}/survey"), Some(&m), json!({"came_because_of_campaign": true, "estimate_pct": 40, "comment": "line one\nline two"}))
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = app
        .post(
            "/merchants",
            Some(&off),
            json!({"name": names("m"), "category": "food", "address": "Rua do Cunha 1\nTaipa",
            "lat": HERE.0, "lng": HERE.1, "username": "ctl-ok", "password": "long-enough-pw"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["address"], "Rua do Cunha 1\nTaipa");
});

/// The OpenAPI document states the contract: every operation's error answers as problem
/// documents, field constraints on the request bodies, and no bearer on public operations.
#[actix_web::test]
async fn openapi_documents_errors_constraints_and_public_operations() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (s, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let problem = &doc["components"]["schemas"]["Problem"];
    for f in ["type", "title", "status", "detail", "code"] {
        assert!(
            problem["properties"][f].is_object(),
            "Problem.{f}: {problem}"
        );
    }
    let public = [
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/visitors"),
        ("post", "/api/v1/pageviews"),
        ("post", "/api/v1/devices/activate"),
        ("get", "/api/v1/openapi.json"),
    ];
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let mut want = vec!["400", "404", "422", "429", "503"];
            let is_public = public.contains(&(method.as_str(), path.as_str()));
            if is_public {
                assert_eq!(op["security"], json!([]), "{method} {path} is public");
            } else if op["security"].is_null() {
                want.extend(["401", "403"]);
            }
            if op["requestBody"].is_object() {
                want.push("413");
            }
            for st in want {
                let r = &responses.get(st).cloned().unwrap_or_default();
                if r["content"]["application/problem+json"]["schema"]["$ref"]
                    != "#/components/schemas/Problem"
                {
                    missing.push(format!("{method} {path} {st}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented error answers: {missing:?}"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["SignUpBody"]["properties"]["ref"]["maxLength"], 64);
    assert!(schemas["CampaignBody"]["properties"]["slug"]["pattern"].is_string());
    assert_eq!(
        schemas["RedeemBody"]["properties"]["idempotency_key"]["maxLength"],
        100
    );
    assert_eq!(
        schemas["SurveyBody"]["properties"]["estimate_pct"]["maximum"],
        100
    );
    let page = doc["paths"]["/api/v1/merchant/redemptions"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "page")
        .cloned()
        .unwrap();
    assert_eq!(page["schema"]["maximum"], 100000, "{page}");
}
