//! Consumption stamps (purchases at the till) and fair draws.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::both;
use crate::support::*;

async fn card_of(app: &TestApp, visitor: &str) -> String {
    let (s, b) = app.get("/me/card", Some(visitor)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["payload"].as_str().unwrap().to_string()
}

async fn purchase(
    app: &TestApp,
    merchant: &str,
    card: &str,
    spend: i64,
    key: &str,
) -> (StatusCode, Value) {
    app.post(
        "/purchases",
        Some(merchant),
        json!({"visitor": card, "spend_avos": spend, "idempotency_key": key}),
    )
    .await
}

both!(purchase_stamps, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, shop_a) = app.merchant(&off, Some(cid), "food").await;
    let (_, shop_b) = app.merchant(&off, Some(cid), "retail").await;
    let (_, shop_c) = app.merchant(&off, Some(cid), "food").await;
    let (_, outsider) = app.merchant(&off, None, "food").await;
    // Three stamps of at least MOP 50 earn the coupon.
    let offer = app
        .offer(
            &off,
            cid,
            json!({"trigger": {"type": "purchases", "count": 3, "min_spend_avos": 5000}, "stock": 10}),
        )
        .await;
    assert_eq!(offer["trigger"]["type"], "purchases");
    assert_eq!(offer["trigger"]["min_spend_avos"], 5000);
    let (_, v) = app.visitor().await;
    let card = card_of(&app, &v).await;
    assert!(card.starts_with("B1:V:"), "{card}");

    // A forged card, a merchant outside the campaign, and a visitor may not record.
    let (s, b) = purchase(&app, &shop_a, &card.replace(":V:", ":X:"), 100, &key()).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_card")
    );
    let (s, b) = purchase(&app, &outsider, &card, 8000, &key()).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "merchant_not_eligible")
    );
    let (s, _) = purchase(&app, &v, &card, 8000, &key()).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED);

    // First purchase at A: a stamp. A retry with the same key answers the same.
    let k = key();
    let (s, first) = purchase(&app, &shop_a, &card, 8000, &k).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["stamps"]["count"], 1);
    assert_eq!(first["purchase"]["stamped"], true);
    let (s, again) = purchase(&app, &shop_a, &card, 8000, &k).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(again, first);
    let (s, b) = purchase(&app, &shop_a, &card, 9000, &k).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict")
    );
    // Retries racing each other record once.
    let k2 = key();
    let racing: Vec<_> = (0..6)
        .map(|_| purchase(&app, &shop_b, &card, 1000, &k2))
        .collect();
    let answers = futures::future::join_all(racing).await;
    let ids: BTreeSet<String> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::CREATED, "{b}");
            b["purchase"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(answers[0].1["stamps"]["count"], 2);

    // A second purchase at A the same day is recorded, the count does not grow.
    let (s, b) = purchase(&app, &shop_a, &card, 8000, &key()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["purchase"]["stamped"], false);
    assert_eq!(b["stamps"]["count"], 2);
    assert_eq!(b["coupons"], json!([]));
    // B's stamp (MOP 10) is below the offer's minimum: no coupon yet, though three stamps exist.
    let (s, b) = purchase(&app, &shop_c, &card, 6000, &key()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(b["stamps"]["count"], 3);
    assert_eq!(b["coupons"], json!([]));
    // A bigger purchase at B the same day raises that day's stamp: the third counting stamp.
    let (s, b) = purchase(&app, &shop_b, &card, 7000, &key()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["stamps"]["count"], 3);
    assert_eq!(b["coupons"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["coupons"][0]["offer_id"], offer["id"]);
    assert_eq!(app.count("purchases", "1=1"), 5);
    assert_eq!(app.count("purchase_stamps", "1=1"), 3);
    assert_eq!(
        app.count(
            "coupons",
            &format!("offer_id = '{}'", offer["id"].as_str().unwrap())
        ),
        1
    );

    // The wallet's stamp card and the till's view.
    let (s, cards) = app.get("/me/stamps", Some(&v)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cards[0]["count"], 3);
    assert_eq!(cards[0]["offers"][0]["stamps"], 3);
    assert_eq!(cards[0]["offers"][0]["coupons"], 1);
    let (s, till) = app
        .post(
            "/purchases/preview",
            Some(&shop_a),
            json!({"visitor": card}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{till}");
    assert_eq!(till["stamps"]["count"], 3);
    assert_eq!(till["stamped_here_today"], true);
    let (s, list) = app.get("/merchant/purchases", Some(&shop_a)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);

    // Officials see a burst of purchases from one till among the fraud signals.
    let (_, sig) = app
        .get(&format!("/campaigns/{cid}/signals"), Some(&off))
        .await;
    assert!(!sig["signals"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["kind"] == "till_purchase_burst"));
    for _ in 0..5 {
        let (_, v) = app.visitor().await;
        let (s, _) = purchase(&app, &shop_c, &card_of(&app, &v).await, 100, &key()).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, sig) = app
        .get(&format!("/campaigns/{cid}/signals"), Some(&off))
        .await;
    let burst: Vec<&Value> = sig["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "till_purchase_burst")
        .collect();
    assert_eq!(burst.len(), 1, "{sig}");
    assert!(
        burst[0]["evidence"]["purchase_ids"]
            .as_array()
            .unwrap()
            .len()
            >= 5
    );
});

both!(a_redemption_is_a_purchase, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, shop) = app.merchant(&off, Some(cid), "food").await;
    app.offer(&off, cid, json!({"trigger": {"type": "purchases", "count": 1}, "stock": 5, "kind": "discount", "percent_off": 10}))
        .await;
    let claim = app.offer(&off, cid, json!({})).await;
    let (_, v) = app.visitor().await;
    let (s, coupon) = app
        .post(
            &format!("/offers/{}/claim", claim["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{coupon}");
    let k = key();
    let (s, b) = app
        .redeem(&shop, coupon["payload"].as_str().unwrap(), 12000, &k)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["stamps"]["count"], 1);
    assert_eq!(
        b["coupons"].as_array().unwrap().len(),
        1,
        "one stamp earned the discount"
    );
    let (s, again) = app
        .redeem(&shop, coupon["payload"].as_str().unwrap(), 12000, &k)
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(again, b);
    assert_eq!(app.count("purchases", "redemption_id IS NOT NULL"), 1);
    // A card purchase the same day at the same shop adds no stamp.
    let (s, p) = purchase(&app, &shop, &card_of(&app, &v).await, 500, &key()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(p["stamps"]["count"], 1);
    // Statistics count purchases and their spend.
    let (s, st) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(st["funnel"]["purchases"], 2, "{st}");
    assert_eq!(st["funnel"]["purchase_spend_avos"], 12500);
    assert_eq!(st["purchases"]["stamps"], 1);
});

// With no offer paying out for purchases, a redemption is written by one statement on
// PostgreSQL: the same rows, stamps and stored answer as the transaction on SQLite.
both!(
    a_redemption_stamps_the_card_when_no_offer_pays_for_purchases,
    |app| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let (_, shop_a) = app.merchant(&off, Some(cid), "food").await;
        let (_, shop_b) = app.merchant(&off, Some(cid), "food").await;
        let claim = app.offer(&off, cid, json!({"per_visitor_limit": 3})).await;
        let (_, v) = app.visitor().await;
        let mut coupons = Vec::new();
        for _ in 0..3 {
            let (s, coupon) = app
                .post(
                    &format!("/offers/{}/claim", claim["id"].as_str().unwrap()),
                    Some(&v),
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{coupon}");
            coupons.push(coupon["payload"].as_str().unwrap().to_string());
        }
        let k = key();
        let (s, first) = app.redeem(&shop_a, &coupons[0], 3000, &k).await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        assert_eq!(first["stamps"]["count"], 1);
        assert_eq!(first["coupons"].as_array().unwrap().len(), 0);
        // A retry answers the stored answer, the stamps the statement counted included.
        let (s, again) = app.redeem(&shop_a, &coupons[0], 3000, &k).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(again, first);
        // Another shop the same day: a second stamp.
        let (s, b) = app.redeem(&shop_b, &coupons[1], 2000, &key()).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["stamps"]["count"], 2);
        // The first shop again, a bigger spend: still two stamps, the day's spend raised.
        let (s, b) = app.redeem(&shop_a, &coupons[2], 9000, &key()).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["stamps"]["count"], 2);
        assert_eq!(app.count("purchase_stamps", "1=1"), 2);
        assert_eq!(app.count("purchase_stamps", "spend_avos = 9000"), 1);
        assert_eq!(app.count("purchases", "redemption_id IS NOT NULL"), 3);
        assert_eq!(app.count("purchases", "stamped"), 2);
        assert_eq!(app.count("idempotency_keys", "status_code = 201"), 3);
        let (s, st) = app
            .get(&format!("/campaigns/{cid}/stats"), Some(&off))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(st["funnel"]["purchases"], 3, "{st}");
        assert_eq!(st["funnel"]["purchase_spend_avos"], 14000);
        assert_eq!(st["purchases"]["stamps"], 2);
        // Every redemption's ledger row is in the chain when its answer came, and the chain holds.
        assert_eq!(app.count("ledger", "kind = 'redeem'"), 3);
        let (s, chain) = app.get("/ledger/verify", Some(&off)).await;
        assert_eq!(s, StatusCode::OK, "{chain}");
        assert_eq!(chain["ok"], true, "{chain}");
    }
);

/// Signs up `n` visitors through the real API, spreading their source addresses over
/// 127.0.x.y (sign-ups are rate-limited per address).
async fn many_visitors(app: &TestApp, n: usize) -> Vec<String> {
    let per_address = 40;
    let addresses = n.div_ceil(per_address);
    let jobs = (0..addresses).map(|a| {
        let base = app.base.clone();
        let count = per_address.min(n - a * per_address);
        async move {
            let ip = std::net::IpAddr::from([127, 0, 1 + (a / 200) as u8, 1 + (a % 200) as u8]);
            let client = reqwest::Client::builder()
                .local_address(ip)
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            let mut out = Vec::new();
            for _ in 0..count {
                let r = client
                    .post(format!("{base}/api/v1/visitors"))
                    .json(&json!({"locale": "en"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                let b: Value = r.json().await.unwrap();
                out.push(b["token"].as_str().unwrap().to_string());
            }
            out
        }
    });
    futures::future::join_all(jobs)
        .await
        .into_iter()
        .flatten()
        .collect()
}

fn sha256_hex(s: &str) -> String {
    let mut h = Sha256::new();
    h.update(s.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Recomputes the winners the way README tells anyone to.
fn recompute(seed: &str, entries: &[Value], stock: usize) -> BTreeSet<String> {
    let mut ranked: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            let id = e.as_str().unwrap().to_string();
            (sha256_hex(&format!("{seed}:{id}")), id)
        })
        .collect();
    ranked.sort();
    ranked.into_iter().take(stock).map(|(_, id)| id).collect()
}

/// Moves a draw's clock: entries closed and the draw due (simulating time passing).
fn make_due(app: &TestApp, offer_id: &str) {
    use diesel::connection::SimpleConnection;
    let mut c = app.conn();
    let sql = match app.backend {
        Backend::Sqlite => format!(
            "UPDATE draws SET entries_close_at = datetime('now', '-2 seconds'), draw_at = datetime('now', '-1 seconds') WHERE offer_id = '{offer_id}'"
        ),
        Backend::Postgres => format!(
            "UPDATE draws SET entries_close_at = (now() at time zone 'utc') - interval '2 seconds', draw_at = (now() at time zone 'utc') - interval '1 second' WHERE offer_id = '{offer_id}'"
        ),
    };
    c.batch_execute(&sql).unwrap();
}

async fn wait_done(app: &TestApp, offer_id: &str) -> Value {
    let start = Instant::now();
    loop {
        let (s, d) = app.get(&format!("/offers/{offer_id}/draw"), None).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        if d["status"] == "done" {
            return d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "draw not done: {d}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

both!(fair_draw, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let now = chrono::Utc::now();
    let bad = app
        .post(
            &format!("/campaigns/{cid}/offers"),
            Some(&off),
            json!({"name": names("抽獎"), "kind": "ecash", "face_value_avos": 1000, "stock": 100,
                   "per_visitor_limit": 1, "valid_days": 30,
                   "trigger": {"type": "draw", "entries_close_at": (now + chrono::Duration::hours(2)).to_rfc3339(),
                               "draw_at": (now + chrono::Duration::hours(1)).to_rfc3339()}}),
        )
        .await;
    assert_eq!(
        (bad.0, code(&bad.1)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let offer = app
        .offer(
            &off,
            cid,
            json!({"face_value_avos": 1000, "stock": 100,
                   "trigger": {"type": "draw", "entries_close_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                               "draw_at": (now + chrono::Duration::hours(2)).to_rfc3339()}}),
        )
        .await;
    let oid = offer["id"].as_str().unwrap().to_string();
    assert_eq!(offer["trigger"]["type"], "draw");
    let (s, d) = app.get(&format!("/offers/{oid}/draw"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["status"], "open");
    let commitment = d["commitment"].as_str().unwrap().to_string();
    assert_eq!(commitment.len(), 64);
    assert!(d.get("seed").is_none() && d.get("winners").is_none());
    // Claiming a draw offer is refused: it is drawn.
    let (_, v0) = app.visitor().await;
    let (s, b) = app
        .post(&format!("/offers/{oid}/claim"), Some(&v0), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "not_open"));

    // 1,000 visitors enter, once each, 64 at a time (as many as a busy campaign's phones
    // would; a thousand at once only measures the machine's backlog).
    let visitors = many_visitors(&app, 1000).await;
    let entries: Vec<(StatusCode, Value)> = futures::stream::iter(visitors.iter().map(|v| {
        let path = format!("/offers/{oid}/entries");
        let app = &app;
        async move { app.post(&path, Some(v), json!({})).await }
    }))
    .buffer_unordered(64)
    .collect()
    .await;
    for (s, b) in &entries {
        assert_eq!(*s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = app
        .post(
            &format!("/offers/{oid}/entries"),
            Some(&visitors[0]),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "already_entered"));
    let (_, mine) = app.get("/me/draws", Some(&visitors[0])).await;
    assert_eq!(mine[0]["outcome"], "pending");

    // Time passes; late entries are refused and the draw runs — several callers at once and
    // the background job; it runs once.
    make_due(&app, &oid);
    let (s, b) = app
        .post(&format!("/offers/{oid}/entries"), Some(&v0), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "entries_closed"));
    let draw_path = format!("/offers/{oid}/draw");
    let calls = (0..8).map(|_| app.get(&draw_path, None));
    futures::future::join_all(calls).await;
    let d = wait_done(&app, &oid).await;
    assert_eq!(d["commitment"], commitment);
    let seed = d["seed"].as_str().unwrap();
    assert_eq!(
        sha256_hex(seed),
        commitment,
        "the commitment is SHA-256 of the seed's hex text"
    );
    let entry_list = d["entries"].as_array().unwrap();
    assert_eq!(entry_list.len(), 1000);
    let winners: BTreeSet<String> = d["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    assert_eq!(winners.len(), 100);
    assert_eq!(recompute(seed, entry_list, 100), winners);
    assert_eq!(app.count("coupons", &format!("offer_id = '{oid}'")), 100);
    assert_eq!(
        app.count(
            "draw_entries",
            &format!("offer_id = '{oid}' AND outcome = 'won' AND coupon_id IS NOT NULL")
        ),
        100
    );
    assert_eq!(
        app.count(
            "draw_entries",
            &format!("offer_id = '{oid}' AND outcome = 'lost'")
        ),
        900
    );

    // Calling again changes nothing.
    let (_, again) = app.get(&format!("/offers/{oid}/draw"), None).await;
    assert_eq!(again["winners"], d["winners"]);
    assert_eq!(app.count("coupons", &format!("offer_id = '{oid}'")), 100);

    // Every entrant sees the outcome; a winner holds the coupon in the wallet.
    let mut won = 0;
    for v in visitors.iter().take(60) {
        let (_, mine) = app.get("/me/draws", Some(v)).await;
        let e = &mine[0];
        assert!(e["outcome"] == "won" || e["outcome"] == "lost", "{e}");
        assert_eq!(
            winners.contains(e["id"].as_str().unwrap()),
            e["outcome"] == "won"
        );
        if e["outcome"] == "won" {
            won += 1;
            let (_, coupons) = app.get("/me/coupons", Some(v)).await;
            assert_eq!(coupons[0]["id"], e["coupon"]["id"]);
        }
    }
    assert!(won < 60);
});

// A draw whose process died after claiming it, mid-way through paying winners, is finished
// by the next run once the claim's lease has passed, without paying anyone twice.
both!(draw_taken_over_after_a_crash, |app| {
    use diesel::connection::SimpleConnection;
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let now = chrono::Utc::now();
    let offer = app
        .offer(
            &off,
            cid,
            json!({"face_value_avos": 1000, "stock": 5,
                   "trigger": {"type": "draw", "entries_close_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                               "draw_at": (now + chrono::Duration::hours(2)).to_rfc3339()}}),
        )
        .await;
    let oid = offer["id"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for _ in 0..12 {
        let (_, v) = app.visitor().await;
        let (s, b) = app
            .post(&format!("/offers/{oid}/entries"), Some(&v), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        tokens.push(v);
    }
    // What a crashed drawer leaves: the draw claimed long ago, some winners paid.
    make_due(&app, &oid);
    {
        let mut conn = app.conn();
        let stale = match app.backend {
            Backend::Sqlite => "datetime('now', '-1 hours')",
            Backend::Postgres => "(now() at time zone 'utc') - interval '1 hour'",
        };
        conn.batch_execute(&format!(
            "UPDATE draws SET status = 'drawing', claimed_at = {stale}, attempts = 1 WHERE offer_id = '{oid}'"
        ))
        .unwrap();
    }
    let d = wait_done(&app, &oid).await;
    assert_eq!(d["winners"].as_array().unwrap().len(), 5);
    assert_eq!(app.count("coupons", &format!("offer_id = '{oid}'")), 5);
    // Running it once more (a late process) pays nobody twice.
    {
        let mut conn = app.conn();
        conn.batch_execute(&format!(
            "UPDATE draws SET status = 'drawing', claimed_at = '2000-01-01 00:00:00' WHERE offer_id = '{oid}'"
        ))
        .unwrap();
    }
    let d2 = wait_done(&app, &oid).await;
    assert_eq!(d2["winners"], d["winners"]);
    assert_eq!(app.count("coupons", &format!("offer_id = '{oid}'")), 5);
});

both!(a_card_purchase_alone_on_a_closed_day_is_counted, |app| {
    use diesel::connection::SimpleConnection;
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, shop) = app.merchant(&off, Some(cid), "food").await;
    let (_, v) = app.visitor().await;
    let (s, b) = purchase(&app, &shop, &card_of(&app, &v).await, 4_200, &key()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Ten days back: a closed day with nothing else on it, before anything else the campaign has.
    let old = (chrono::Utc::now() - chrono::Duration::days(10)).date_naive();
    app.conn()
        .batch_execute(&format!(
            "UPDATE purchases SET day = '{old}' WHERE campaign_id = '{cid}';
             UPDATE purchase_stamps SET day = '{old}' WHERE campaign_id = '{cid}';"
        ))
        .unwrap();
    let (s, st) = app
        .get(
            &format!("/campaigns/{cid}/stats?from={old}&to={old}"),
            Some(&off),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["purchases"]["count"], 1, "{st}");
    assert_eq!(st["purchases"]["visitors"], 1);
    assert_eq!(st["funnel"]["purchase_spend_avos"], 4_200);
    assert_eq!(
        app.count(
            "stats_days",
            &format!("campaign_id = '{cid}' AND day = '{old}'")
        ),
        1,
        "the closed day is kept, with its purchase"
    );
});
