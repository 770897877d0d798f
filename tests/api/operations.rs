//! Running a live campaign: budgets, edits, pausing, retiring, suspending, withdrawing,
//! voiding and banning — each through the API, on SQLite and PostgreSQL.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, path, Some(token), Some(body)).await
}

async fn claim(app: &TestApp, offer: &str, v: &str) -> (StatusCode, Value) {
    app.post(&format!("/offers/{offer}/claim"), Some(v), json!({}))
        .await
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn audited(app: &TestApp, entity: &str, entity_id: &str, action: &str) {
    let n = app.count(
        "audit_log",
        &format!(
            "entity = '{entity}' AND entity_id = '{entity_id}' AND action = '{action}' \
             AND before IS NOT NULL AND after IS NOT NULL"
        ),
    );
    assert_eq!(n, 1, "one audit entry {action} {entity}");
}

both!(budget_caps_claims_and_triggers, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    // Room for two coupons of MOP 50.
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"budget_avos": 10000}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["budget"]["budget_avos"], 10000);
    assert_eq!(b["budget"]["committed_avos"], 0);
    audited(&app, "campaign", &cid, "edit").await;
    let offer = id(&app.offer(&off, &cid, json!({"stock": 100})).await);
    let mut coupons = Vec::new();
    for _ in 0..2 {
        let (_, v) = app.visitor().await;
        let (s, b) = claim(&app, &offer, &v).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        coupons.push(id(&b));
    }
    let (_, v3) = app.visitor().await;
    let (s, b) = claim(&app, &offer, &v3).await;
    assert_eq!((s, code(&b)), (StatusCode::GONE, "budget_exhausted"), "{b}");
    // A discount coupon costs the budget nothing.
    let disc = id(&app
        .offer(
            &off,
            &cid,
            json!({"kind": "discount", "percent_off": 10, "face_value_avos": null}),
        )
        .await);
    let (s, b) = claim(&app, &disc, &v3).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // A check-in trigger issues nothing past the budget; the check-in still counts.
    let p = app.point(&off, &cid, json!({})).await;
    app.offer(
        &off,
        &cid,
        json!({"trigger": {"type": "checkins", "count": 1}}),
    )
    .await;
    let (s, b) = app
        .check_in(&v3, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["coupons"].as_array().unwrap().len(), 0, "{b}");
    assert_eq!(b["stamps"]["count"], 1);
    let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    assert_eq!(camp["budget"]["committed_avos"], 10000);
    assert_eq!(camp["budget"]["outstanding_avos"], 10000);
    assert_eq!(camp["budget"]["redeemed_avos"], 0);
    // Voiding a coupon gives its e-cash back to the budget (not its stock).
    let (s, b) = app
        .post(
            &format!("/coupons/{}/void", coupons[0]),
            Some(&off),
            json!({"reason": "duplicate phone"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "void");
    audited(&app, "coupon", &coupons[0], "void").await;
    let (s, b) = app
        .post(
            &format!("/coupons/{}/void", coupons[1]),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    assert_eq!(camp["budget"]["committed_avos"], 5000);
    let (s, b) = claim(&app, &offer, &v3).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    let o = camp["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == offer.as_str())
        .unwrap()
        .clone();
    assert_eq!(o["issued"], 3, "voiding never gives stock back");
    assert_eq!(
        app.count(
            "ledger",
            &format!("coupon_id = '{}' AND kind = 'void'", coupons[0])
        ),
        1
    );
    // Raising the budget lets claims through again; a daily budget caps a day.
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"budget_avos": null, "daily_budget_avos": 10000}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["budget"]["budget_avos"], Value::Null);
    let (_, v4) = app.visitor().await;
    let (s, b) = claim(&app, &offer, &v4).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::GONE, "budget_exhausted"),
        "today already holds 10000 (two live coupons): {b}"
    );
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"daily_budget_avos": 20000}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = claim(&app, &offer, &v4).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(
        app.count(
            "campaigns",
            &format!("id = '{cid}' AND committed_avos = 15000")
        ),
        1
    );
    // Budgets come with the campaign's creation too, and in every campaign answer.
    let now = chrono::Utc::now();
    let (s, b) = app
        .post("/campaigns", Some(&off), json!({"slug": "budgeted", "name": names("x"), "district": "Coloane",
            "starts_at": now.to_rfc3339(), "ends_at": (now + chrono::Duration::days(3)).to_rfc3339(),
            "budget_avos": 1_000_000, "daily_budget_avos": 100_000}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["budget"]["budget_avos"], 1_000_000);
    let (_, list) = app.get("/campaigns", Some(&off)).await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["budget"]["committed_avos"].is_i64()));
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"budget_avos": -5}),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
});

both!(campaign_edits_after_publishing, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let later = (chrono::Utc::now() + chrono::Duration::days(60)).to_rfc3339();
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"name": names("新名"), "description": "Now with more shops", "ends_at": later}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["description"], "Now with more shops");
    assert_eq!(b["name"]["en"], "新名 (test)");
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"ends_at": past}),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{b}"
    );
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"slug": "renamed"}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "not_draft"), "{b}");
    // Dates outside a plausible range are refused on creation and edit.
    let (s, b) = app
        .post(
            "/campaigns",
            Some(&off),
            json!({"slug": "typo", "name": names("x"), "district": "Taipa",
            "starts_at": "0202-01-01T00:00:00+08:00", "ends_at": "2027-01-01T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{b}"
    );
    let draft = app.draft_campaign(&off).await;
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{}", id(&draft)),
        &off,
        json!({"ends_at": "2999-01-01T00:00:00+08:00"}),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{b}"
    );
    // Once ended, nothing changes.
    let (s, _) = app
        .post(&format!("/campaigns/{cid}/end"), Some(&off), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"description": "x"}),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "campaign_ended"));
    // The statistics job keeps no day before the campaign existed.
    let (s, _) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK);
    let created = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Macau)
        .date_naive();
    assert_eq!(
        app.count(
            "stats_days",
            &format!("campaign_id = '{cid}' AND day < '{created}'")
        ),
        0
    );
});

both!(offers_change_pause_and_resume, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let offer = id(&app.offer(&off, &cid, json!({"stock": 2})).await);
    for _ in 0..2 {
        let (_, v) = app.visitor().await;
        assert_eq!(claim(&app, &offer, &v).await.0, StatusCode::CREATED);
    }
    let (s, b) = patch(&app, &format!("/offers/{offer}"), &off, json!({"stock": 1})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "stock_below_issued"),
        "{b}"
    );
    let until = (chrono::Utc::now() + chrono::Duration::days(90)).to_rfc3339();
    let (s, b) = patch(
        &app,
        &format!("/offers/{offer}"),
        &off,
        json!({"stock": 5, "name": names("加量"), "valid_until": until}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["stock"], 5);
    assert_eq!(b["remaining"], 3);
    audited(&app, "offer", &offer, "edit").await;
    let (s, b) = app
        .post(&format!("/offers/{offer}/pause"), Some(&off), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["paused"], true);
    audited(&app, "offer", &offer, "pause").await;
    let (_, v) = app.visitor().await;
    let (s, b) = claim(&app, &offer, &v).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "offer_paused"),
        "{b}"
    );
    // A paused check-in offer issues nothing; the check-in counts.
    let trig = id(&app
        .offer(
            &off,
            &cid,
            json!({"trigger": {"type": "checkins", "count": 1}}),
        )
        .await);
    app.post(&format!("/offers/{trig}/pause"), Some(&off), json!({}))
        .await;
    let p = app.point(&off, &cid, json!({})).await;
    let (s, b) = app
        .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["coupons"].as_array().unwrap().len(), 0);
    let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    assert!(camp["offers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == trig.as_str() && o["paused"] == true));
    let (s, b) = app
        .post(&format!("/offers/{offer}/resume"), Some(&off), json!({}))
        .await;
    assert_eq!((s, b["paused"].clone()), (StatusCode::OK, json!(false)));
    audited(&app, "offer", &offer, "resume").await;
    let (s, b) = claim(&app, &offer, &v).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Ended campaigns cannot be changed.
    app.post(&format!("/campaigns/{cid}/end"), Some(&off), json!({}))
        .await;
    let (s, b) = app
        .post(&format!("/offers/{offer}/pause"), Some(&off), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "campaign_ended"));
    let (s, b) = patch(&app, &format!("/offers/{offer}"), &off, json!({"stock": 9})).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "campaign_ended"));
});

both!(points_edit_and_retire, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let p = app.point(&off, &cid, json!({})).await;
    let pid = id(&p);
    let (s, b) = patch(
        &app,
        &format!("/points/{pid}"),
        &off,
        json!({"name": names("新點"), "radius_m": 250}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["radius_m"], 250);
    audited(&app, "point", &pid, "edit").await;
    let (s, b) = patch(&app, &format!("/points/{pid}"), &off, json!({"lat": 123.0})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let (s, b) = app
        .post(&format!("/points/{pid}/retire"), Some(&off), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["retired"], true);
    audited(&app, "point", &pid, "retire").await;
    let (_, v) = app.visitor().await;
    let (s, b) = app
        .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::GONE, "point_retired"), "{b}");
    let (s, b) = app.get(&format!("/points/{pid}/devices"), Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!([]));
});

both!(merchants_edit_suspend_withdraw, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let offer = id(&app.offer(&off, &cid, json!({"per_visitor_limit": 5})).await);
    let (mid, m) = app.merchant(&off, Some(&cid), "food").await;
    let (s, b) = patch(
        &app,
        &format!("/merchants/{mid}"),
        &off,
        json!({"name": names("新店名"), "address": "Rua da Felicidade 8", "m_mark": false}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["address"], "Rua da Felicidade 8");
    audited(&app, "merchant", &mid, "edit").await;
    let (s, b) = patch(
        &app,
        &format!("/merchants/{mid}"),
        &off,
        json!({"category": "spaceships"}),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let (_, v) = app.visitor().await;
    let (_, c1) = claim(&app, &offer, &v).await;
    let (_, c2) = claim(&app, &offer, &v).await;
    let (s, b) = app
        .post(&format!("/merchants/{mid}/suspend"), Some(&off), json!({}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "a reason is required"
    );
    let (s, b) = app
        .post(
            &format!("/merchants/{mid}/suspend"),
            Some(&off),
            json!({"reason": "inspection"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["suspended"], true);
    audited(&app, "merchant", &mid, "suspend").await;
    let (s, b) = app
        .redeem(&m, c1["code"].as_str().unwrap(), 10000, &key())
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "merchant_suspended"),
        "{b}"
    );
    // Its logins still see statements.
    let (s, _) = app.get("/merchant/settlements", Some(&m)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(
            &format!("/merchants/{mid}/reinstate"),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, b["suspended"].clone()),
        (StatusCode::OK, json!(false)),
        "{b}"
    );
    audited(&app, "merchant", &mid, "reinstate").await;
    let (s, b) = app
        .redeem(&m, c1["code"].as_str().unwrap(), 10000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // A spent coupon cannot be voided.
    let (s, b) = app
        .post(
            &format!("/coupons/{}/void", c1["id"].as_str().unwrap()),
            Some(&off),
            json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "coupon_not_voidable"),
        "{b}"
    );
    // A withdrawn enrolment: the merchant is no longer eligible in that campaign.
    let (_, list) = app
        .get(&format!("/campaigns/{cid}/enrolments"), Some(&off))
        .await;
    let eid = list[0]["id"].as_str().unwrap().to_string();
    let (s, b) = app
        .post(
            &format!("/enrolments/{eid}/withdraw"),
            Some(&off),
            json!({"reason": "closed for renovation"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "withdrawn");
    audited(&app, "enrolment", &eid, "withdraw").await;
    let (s, b) = app
        .redeem(&m, c2["code"].as_str().unwrap(), 10000, &key())
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "merchant_not_eligible"),
        "{b}"
    );
});

both!(banning_a_visitor, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let (s, _) = patch(
        &app,
        &format!("/campaigns/{cid}"),
        &off,
        json!({"budget_avos": 100000}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let o1 = id(&app.offer(&off, &cid, json!({})).await);
    let o2 = id(&app.offer(&off, &cid, json!({})).await);
    let p = app.point(&off, &cid, json!({})).await;
    let (vid, v) = app.visitor().await;
    let (_, c1) = claim(&app, &o1, &v).await;
    let (s, b) = app
        .post(
            &format!("/visitors/{vid}/ban"),
            Some(&off),
            json!({"reason": "forty wallets on one phone"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["banned"], true);
    assert_eq!(b["voided_coupons"], json!([c1["id"].clone()]));
    audited(&app, "visitor", &vid, "ban").await;
    let (_, mine) = app.get("/me/coupons", Some(&v)).await;
    assert_eq!(mine[0]["status"], "void");
    let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    assert_eq!(camp["budget"]["committed_avos"], 0);
    let (s, b) = claim(&app, &o2, &v).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "visitor_banned"),
        "{b}"
    );
    let (s, b) = app
        .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "visitor_banned"),
        "{b}"
    );
    let (s, b) = app.get(&format!("/visitors/{vid}"), Some(&off)).await;
    assert_eq!(b["coupons"][0]["status"], "void", "{b}");
    assert_eq!(
        (s, b["ban_reason"].clone()),
        (StatusCode::OK, json!("forty wallets on one phone"))
    );
    let (s, b) = app
        .post(&format!("/visitors/{vid}/unban"), Some(&off), json!({}))
        .await;
    assert_eq!((s, b["banned"].clone()), (StatusCode::OK, json!(false)));
    audited(&app, "visitor", &vid, "unban").await;
    let (s, b) = claim(&app, &o2, &v).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // The voided coupon stays void and still counts against the per-visitor limit.
    let (s, b) = claim(&app, &o1, &v).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "limit_reached"),
        "{b}"
    );
    assert_eq!(
        app.count(
            "ledger",
            &format!("coupon_id = '{}' AND kind = 'void'", id(&c1))
        ),
        1
    );
});

both!(signals_show_the_action_taken, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let (vid, v) = app.visitor().await;
    for _ in 0..4 {
        let (s, _) = app
            .check_in(
                &v,
                "B1:P:A:AAAAAAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAA",
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Refusals with no point are not in any campaign: use a real point out of range instead.
    let p = app.point(&off, &cid, json!({"radius_m": 50})).await;
    for _ in 0..4 {
        let (s, _) = app
            .check_in(
                &v,
                p["payload"].as_str().unwrap(),
                json!({"lat": HERE.0 + 0.01}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, doc) = app
        .get(&format!("/campaigns/{cid}/signals"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    let sg = doc["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["visitor_id"] == vid.as_str())
        .cloned();
    let sg = sg.unwrap_or_else(|| panic!("a signal names the visitor: {doc}"));
    assert_eq!(sg["actions"], json!([]));
    let (s, _) = app
        .post(
            &format!("/visitors/{vid}/ban"),
            Some(&off),
            json!({"reason": "scripted scans"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, doc) = app
        .get(&format!("/campaigns/{cid}/signals"), Some(&off))
        .await;
    let sg = doc["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["visitor_id"] == vid.as_str())
        .unwrap()
        .clone();
    assert_eq!(sg["actions"][0]["action"], "ban", "{sg}");
    assert_eq!(sg["actions"][0]["by_username"], "admin");
    assert_eq!(sg["actions"][0]["reason"], "scripted scans");
});

// `redeemed_avos` adds the closed days' kept statistics to the redemptions of the days not
// kept: a redemption on a kept day is counted once, today's are counted as they happen, and an
// undone one no longer counts — on the campaign and in the campaign list alike.
both!(redeemed_budget_adds_kept_days_and_live_ones, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let (_, shop) = app.merchant(&off, Some(&cid), "food").await;
    let offer = id(&app
        .offer(&off, &cid, json!({"face_value_avos": 3000}))
        .await);
    let mut codes = Vec::new();
    for _ in 0..3 {
        let (_, v) = app.visitor().await;
        let (s, coupon) = claim(&app, &offer, &v).await;
        assert_eq!(s, StatusCode::CREATED, "{coupon}");
        codes.push(coupon["code"].as_str().unwrap().to_string());
    }
    let (s, b) = app.redeem(&shop, &codes[0], 10000, "kept-1").await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Time passes: the first redemption was ten days ago, a closed day the statistics keep.
    let old = (chrono::Utc::now() - chrono::Duration::days(10)).date_naive();
    app.execute(&format!(
        "UPDATE redemptions SET day = '{old}' WHERE campaign_id = '{cid}'"
    ));
    let (s, st) = app
        .get(&format!("/campaigns/{cid}/stats?to=2999-12-29"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(
        app.count(
            "stats_days",
            &format!("campaign_id = '{cid}' AND day = '{old}'")
        ),
        1,
        "the closed day is kept"
    );
    let mut today = Vec::new();
    for (i, code) in codes[1..].iter().enumerate() {
        let (s, b) = app.redeem(&shop, code, 10000, &format!("live-{i}")).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        today.push(b["redemption"]["id"].as_str().unwrap().to_string());
    }
    let redeemed = || {
        let (app, off, cid) = (&app, &off, &cid);
        async move {
            let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(off)).await;
            let (_, list) = app.get("/campaigns", Some(off)).await;
            let listed = list
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == cid.as_str())
                .unwrap()["budget"]["redeemed_avos"]
                .clone();
            assert_eq!(camp["budget"]["redeemed_avos"], listed, "{camp}");
            listed
        }
    };
    assert_eq!(redeemed().await, 9000);
    let (s, b) = app
        .post(
            &format!("/redemptions/{}/void", today[0]),
            Some(&shop),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        redeemed().await,
        6000,
        "an undone redemption no longer counts"
    );
});

// `outstanding_avos` is the e-cash still redeemable: a coupon that expired unspent stays
// committed (it was issued) but no longer counts as outstanding, nor does a redeemed one.
both!(outstanding_counts_only_redeemable_coupons, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = id(&c);
    let (_, shop) = app.merchant(&off, Some(&cid), "food").await;
    // Two offers valid for a month; one coupon of the first is later aged past its expiry.
    let (_, v1) = app.visitor().await;
    let short = id(&app
        .offer(&off, &cid, json!({"face_value_avos": 5000}))
        .await);
    let (s, expiring) = claim(&app, &short, &v1).await;
    assert_eq!(s, StatusCode::CREATED, "{expiring}");
    let long = id(&app
        .offer(&off, &cid, json!({"face_value_avos": 3000}))
        .await);
    let (_, v2) = app.visitor().await;
    let (s, live) = claim(&app, &long, &v2).await;
    assert_eq!(s, StatusCode::CREATED, "{live}");
    let (_, v3) = app.visitor().await;
    let (s, spent) = claim(&app, &long, &v3).await;
    assert_eq!(s, StatusCode::CREATED, "{spent}");
    let (s, b) = app
        .redeem(
            &shop,
            spent["code"].as_str().unwrap(),
            10000,
            "outstanding-1",
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    assert_eq!(camp["budget"]["committed_avos"], 11000, "{camp}");
    assert_eq!(camp["budget"]["redeemed_avos"], 3000);
    assert_eq!(
        camp["budget"]["outstanding_avos"], 8000,
        "both unspent coupons live"
    );
    // Time passes for the first coupon: its expiry is moved into the past (no waiting).
    app.execute(&format!(
        "UPDATE coupons SET expires_at = '2020-01-01 00:00:00' WHERE id = '{}'",
        expiring["id"].as_str().unwrap()
    ));
    let (s, b) = app
        .redeem(
            &shop,
            expiring["code"].as_str().unwrap(),
            10000,
            "outstanding-2",
        )
        .await;
    assert_eq!(
        s.as_u16() / 100,
        4,
        "an expired coupon is not redeemable: {b}"
    );
    let (_, camp) = app.get(&format!("/campaigns/{cid}"), Some(&off)).await;
    assert_eq!(
        camp["budget"]["committed_avos"], 11000,
        "an expired coupon stays committed"
    );
    assert_eq!(camp["budget"]["redeemed_avos"], 3000);
    assert_eq!(
        camp["budget"]["outstanding_avos"], 3000,
        "only the live, unspent coupon is outstanding: {camp}"
    );
});
