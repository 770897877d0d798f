//! Check-ins and their refusals, stamps, offline uploads, and the coupon triggers.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::support::*;

both!(check_in_refusals, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({"radius_m": 50})).await;
    let payload = p["payload"].as_str().unwrap();
    let (_, v) = app.visitor().await;

    // Forged, tampered by one character, or from another server's key.
    let (s, b) = app
        .check_in(
            &v,
            "B1:P:A:AAAAAAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAA",
            json!({}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload")
    );
    let mut t = payload.to_string();
    let last = t.pop().unwrap();
    t.push(if last == 'A' { 'B' } else { 'A' });
    let (s, b) = app.check_in(&v, &t, json!({})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload")
    );
    // Outside the geofence (about 1.1 km north).
    let (s, b) = app
        .check_in(&v, payload, json!({"lat": HERE.0 + 0.01}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "outside_geofence"));
    // Accepted, then refused the same Macau day.
    let (s, b) = app.check_in(&v, payload, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["stamps"]["count"], 1);
    assert!(b["checkin"]["id"].is_string());
    let (s, b) = app.check_in(&v, payload, json!({})).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "already_checked_in"));
    // A QR stand does not take AR check-ins; bad method is a validation error.
    let (_, v2) = app.visitor().await;
    let (s, b) = app.check_in(&v2, payload, json!({"method": "ar"})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload")
    );
    let (s, b) = app.check_in(&v2, payload, json!({"method": "nfc"})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    // A point that requires the location.
    let strict = app
        .point(&off, cid, json!({"require_location": true}))
        .await;
    let (s, b) = app
        .post(
            "/checkins",
            Some(&v2),
            json!({"payload": strict["payload"], "method": "qr"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "location_required"));
    // Campaign not running: a draft, and an ended one.
    let draft = app.draft_campaign(&off).await;
    let dp = app
        .point(&off, draft["id"].as_str().unwrap(), json!({}))
        .await;
    let (s, b) = app
        .check_in(&v2, dp["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "campaign_not_active")
    );
    // Refusals are recorded with their reason.
    for reason in [
        "invalid_payload",
        "outside_geofence",
        "already_checked_in",
        "location_required",
        "campaign_not_active",
    ] {
        assert!(
            app.count("checkin_refusals", &format!("reason = '{reason}'")) >= 1,
            "{reason} not recorded"
        );
    }
    assert_eq!(app.count("checkins", "1 = 1"), 1);
    // Only visitors check in.
    let (s, _) = app.check_in(&off, payload, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

both!(rotating_codes_expire_after_two_periods, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let p = app
        .point(
            &off,
            c["id"].as_str().unwrap(),
            json!({"rotating": true, "rotate_seconds": 30}),
        )
        .await;
    let pid = p["id"].as_str().unwrap();
    let (_, v) = app.visitor().await;
    // A code from three periods ago, correctly signed, as a photo shared online would be.
    let ring = bairro::domain::payload::KeyRing::new(&[(
        "A".into(),
        app.settings.qr_keys[0].1.expose().as_bytes().to_vec(),
    )]);
    let now = chrono::Utc::now().timestamp() / 30;
    let old = ring.rotating_point(uuid::Uuid::parse_str(pid).unwrap(), now - 3);
    let (s, b) = app.check_in(&v, &old, json!({})).await;
    assert_eq!((s, code(&b)), (StatusCode::GONE, "payload_expired"));
    let (_, current) = app.get(&format!("/points/{pid}/code"), Some(&off)).await;
    let (s, b) = app
        .check_in(&v, current["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
});

both!(offline_scans_keep_scan_time_and_nonce, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let p = app.point(&off, c["id"].as_str().unwrap(), json!({})).await;
    let (_, v) = app.visitor().await;
    let scanned = (chrono::Utc::now() - chrono::Duration::minutes(40)).to_rfc3339();
    let body = json!({"scanned_at": scanned, "nonce": "n-123"});
    let (s1, b1) = app
        .check_in(&v, p["payload"].as_str().unwrap(), body.clone())
        .await;
    assert_eq!(s1, StatusCode::CREATED, "{b1}");
    let (s2, b2) = app.check_in(&v, p["payload"].as_str().unwrap(), body).await;
    assert_eq!(s2, StatusCode::CREATED, "{b2}");
    assert_eq!(
        b1["checkin"]["id"], b2["checkin"]["id"],
        "the same nonce is the same check-in"
    );
    assert_eq!(app.count("checkins", "nonce = 'n-123'"), 1);
    let scanned_at =
        chrono::DateTime::parse_from_rfc3339(b1["checkin"]["scanned_at"].as_str().unwrap())
            .unwrap();
    let received_at =
        chrono::DateTime::parse_from_rfc3339(b1["checkin"]["received_at"].as_str().unwrap())
            .unwrap();
    assert!(
        (received_at - scanned_at).num_minutes() >= 39,
        "both times kept"
    );
    // Too late an upload is refused.
    let (_, v2) = app.visitor().await;
    let (s, b) = app
        .check_in(
            &v2,
            p["payload"].as_str().unwrap(),
            json!({"scanned_at": (chrono::Utc::now() - chrono::Duration::hours(7)).to_rfc3339()}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::GONE, "payload_expired"));
});

both!(triggers_issue_coupons, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p1 = app.point(&off, cid, json!({})).await;
    let p2 = app.point(&off, cid, json!({"kind": "ar"})).await;
    let p3 = app.point(&off, cid, json!({})).await;
    app.offer(
        &off,
        cid,
        json!({"trigger": {"type": "checkins", "count": 2}, "stock": 10}),
    )
    .await;
    app.offer(
        &off,
        cid,
        json!({"kind": "discount", "percent_off": 10, "trigger": {"type": "signup"}}),
    )
    .await;
    // Sign-up while the campaign runs gives the sign-up coupon.
    let (s, signup) = app.post("/visitors", None, json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(signup["coupons"].as_array().unwrap().len(), 1);
    let v = signup["token"].as_str().unwrap();
    let (_, b) = app
        .check_in(v, p1["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(b["stamps"]["count"], 1);
    assert_eq!(b["stamps"]["next_reward_at"], 2);
    assert!(b["coupons"].as_array().unwrap().is_empty());
    let (_, b) = app
        .check_in(v, p2["payload"].as_str().unwrap(), json!({"method": "ar"}))
        .await;
    assert_eq!(b["stamps"]["count"], 2);
    let coupons = b["coupons"].as_array().unwrap();
    assert_eq!(coupons.len(), 1);
    let coupon = &coupons[0];
    for k in [
        "id",
        "code",
        "offer_id",
        "campaign_id",
        "status",
        "issued_at",
        "expires_at",
        "payload",
    ] {
        assert!(!coupon[k].is_null(), "{k} missing");
    }
    assert_eq!(coupon["status"], "issued");
    assert_eq!(coupon["code"].as_str().unwrap().len(), 19);
    // A third point earns nothing more (limit 1).
    let (_, b) = app
        .check_in(v, p3["payload"].as_str().unwrap(), json!({}))
        .await;
    assert!(b["coupons"].as_array().unwrap().is_empty());
    let (s, wallet) = app.get("/me/coupons", Some(v)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(wallet.as_array().unwrap().len(), 2);
    let (_, mine) = app.get("/me/checkins", Some(v)).await;
    assert_eq!(mine.as_array().unwrap().len(), 3);
    // The coupon QR is for its owner only.
    let path = format!("/api/v1/coupons/{}/qr.svg", coupon["id"].as_str().unwrap());
    let (s, svg, _) = app.raw(reqwest::Method::GET, &path, Some(v), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(svg.contains("<svg"));
    let (_, other) = app.visitor().await;
    let (s, _, _) = app
        .raw(reqwest::Method::GET, &path, Some(&other), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, theirs) = app.get("/me/coupons", Some(&other)).await;
    assert!(theirs
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != coupon["id"]));
});

both!(claims_answer_each_refusal, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let closed = app
        .offer(
            &off,
            cid,
            json!({"trigger": {"type": "claim", "opens_at": later}}),
        )
        .await;
    let open = app
        .offer(&off, cid, json!({"stock": 1, "per_visitor_limit": 1}))
        .await;
    let (_, v1) = app.visitor().await;
    let (_, v2) = app.visitor().await;
    let (s, b) = app
        .post(
            &format!("/offers/{}/claim", closed["id"].as_str().unwrap()),
            Some(&v1),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "not_open"));
    let (s, b) = app
        .post(
            &format!("/offers/{}/claim", open["id"].as_str().unwrap()),
            Some(&v1),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["offer_id"], open["id"]);
    let (s, b) = app
        .post(
            &format!("/offers/{}/claim", open["id"].as_str().unwrap()),
            Some(&v1),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "limit_reached"));
    let (s, b) = app
        .post(
            &format!("/offers/{}/claim", open["id"].as_str().unwrap()),
            Some(&v2),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::GONE, "sold_out"));
});

// A coupon a check-in earned while the offer was sold out is issued at the visitor's next
// check-in once the stock is raised, also when that check-in reaches no new threshold; a
// check-in at a point already stamped adds no stamp.
both!(
    coupons_missed_while_sold_out_come_with_a_later_check_in,
    |app| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let mut payloads = Vec::new();
        for _ in 0..3 {
            let p = app.point(&off, cid, json!({})).await;
            payloads.push(p["payload"].as_str().unwrap().to_string());
        }
        let offer = app
            .offer(
                &off,
                cid,
                json!({"trigger": {"type": "checkins", "count": 2}, "stock": 1}),
            )
            .await;
        let oid = offer["id"].as_str().unwrap();
        let (_, first) = app.visitor().await;
        let (_, late) = app.visitor().await;
        for v in [&first, &late] {
            let (s, b) = app.check_in(v, &payloads[0], json!({})).await;
            assert_eq!(
                (s, b["stamps"]["count"].as_i64()),
                (StatusCode::CREATED, Some(1)),
                "{b}"
            );
        }
        let (_, b) = app.check_in(&first, &payloads[1], json!({})).await;
        assert_eq!(b["coupons"].as_array().unwrap().len(), 1, "{b}");
        // The stock is gone when the second visitor reaches the threshold.
        let (s, b) = app.check_in(&late, &payloads[1], json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["stamps"]["count"], 2);
        assert!(b["coupons"].as_array().unwrap().is_empty(), "{b}");
        let (s, b) = app
            .call(
                reqwest::Method::PATCH,
                &format!("/offers/{oid}"),
                Some(&off),
                Some(json!({"stock": 2})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // Three stamps reach no threshold of this offer (one coupon per visitor), yet the coupon
        // earned at two comes now.
        let (s, b) = app.check_in(&late, &payloads[2], json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["stamps"]["count"], 3);
        let coupons = b["coupons"].as_array().unwrap();
        assert_eq!(coupons.len(), 1, "{b}");
        assert_eq!(coupons[0]["offer_id"], oid);
        assert_eq!(app.count("coupons", &format!("offer_id = '{oid}'")), 2);
        assert_eq!(
            app.count("ledger", &format!("offer_id = '{oid}' AND kind = 'issue'")),
            2
        );
        // Nothing more is owed: the next day's check-in at a stamped point adds no stamp, no coupon.
        app.execute(&format!(
        "UPDATE checkins SET day = '2000-01-01' WHERE point_id IN (SELECT id FROM points WHERE campaign_id = '{cid}')"
    ));
        let (s, b) = app.check_in(&late, &payloads[0], json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["stamps"]["count"], 3);
        assert!(b["coupons"].as_array().unwrap().is_empty(), "{b}");
        assert_eq!(app.count("coupons", &format!("offer_id = '{oid}'")), 2);
    }
);
