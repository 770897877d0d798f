//! The till and the bureau's desk: the merchant's history pages, same-named shops told apart,
//! the printed statement, survey answers, the pre-flight check and errors that state numbers.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

fn is_uuid_in(text: &str) -> Option<String> {
    // 8-4-4-4-12 hex, the shape of every id.
    let b = text.as_bytes();
    let hex = |c: u8| c.is_ascii_hexdigit();
    for i in 0..b.len().saturating_sub(36) {
        let w = &b[i..i + 36];
        let ok = w.iter().enumerate().all(|(j, c)| {
            if [8, 13, 18, 23].contains(&j) {
                *c == b'-'
            } else {
                hex(*c)
            }
        });
        if ok {
            return Some(String::from_utf8_lossy(w).into());
        }
    }
    None
}

pub(crate) async fn shop(
    app: &TestApp,
    off: &str,
    cid: &str,
    name: &str,
    address: &str,
) -> (String, String) {
    let user = format!("s-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (s, b) = app
        .post("/merchants", Some(off), json!({
            "name": {"zh-Hant": name, "pt": name, "en": name}, "category": "food", "address": address,
            "lat": HERE.0, "lng": HERE.1, "m_mark": false, "username": user, "password": "merchant-pw-123"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let token = app.login(&user, "merchant-pw-123").await;
    let (_, e) = app
        .post(
            &format!("/campaigns/{cid}/enrolments"),
            Some(&token),
            json!({}),
        )
        .await;
    let (s, e) = app
        .post(
            &format!("/enrolments/{}/approve", e["id"].as_str().unwrap()),
            Some(off),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    (b["id"].as_str().unwrap().to_string(), token)
}

pub(crate) async fn coupon(app: &TestApp, offer: &str) -> String {
    let (_, v) = app.visitor().await;
    let (s, c) = app
        .post(&format!("/offers/{offer}/claim"), Some(&v), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["code"].as_str().unwrap().to_string()
}

both!(merchant_history_pages_newest_first_with_day_totals, |app| {
    let app = TestApp::spawn_with(app.backend, |s| s.rate_limits = false)
        .await
        .unwrap();
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let o = app
        .offer(&off, cid, json!({"stock": 100, "face_value_avos": 1000}))
        .await;
    let oid = o["id"].as_str().unwrap();
    let (_, m) = shop(&app, &off, cid, "歷史店", "Rua 1").await;
    let mut codes = Vec::new();
    for i in 0..53 {
        let code = coupon(&app, oid).await;
        let (s, b) = app.redeem(&m, &code, 2000 + i, &key()).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        codes.push(code);
    }
    let (s, p0) = app.get("/merchant/redemptions?page=0", Some(&m)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p0["total"], 53);
    assert_eq!(p0["pages"], 2);
    let items = p0["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    // Newest first: the last redemption made heads the first page.
    assert_eq!(items[0]["spend_avos"], 2000 + 52);
    assert_eq!(items[0]["coupon_code"], codes.last().unwrap().as_str());
    assert_eq!(items[0]["offer_name"], o["name"]);
    let day = &p0["days"][0];
    assert_eq!(day["count"], 53, "{day}");
    assert_eq!(day["discount_avos"], 53 * 1000);
    let (_, p1) = app.get("/merchant/redemptions?page=1", Some(&m)).await;
    let rest = p1["items"].as_array().unwrap();
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[2]["spend_avos"], 2000, "the oldest is last");
    let (_, p2) = app.get("/merchant/redemptions?page=2", Some(&m)).await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 0);
});

both!(same_named_shops_are_told_apart, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let o = app.offer(&off, cid, json!({"face_value_avos": 5000})).await;
    let oid = o["id"].as_str().unwrap();
    let (a_id, a) = shop(&app, &off, cid, "利記<咖啡>", "Rua da Praia 1").await;
    let (b_id, b) = shop(&app, &off, cid, "利記<咖啡>", "Avenida Central 88").await;
    for m in [&a, &b] {
        let code = coupon(&app, oid).await;
        let (s, r) = app.redeem(m, &code, 10000, &key()).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let today = bairro::domain::time::macau_day(bairro::domain::time::now()).to_string();
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": today, "to": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let (_, list) = app
        .get(&format!("/settlements?campaign={cid}"), Some(&off))
        .await;
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let line = |r: &Value| {
        format!(
            "{} {}",
            r["merchant_no"].as_str().unwrap(),
            r["merchant_address"].as_str().unwrap()
        )
    };
    assert_ne!(line(&rows[0]), line(&rows[1]), "{list}");
    for r in rows {
        let mid = r["merchant_id"].as_str().unwrap();
        let want = if mid == a_id {
            "Rua da Praia 1"
        } else {
            assert_eq!(mid, b_id);
            "Avenida Central 88"
        };
        assert_eq!(r["merchant_address"], want);
        // The printed statement names the shop by name, number and address; all escaped.
        let (s, html, h) = app
            .raw(
                Method::GET,
                &format!("/api/v1/settlements/{}/print", r["id"].as_str().unwrap()),
                Some(&off),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(html.contains(want), "{html}");
        assert!(html.contains(r["merchant_no"].as_str().unwrap()));
        assert!(html.contains("利記&lt;咖啡&gt;"), "escaped name");
        assert!(!html.contains("<咖啡>"), "no raw markup from data");
        assert!(html.contains("待核准") && html.contains("Awaiting approval"));
        assert!(html.contains("50.00"));
        assert_eq!(is_uuid_in(&html), None, "no ids on a printed statement");
        let (s, csv, _) = app
            .raw(
                Method::GET,
                &format!("/api/v1/settlements/{}.csv", r["id"].as_str().unwrap()),
                Some(&off),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            csv.contains(want) && csv.contains(r["merchant_no"].as_str().unwrap()),
            "{csv}"
        );
    }
    // Statistics and enrolments carry the same distinguishing line.
    let (_, stats) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    let nos: Vec<&str> = stats["merchants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["merchant_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos.len(), 2);
    assert_ne!(nos[0], nos[1]);
    let (_, en) = app
        .get(&format!("/campaigns/{cid}/enrolments"), Some(&off))
        .await;
    assert!(en
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["merchant_no"].is_string() && e["merchant_address"].is_string()));
    let (_, csv, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/campaigns/{cid}/stats.csv"),
            Some(&off),
            None,
        )
        .await;
    assert!(csv.contains("Rua da Praia 1") && csv.contains("Avenida Central 88"));
});

both!(survey_answers_for_officials, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, a) = shop(&app, &off, cid, "問卷甲", "Rua A").await;
    let (_, b) = shop(&app, &off, cid, "問卷乙", "Rua B").await;
    let (s, x) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&a),
            json!({"came_because_of_campaign": true, "estimate_pct": 30, "comment": "多了遊客 = good"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{x}");
    app.post(
        &format!("/campaigns/{cid}/survey"),
        Some(&b),
        json!({"came_because_of_campaign": false, "estimate_pct": 10}),
    )
    .await;
    let (s, ans) = app
        .get(&format!("/campaigns/{cid}/survey/answers"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK, "{ans}");
    assert_eq!(ans["responses"], 2);
    assert_eq!(ans["yes"], 1);
    assert_eq!(ans["estimate_avg"], 20.0);
    let with_comment: Vec<&Value> = ans["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["comment"].is_string())
        .collect();
    assert_eq!(with_comment.len(), 1);
    assert_eq!(with_comment[0]["comment"], "多了遊客 = good");
    assert_eq!(with_comment[0]["merchant_name"]["zh-Hant"], "問卷甲");
    assert_eq!(with_comment[0]["address"], "Rua A");
    let (s, csv, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/campaigns/{cid}/survey/answers.csv"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        csv.contains("多了遊客 = good") && csv.contains("問卷乙"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);
    let (s, _) = app
        .get(&format!("/campaigns/{cid}/survey/answers"), Some(&a))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

both!(preflight_lists_what_is_missing_before_publishing, |app| {
    let off = app.official().await;
    let c = app.draft_campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let failing = |p: &Value| -> Vec<String> {
        p["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == false)
            .map(|c| c["check"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, p) = app
        .get(&format!("/campaigns/{cid}/preflight"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["ready"], false);
    let f = failing(&p);
    for want in ["points", "offers", "approved_merchants", "stock"] {
        assert!(f.contains(&want.to_string()), "{want} in {f:?}");
    }
    app.point(&off, cid, json!({})).await;
    app.offer(&off, cid, json!({"stock": 10})).await;
    let (_, p) = app
        .get(&format!("/campaigns/{cid}/preflight"), Some(&off))
        .await;
    assert_eq!(failing(&p), vec!["approved_merchants".to_string()]);
    assert_eq!(p["ready"], false);
});

both!(till_errors_state_the_numbers, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = shop(&app, &off, cid, "數字店", "Rua N").await;
    let o = app
        .offer(
            &off,
            cid,
            json!({"face_value_avos": 5000, "min_spend_avos": 20000}),
        )
        .await;
    let code = coupon(&app, o["id"].as_str().unwrap()).await;
    let (s, e) = app
        .post(
            "/redemptions/preview",
            Some(&m),
            json!({"coupon": code, "spend_avos": 15000}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["code"], "min_spend_not_met");
    assert_eq!(e["min_spend_avos"], 20000);
    assert_eq!(e["short_avos"], 5000);
    let d = app
        .offer(&off, cid, json!({"kind": "discount", "face_value_avos": 0, "percent_off": 20, "max_discount_avos": 3000}))
        .await;
    let code = coupon(&app, d["id"].as_str().unwrap()).await;
    let (s, p) = app
        .post(
            "/redemptions/preview",
            Some(&m),
            json!({"coupon": code, "spend_avos": 50000}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["discount_avos"], 3000);
    assert_eq!(p["capped"], true);
    assert_eq!(p["max_discount_avos"], 3000);
    assert!(p["expires_at"].is_string());
});

both!(promotion_sources_group_the_traffic, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({})).await;
    let (s, src) = app
        .post(
            &format!("/campaigns/{cid}/sources"),
            Some(&off),
            json!({"name": "小紅書達人 Ana", "platform": "xiaohongshu", "note": "Weekend post"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{src}");
    let code = src["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6);
    assert_eq!(src["link"], format!("/s/{code}"));
    let (s, e) = app
        .post(
            &format!("/campaigns/{cid}/sources"),
            Some(&off),
            json!({"name": "x", "platform": "myspace"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"][0]["field"], "platform");

    // The short link lands on the campaign with its source.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = plain
        .get(format!("{}/s/{}", app.base, code.to_lowercase()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        r.headers()["location"],
        format!("/#/c/{}?ref={code}", c["slug"].as_str().unwrap()).as_str()
    );
    let r = plain
        .get(format!("{}/s/NOPE99", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");

    // One visitor from the source, one from an unregistered ref, one direct.
    for r in [Some(code.as_str()), Some("someone-else"), None] {
        let (_, b) = app.post("/visitors", None, json!({"ref": r})).await;
        let (s, ci) = app
            .check_in(
                b["token"].as_str().unwrap(),
                p["payload"].as_str().unwrap(),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{ci}");
    }
    let (s, g) = app
        .get(&format!("/campaigns/{cid}/sources"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["sources"][0]["figures"]["checkins"], 1, "{g}");
    assert_eq!(g["sources"][0]["figures"]["visitors"], 1);
    assert_eq!(g["other"]["checkins"], 1);
    assert_eq!(g["other_refs"], 1);
    assert_eq!(g["direct"]["checkins"], 1);
    let (_, csv, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/campaigns/{cid}/sources.csv"),
            Some(&off),
            None,
        )
        .await;
    assert!(
        csv.contains("小紅書達人 Ana") && csv.contains("other"),
        "{csv}"
    );
    let (_, v) = app.visitor().await;
    let (s, _) = app
        .get(&format!("/campaigns/{cid}/sources"), Some(&v))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});
