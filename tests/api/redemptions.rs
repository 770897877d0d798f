//! The till: redemption rules, retries, undo, merchants' own views, settlement with four
//! eyes, and the ledger replay.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::support::*;

async fn claimed(
    app: &TestApp,
    off: &str,
    cid: &str,
    offer: serde_json::Value,
) -> (serde_json::Value, String) {
    let o = app.offer(off, cid, offer).await;
    let (_, v) = app.visitor().await;
    let (s, c) = app
        .post(
            &format!("/offers/{}/claim", o["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (c, v)
}

both!(redemption_rules, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, food) = app.merchant(&off, Some(cid), "food").await;
    let (_, shop) = app.merchant(&off, Some(cid), "retail").await;
    let (_, outsider) = app.merchant(&off, None, "food").await;

    // E-cash with a minimum spend of 3× face value; typed codes are forgiving.
    let (coupon, _) = claimed(
        &app,
        &off,
        cid,
        json!({"face_value_avos": 5000, "min_spend_avos": 15000}),
    )
    .await;
    let (s, b) = app
        .redeem(&food, coupon["code"].as_str().unwrap(), 14999, &key())
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "min_spend_not_met")
    );
    let (s, b) = app
        .redeem(&outsider, coupon["code"].as_str().unwrap(), 20000, &key())
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "merchant_not_eligible")
    );
    let typed = coupon["code"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .replace('-', " ");
    let (s, b) = app.redeem(&food, &typed, 20000, &key()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["discount_avos"], 5000);
    assert_eq!(b["redemption"]["ecash_avos"], 5000);
    assert_eq!(b["coupon"]["status"], "redeemed");
    let (s, b) = app
        .redeem(&shop, coupon["payload"].as_str().unwrap(), 20000, &key())
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "already_redeemed"));
    assert_eq!(b["same_merchant"], false);
    assert!(
        b.get("redemption_id").is_none(),
        "another merchant's redemption id is not shown"
    );

    // Percent discount with a cap; category-restricted.
    let (coupon, _) = claimed(&app, &off, cid, json!({"kind": "discount", "percent_off": 15, "max_discount_avos": 2000, "eligible_categories": ["food"]})).await;
    let (s, b) = app
        .redeem(&shop, coupon["code"].as_str().unwrap(), 10000, &key())
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "merchant_not_eligible")
    );
    let (s, b) = app
        .redeem(&food, coupon["code"].as_str().unwrap(), 9999, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["discount_avos"], 1499);
    assert_eq!(b["redemption"]["ecash_avos"], 0);

    // Expired coupons are expired everywhere, before any sweep.
    let past = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (coupon, v) = claimed(&app, &off, cid, json!({"valid_until": past})).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (_, wallet) = app.get("/me/coupons", Some(&v)).await;
    assert_eq!(wallet[0]["status"], "expired");
    let (s, b) = app
        .redeem(&food, coupon["code"].as_str().unwrap(), 20000, &key())
        .await;
    assert_eq!((s, code(&b)), (StatusCode::GONE, "coupon_expired"));
    // Nonsense.
    let (s, b) = app.redeem(&food, "not-a-code", 20000, &key()).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_coupon")
    );
    let (s, b) = app
        .redeem(&food, "AAAA-AAAA-AAAA-AAAA", 20000, &key())
        .await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "coupon_not_found"));
    let (s, b) = app
        .post(
            "/redemptions",
            Some(&food),
            json!({"coupon": "x", "spend_avos": 1}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
});

both!(idempotency_and_void, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let (_, other) = app.merchant(&off, Some(cid), "food").await;
    let (coupon, _) = claimed(&app, &off, cid, json!({})).await;
    let k = key();
    let (s1, b1) = app
        .redeem(&m, coupon["code"].as_str().unwrap(), 20000, &k)
        .await;
    assert_eq!(s1, StatusCode::CREATED);
    let (s2, b2) = app
        .redeem(&m, coupon["payload"].as_str().unwrap(), 20000, &k)
        .await;
    assert_eq!(
        (s2, &b2),
        (StatusCode::CREATED, &b1),
        "the same key gives the same answer"
    );
    let (s, b) = app
        .redeem(&m, coupon["code"].as_str().unwrap(), 30000, &k)
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict")
    );
    let rid = b1["redemption"]["id"].as_str().unwrap();
    // Only the redeeming merchant may void.
    let (s, _) = app
        .post(&format!("/redemptions/{rid}/void"), Some(&other), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = app
        .post(&format!("/redemptions/{rid}/void"), Some(&m), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["coupon"]["status"], "issued");
    let (s, b) = app
        .post(&format!("/redemptions/{rid}/void"), Some(&m), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "already_void"));
    // The coupon can be used again, by another merchant too.
    let (s, b) = app
        .redeem(&other, coupon["code"].as_str().unwrap(), 20000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Past the window: pretend the redemption is 11 minutes old.
    let rid2 = b["redemption"]["id"].as_str().unwrap().to_string();
    {
        use bairro::db::schema::redemptions;
        use diesel::prelude::*;
        let old = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(11);
        diesel::update(redemptions::table.find(&rid2))
            .set(redemptions::created_at.eq(old))
            .execute(&mut *app.conn())
            .unwrap();
    }
    let (s, b) = app
        .post(
            &format!("/redemptions/{rid2}/void"),
            Some(&other),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "void_window_passed"));
});

both!(merchants_see_only_their_own, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (mid, m) = app.merchant(&off, Some(cid), "food").await;
    let (_, other) = app.merchant(&off, Some(cid), "food").await;
    for _ in 0..3 {
        let (coupon, _) = claimed(&app, &off, cid, json!({})).await;
        let (s, _) = app
            .redeem(&m, coupon["code"].as_str().unwrap(), 20000, &key())
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, mine) = app.get("/merchant/redemptions?per_page=2", Some(&m)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["total"], 3);
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    assert_eq!(mine["today_count"], 3);
    assert_eq!(mine["today_discount_avos"], 15000);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["merchant_id"] == mid.as_str()));
    let (_, theirs) = app.get("/merchant/redemptions", Some(&other)).await;
    assert_eq!(theirs["total"], 0);
    let (s, csv, _) = app
        .raw(
            Method::GET,
            "/api/v1/merchant/redemptions.csv",
            Some(&m),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(csv.lines().count(), 4);
    // Settlement: four eyes, then the merchant reads its statement; the other does not.
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let list = st.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["amount_avos"], 15000);
    assert_eq!(list[0]["redemptions"], 3);
    let sid = list[0]["id"].as_str().unwrap();
    let (s, again) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(
        again.as_array().unwrap().is_empty(),
        "a redemption belongs to one statement only"
    );
    let (s, b) = app
        .post(
            &format!("/settlements/{sid}/approve"),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "four_eyes_required"));
    let second = app.second_official().await;
    let (s, b) = app
        .post(&format!("/settlements/{sid}/pay"), Some(&second), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "invalid_state"));
    let (s, b) = app
        .post(
            &format!("/settlements/{sid}/approve"),
            Some(&second),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, b["status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );
    let (s, b) = app
        .post(&format!("/settlements/{sid}/pay"), Some(&off), json!({}))
        .await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("paid")));
    let (_, ms) = app.get("/merchant/settlements", Some(&m)).await;
    assert_eq!(ms.as_array().unwrap().len(), 1);
    let (_, os) = app.get("/merchant/settlements", Some(&other)).await;
    assert!(os.as_array().unwrap().is_empty());
    let (s, _) = app.get(&format!("/settlements/{sid}"), Some(&other)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, csv, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/settlements/{sid}.csv"),
            Some(&m),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(csv.lines().count(), 4);
    let (s, html, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/settlements/{sid}/print"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("150.00"));
});

both!(ledger_replays_to_the_same_totals, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let mut redeemed = Vec::new();
    for i in 0..6 {
        let (coupon, _) =
            claimed(&app, &off, cid, json!({"face_value_avos": 1000 * (i + 1)})).await;
        if i < 4 {
            let (_, b) = app
                .redeem(&m, coupon["code"].as_str().unwrap(), 50000, &key())
                .await;
            redeemed.push(b["redemption"]["id"].as_str().unwrap().to_string());
        }
    }
    let (s, _) = app
        .post(
            &format!("/redemptions/{}/void", redeemed[0]),
            Some(&m),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;

    // Replay the ledger and compare with the tables.
    let entries = bairro::db::ledger::entries(&mut app.conn(), &cid.into()).unwrap();
    let sum = |k: &str| {
        entries
            .iter()
            .filter(|e| e.kind == k)
            .map(|e| e.amount_avos)
            .sum::<i64>()
    };
    let n = |k: &str| entries.iter().filter(|e| e.kind == k).count() as i64;
    assert_eq!(n("issue"), 6);
    assert_eq!(sum("issue"), 21000);
    assert_eq!(n("redeem"), 4);
    assert_eq!(n("void"), 1);
    let live_ecash = sum("redeem") - sum("void");
    assert_eq!(live_ecash, 2000 + 3000 + 4000);
    assert_eq!(sum("settle"), st[0]["amount_avos"].as_i64().unwrap());
    assert_eq!(
        sum("settle"),
        live_ecash,
        "statement lines equal e-cash redeemed in the period"
    );
    // issued = redeemed + expired + void + outstanding
    let issued = app.count("coupons", &format!("campaign_id = '{cid}'"));
    let by = |st: &str| {
        app.count(
            "coupons",
            &format!("campaign_id = '{cid}' AND status = '{st}'"),
        )
    };
    assert_eq!(
        issued,
        by("redeemed") + by("expired") + by("void") + by("issued")
    );
    assert_eq!(by("redeemed"), 3);
    // Nothing updates or deletes the ledger.
    use diesel::connection::SimpleConnection;
    assert!(app
        .conn()
        .batch_execute("UPDATE ledger SET amount_avos = 0")
        .is_err());
    assert!(app.conn().batch_execute("DELETE FROM ledger").is_err());
});

both!(preview_shows_the_discount_without_redeeming, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let (coupon, v) = claimed(&app, &off, cid, json!({"kind": "discount", "percent_off": 20, "max_discount_avos": 5000, "min_spend_avos": 1000})).await;
    let (s, p) = app
        .post(
            "/redemptions/preview",
            Some(&m),
            json!({"coupon": coupon["payload"], "spend_avos": 12345}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["discount_avos"], 2469);
    assert_eq!(p["to_pay_avos"], 12345 - 2469);
    assert_eq!(p["coupon"]["status"], "issued");
    let (s, p) = app
        .post(
            "/redemptions/preview",
            Some(&m),
            json!({"coupon": coupon["code"], "spend_avos": 999}),
        )
        .await;
    assert_eq!(
        (s, code(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, "min_spend_not_met")
    );
    let (_, wallet) = app.get("/me/coupons", Some(&v)).await;
    assert_eq!(wallet[0]["status"], "issued", "a preview redeems nothing");
    assert_eq!(app.count("redemptions", "1 = 1"), 0);
    let (s, _) = app
        .post(
            "/redemptions/preview",
            Some(&v),
            json!({"coupon": coupon["code"], "spend_avos": 999}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "visitors do not preview");
});
