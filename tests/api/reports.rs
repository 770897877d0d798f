//! Statistics against hand-counted fixtures, page views, the survey, and the pledge report.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::support::*;

both!(campaign_statistics_match_a_hand_count, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p1 = app.point(&off, cid, json!({})).await;
    let p2 = app.point(&off, cid, json!({})).await;
    app.offer(
        &off,
        cid,
        json!({"trigger": {"type": "checkins", "count": 2}, "face_value_avos": 5000}),
    )
    .await;
    let (mid, m) = app.merchant(&off, Some(cid), "food").await;
    let (_, _idle) = app.merchant(&off, Some(cid), "retail").await;

    // Two visitors from an influencer's link, one direct.
    let mut tokens = Vec::new();
    for r in [Some("kol-a"), Some("kol-a"), None] {
        let (_, b) = app.post("/visitors", None, json!({"ref": r})).await;
        tokens.push(b["token"].as_str().unwrap().to_string());
    }
    for (i, t) in tokens.iter().enumerate() {
        app.check_in(t, p1["payload"].as_str().unwrap(), json!({}))
            .await;
        if i < 2 {
            let (_, b) = app
                .check_in(t, p2["payload"].as_str().unwrap(), json!({}))
                .await;
            if i == 0 {
                let coupon = &b["coupons"][0];
                let (s, _) = app
                    .redeem(&m, coupon["code"].as_str().unwrap(), 18000, &key())
                    .await;
                assert_eq!(s, StatusCode::CREATED);
            }
        }
    }
    // A refused scan (outside the fence).
    app.check_in(
        &tokens[2],
        p2["payload"].as_str().unwrap(),
        json!({"lat": HERE.0 + 0.05}),
    )
    .await;
    for r in ["kol-a", "kol-a", "kol-a", ""] {
        let (s, _) = app
            .post(
                "/pageviews",
                None,
                json!({"campaign": c["slug"], "path": "/", "ref": r}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let (s, _) = app
        .post(
            "/pageviews",
            None,
            json!({"campaign": "no-such-campaign", "path": "/"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Page views are buffered; wait for the writer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.count("pageviews", "1 = 1") != 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the buffered page views were not written"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (s, survey) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&m),
            json!({"came_because_of_campaign": true, "estimate_pct": 40}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{survey}");
    let (s, _) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&m),
            json!({"came_because_of_campaign": true, "estimate_pct": 45}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "a second answer edits the first");

    let (s, st) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK);
    let f = &st["funnel"];
    assert_eq!(f["page_views"], 4);
    assert_eq!(f["visitors"], 3);
    assert_eq!(f["checkins"], 5);
    assert_eq!(f["coupons_issued"], 2);
    assert_eq!(f["coupons_redeemed"], 1);
    assert_eq!(st["redemption_rate"], 0.5);
    assert_eq!(st["ecash_redeemed_avos"], 5000);
    assert_eq!(st["spend_avos"], 18000);
    assert_eq!(st["merchants_enrolled"], 2);
    assert_eq!(st["merchants_redeeming"], 1);
    assert_eq!(st["merchants"][0]["merchant_id"], mid.as_str());
    let pts = st["points"].as_array().unwrap();
    assert_eq!(pts[0]["checkins"], 3);
    assert_eq!(pts[1]["checkins"], 2);
    assert_eq!(pts[1]["refused"]["outside_geofence"], 1);
    let kol = st["refs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ref"] == "kol-a")
        .unwrap()
        .clone();
    assert_eq!(kol["page_views"], 3);
    assert_eq!(kol["visitors"], 2);
    assert_eq!(kol["checkins"], 4);
    assert_eq!(kol["coupons_issued"], 2);
    assert_eq!(kol["redemptions"], 1);
    assert_eq!(st["survey"]["responses"], 1);
    assert_eq!(st["survey"]["share"], 1.0);
    assert_eq!(st["daily"].as_array().unwrap().len(), 1);
    // A range with nothing in it.
    let (_, empty) = app
        .get(
            &format!("/campaigns/{cid}/stats?from=2001-01-01&to=2001-12-31"),
            Some(&off),
        )
        .await;
    assert_eq!(empty["funnel"]["checkins"], 0);
    let (s, csv, headers) = app
        .raw(
            Method::GET,
            &format!("/api/v1/campaigns/{cid}/stats.csv"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.contains("funnel,,,checkins,5"), "{csv}");
    assert!(csv.contains("ref,kol-a,,redemptions,1"));
    let (s, ov) = app.get("/stats/overview", Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ov["campaigns"], 1);
    assert_eq!(ov["merchants"], 2);
    assert_eq!(
        ov["summary"]["zh-Hant"],
        "一項活動合共2間商戶參與，活動網站累計4人次瀏覽，發放了2張電子現金券及優惠券"
    );
    // Merchants and visitors do not read statistics.
    let (s, _) = app.get(&format!("/campaigns/{cid}/stats"), Some(&m)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

both!(pledge_report_counts_working_days, |app| {
    use bairro::db::schema::enrolments;
    use diesel::prelude::*;
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    // A public holiday the seed does not have, so the test shows the table is used.
    let (s, _) = app
        .post(
            "/holidays",
            Some(&off),
            json!({"day": "2022-10-03", "name": "test holiday"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (_, m) = app.merchant(&off, None, "food").await;
        let (_, e) = app
            .post(&format!("/campaigns/{cid}/enrolments"), Some(&m), json!({}))
            .await;
        ids.push(e["id"].as_str().unwrap().to_string());
    }
    // Submitted Thu 29 Sep 2022, 10:00 Macau. Deadline: Fri 30 Sep, (Mon 3 and Tue 4 Oct are
    // holidays), Wed 5, Thu 6, Fri 7, Mon 10 Oct.
    let t = |d: &str| {
        chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M").unwrap()
            - chrono::Duration::hours(8)
    };
    for (id, decided) in ids.iter().zip(["2022-10-10 17:00", "2022-10-11 09:00"]) {
        diesel::update(enrolments::table.find(id))
            .set((
                enrolments::status.eq("approved"),
                enrolments::submitted_at.eq(t("2022-09-29 10:00")),
                enrolments::decided_at.eq(Some(t(decided))),
            ))
            .execute(&mut *app.conn())
            .unwrap();
    }
    let (s, _) = app
        .call(
            Method::PUT,
            "/pledges/enrolment_decision/footnotes/2022",
            Some(&off),
            Some(json!({"text": "颱風期間延誤"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = app.get("/pledges?years=2022,2023", Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    let row = &r["rows"][0];
    assert_eq!(row["indicator_id"], "enrolment_decision");
    assert_eq!(row["target_pct"], 90.0);
    let y22 = &row["years"][0];
    assert_eq!(y22["received"], 2);
    assert_eq!(y22["met"], 1);
    assert_eq!(y22["actual_pct"], 50.0);
    assert_eq!(y22["met_target"], false);
    assert_eq!(y22["footnote"], 1);
    assert_eq!(r["footnotes"][0]["text"], "颱風期間延誤");
    let y23 = &row["years"][1];
    assert!(y23["actual_pct"].is_null());
    assert_eq!(y23["actual_label"]["zh-Hant"], "沒有申請");
    let settle = &r["rows"][1];
    assert_eq!(settle["target_pct"], 92.0);
    let (s, single) = app.get("/pledges?year=2022", Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(single["rows"][0]["actual_pct"], 50.0);
    let (s, csv, _) = app
        .raw(
            Method::GET,
            "/api/v1/pledges.csv?years=2022,2023",
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        csv.contains("50% ¹") && csv.contains("沒有申請") && csv.contains("颱風期間延誤"),
        "{csv}"
    );
});

both!(closed_days_are_kept_and_add_up_with_live_days, |app| {
    use diesel::connection::SimpleConnection;
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p1 = app.point(&off, cid, json!({})).await;
    let p2 = app.point(&off, cid, json!({})).await;
    app.offer(
        &off,
        cid,
        json!({"trigger": {"type": "checkins", "count": 1}, "per_visitor_limit": 2}),
    )
    .await;
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let mut codes = Vec::new();
    for _ in 0..4 {
        let (_, v) = app.visitor().await;
        let (_, b) = app
            .check_in(&v, p1["payload"].as_str().unwrap(), json!({}))
            .await;
        codes.push(b["coupons"][0]["code"].as_str().unwrap().to_string());
        app.check_in(&v, p2["payload"].as_str().unwrap(), json!({}))
            .await;
    }
    for c in &codes[..3] {
        let (s, _) = app.redeem(&m, c, 10000, &key()).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, before) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    // Move half of the history ten days back: those days are closed and kept.
    let old = (chrono::Utc::now() - chrono::Duration::days(10)).date_naive();
    let sql = format!(
        "UPDATE checkins SET day = '{old}' WHERE point_id = '{p1}';
         UPDATE coupons SET day = '{old}' WHERE campaign_id = '{cid}' AND seq = 1;
         UPDATE redemptions SET day = '{old}' WHERE campaign_id = '{cid}';",
        p1 = p1["id"].as_str().unwrap()
    );
    app.conn().batch_execute(&sql).unwrap();
    // Statistics may be a few seconds old (kept and recounted in the background): ask for a
    // range not asked before to count it now.
    let (_, after) = app
        .get(&format!("/campaigns/{cid}/stats?to=2999-12-30"), Some(&off))
        .await;
    assert_eq!(
        after["funnel"], before["funnel"],
        "the same totals from kept and live days"
    );
    assert_eq!(after["funnel"]["checkins"], 8);
    assert_eq!(after["funnel"]["visitors"], 4);
    assert_eq!(after["funnel"]["coupons_issued"], 8);
    assert_eq!(after["funnel"]["coupons_redeemed"], 3);
    assert_eq!(after["daily"].as_array().unwrap().len(), 2);
    assert!(
        app.count(
            "stats_days",
            &format!("campaign_id = '{cid}' AND day = '{old}'")
        ) == 1,
        "the closed day is kept"
    );
    let (_, only_old) = app
        .get(
            &format!("/campaigns/{cid}/stats?from={old}&to={old}"),
            Some(&off),
        )
        .await;
    assert_eq!(only_old["funnel"]["checkins"], 4);
    assert_eq!(only_old["funnel"]["coupons_redeemed"], 3);
    assert_eq!(only_old["points"][0]["checkins"], 4);
    assert_eq!(only_old["points"][1]["checkins"], 0);
    // A kept day is served from the kept row: asking again gives the same answer.
    let (_, again) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(again["funnel"], after["funnel"]);
    let (_, ov) = app.get("/stats/overview", Some(&off)).await;
    assert_eq!(ov["checkins"], 8);
    assert_eq!(ov["coupons_redeemed"], 3);
});

both!(
    purchases_are_counted_per_day_and_add_up_over_kept_days,
    |app| {
        use diesel::connection::SimpleConnection;
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let p1 = app.point(&off, cid, json!({})).await;
        let p2 = app.point(&off, cid, json!({})).await;
        app.offer(
            &off,
            cid,
            json!({"trigger": {"type": "checkins", "count": 1}, "per_visitor_limit": 2}),
        )
        .await;
        let (_, m) = app.merchant(&off, Some(cid), "food").await;
        // Two visitors with two coupons each.
        let mut wallets = Vec::new();
        for _ in 0..2 {
            let (_, v) = app.visitor().await;
            let mut codes = Vec::new();
            for p in [&p1, &p2] {
                let (_, b) = app
                    .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
                    .await;
                codes.push(b["coupons"][0]["code"].as_str().unwrap().to_string());
            }
            wallets.push(codes);
        }
        // The first visitor bought ten days ago (a closed day, kept), and again today; the second
        // only today.
        let (s, _) = app.redeem(&m, &wallets[0][0], 10_000, &key()).await;
        assert_eq!(s, StatusCode::CREATED);
        let old = (chrono::Utc::now() - chrono::Duration::days(10)).date_naive();
        app.conn()
            .batch_execute(&format!(
                "UPDATE purchases SET day = '{old}' WHERE campaign_id = '{cid}';
             UPDATE purchase_stamps SET day = '{old}' WHERE campaign_id = '{cid}';
             UPDATE redemptions SET day = '{old}' WHERE campaign_id = '{cid}';"
            ))
            .unwrap();
        for (code, spend) in [(&wallets[0][1], 5_000), (&wallets[1][0], 20_000)] {
            let (s, b) = app.redeem(&m, code, spend, &key()).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
        }
        let today = bairro::domain::time::macau_day(bairro::domain::time::now());
        let stats = |q: String| {
            let (app, off) = (&app, &off);
            async move {
                let (s, b) = app
                    .get(&format!("/campaigns/{cid}/stats?{q}"), Some(off))
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
                b
            }
        };
        // A range not asked before is counted now (the old day is kept as it is counted).
        let all = stats("to=2999-12-29".into()).await;
        assert_eq!(all["funnel"]["purchases"], 3, "{all}");
        assert_eq!(all["funnel"]["purchase_spend_avos"], 35_000);
        assert_eq!(all["purchases"]["count"], 3);
        assert_eq!(all["purchases"]["stamps"], 3, "a stamp a day at the shop");
        assert_eq!(all["purchases"]["visitors"], 2, "two people bought");
        assert_eq!(
            app.count(
                "stats_days",
                &format!("campaign_id = '{cid}' AND day = '{old}'")
            ),
            1,
            "the closed day is kept"
        );
        let only_old = stats(format!("from={old}&to={old}")).await;
        assert_eq!(only_old["purchases"]["count"], 1, "{only_old}");
        assert_eq!(only_old["purchases"]["visitors"], 1);
        assert_eq!(only_old["funnel"]["purchase_spend_avos"], 10_000);
        // Today: two purchases, one new buyer (the first visitor had bought before).
        let only_today = stats(format!("from={today}&to={today}")).await;
        assert_eq!(only_today["purchases"]["count"], 2, "{only_today}");
        assert_eq!(only_today["purchases"]["visitors"], 1);
        // Kept and live days add up to the same figures when asked again.
        let again = stats("to=2999-12-29".into()).await;
        assert_eq!(again["purchases"], all["purchases"]);
        let (_, ov) = app.get("/stats/overview", Some(&off)).await;
        assert_eq!(ov["purchases"], 3, "{ov}");
        assert_eq!(ov["purchase_spend_avos"], 35_000);
    }
);

both!(fraud_signals_show_their_evidence, |app| {
    let app = app;
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({})).await;
    let offer = app
        .offer(
            &off,
            cid,
            json!({"stock": 100, "per_visitor_limit": 5, "min_spend_avos": 15000}),
        )
        .await;
    let oid = offer["id"].as_str().unwrap();
    let (m1, t1) = app.merchant(&off, Some(cid), "food").await;
    let (_, t2) = app.merchant(&off, Some(cid), "food").await;
    let (_, t3) = app.merchant(&off, Some(cid), "food").await;
    // Ten visitors from one device check in; one of them also scans from far away three times.
    let mut visitors = Vec::new();
    for _ in 0..10 {
        let (_, v) = app.visitor().await;
        app.check_in(&v, p["payload"].as_str().unwrap(), json!({}))
            .await;
        visitors.push(v);
    }
    let p2 = app.point(&off, cid, json!({})).await;
    for _ in 0..3 {
        app.check_in(
            &visitors[0],
            p2["payload"].as_str().unwrap(),
            json!({"lat": HERE.0 + 0.05}),
        )
        .await;
    }
    // One till redeems six coupons at exactly the minimum spend within a minute.
    for v in &visitors[1..7] {
        let (_, cp) = app
            .post(&format!("/offers/{oid}/claim"), Some(v), json!({}))
            .await;
        let (s, _) = app
            .redeem(&t1, cp["code"].as_str().unwrap(), 15000, &key())
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    // One visitor redeems at three merchants within minutes.
    for t in [&t1, &t2, &t3] {
        let (_, cp) = app
            .post(
                &format!("/offers/{oid}/claim"),
                Some(&visitors[8]),
                json!({}),
            )
            .await;
        let (s, _) = app
            .redeem(t, cp["code"].as_str().unwrap(), 20000, &key())
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, r) = app
        .get(&format!("/campaigns/{cid}/signals"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK);
    let kinds: Vec<&str> = r["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    for k in [
        "exact_minimum_spend",
        "till_burst",
        "merchant_hopping",
        "visitors_from_one_device",
        "refused_scans",
    ] {
        assert!(kinds.contains(&k), "{k} not signalled: {r}");
    }
    let exact = r["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "exact_minimum_spend")
        .unwrap();
    assert_eq!(exact["merchant_id"], m1.as_str());
    assert_eq!(
        exact["evidence"]["redemption_ids"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let hop = r["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "merchant_hopping")
        .unwrap();
    assert_eq!(hop["evidence"]["merchant_ids"].as_array().unwrap().len(), 3);
    let refused = r["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "refused_scans")
        .unwrap();
    assert_eq!(refused["evidence"]["refusals"].as_array().unwrap().len(), 3);
});

both!(survey_closes_with_the_report, |app| {
    use diesel::connection::SimpleConnection;
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, m) = app.merchant(&off, Some(cid), "food").await;
    let (_, outsider) = app.merchant(&off, None, "food").await;
    let (s, b) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&outsider),
            json!({"came_because_of_campaign": true}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "merchant_not_eligible")
    );
    let (s, b) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&m),
            json!({"came_because_of_campaign": false, "estimate_pct": 101}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let (s, _) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&m),
            json!({"came_because_of_campaign": false}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // The campaign ended 31 days ago: its report has closed.
    let ended = (chrono::Utc::now() - chrono::Duration::days(31))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S");
    let started = (chrono::Utc::now() - chrono::Duration::days(60))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S");
    app.conn().batch_execute(&format!("UPDATE campaigns SET starts_at = '{started}', ends_at = '{ended}', status = 'ended' WHERE id = '{cid}'")).unwrap();
    let (s, b) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&m),
            json!({"came_because_of_campaign": true}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "survey_closed"));
    let (_, st) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(st["survey"]["responses"], 1);
    assert_eq!(st["survey"]["yes"], 0);
});

both!(
    open_data_export_is_public_and_suppresses_small_counts,
    |app| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let p = app.point(&off, cid, json!({})).await;
        let mut visitor_ids = Vec::new();
        for i in 0..6 {
            let (vid, v) = app.visitor().await;
            visitor_ids.push(vid);
            if i < 6 {
                app.check_in(&v, p["payload"].as_str().unwrap(), json!({}))
                    .await;
            }
        }
        let (s, d) = app
            .get(
                &format!("/campaigns/{}/export.json", c["slug"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(d["totals"]["checkins"], 6);
        assert!(d["totals"]["coupons_issued"] == 0);
        assert_eq!(d["points"][0]["checkins"], 6);
        let text = d.to_string();
        for v in &visitor_ids {
            assert!(!text.contains(v.as_str()), "no visitor id in open data");
        }
        // One more point with two check-ins: published as fewer than five.
        let p2 = app.point(&off, cid, json!({})).await;
        let (_, v) = app.visitor().await;
        app.check_in(&v, p2["payload"].as_str().unwrap(), json!({}))
            .await;
        let (_, d) = app
            .get(&format!("/campaigns/{cid}/export.json"), None)
            .await;
        assert!(d["points"][1]["checkins"].is_null());
        let (s, csv, _) = app
            .raw(
                Method::GET,
                &format!("/api/v1/campaigns/{cid}/export.csv"),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.contains("day,page_views,checkins,coupons_issued,coupons_redeemed"));
        assert!(csv.contains(",7,"), "{csv}");
        // Drafts are not published.
        let draft = app.draft_campaign(&off).await;
        let (s, _) = app
            .get(
                &format!("/campaigns/{}/export.json", draft["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

both!(statistics_are_never_more_than_a_few_seconds_old, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({})).await;
    let (_, v1) = app.visitor().await;
    app.check_in(&v1, p["payload"].as_str().unwrap(), json!({}))
        .await;
    let (_, first) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(first["funnel"]["checkins"], 1);
    let (_, v2) = app.visitor().await;
    app.check_in(&v2, p["payload"].as_str().unwrap(), json!({}))
        .await;
    // Within five seconds the new check-in shows, with no official change to drop the caches.
    let started = std::time::Instant::now();
    let mut seen = 0;
    while started.elapsed() < std::time::Duration::from_secs(5) {
        let (_, now) = app
            .get(&format!("/campaigns/{cid}/stats"), Some(&off))
            .await;
        seen = now["funnel"]["checkins"].as_i64().unwrap();
        if seen == 2 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(seen, 2, "the statistics caught up within five seconds");
    println!("statistics caught up after {:?}", started.elapsed());
});
