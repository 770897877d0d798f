//! Races that must not overspend: claims for a small stock, per-visitor limits, the same
//! coupon at many tills, retries with one idempotency key — on both databases, and across
//! two `bairro serve` processes sharing one PostgreSQL database.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

async fn no_limits(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| s.rate_limits = false).await
}

async fn claim_storm(app: &TestApp, base: &[String], visitors: usize, stock: i64) {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let offer = app
        .offer(&off, c["id"].as_str().unwrap(), json!({"stock": stock}))
        .await;
    let oid = offer["id"].as_str().unwrap().to_string();
    let tokens: Vec<String> = join_all((0..visitors).map(|_| app.visitor()))
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let started = std::time::Instant::now();
    let results = join_all(tokens.iter().enumerate().map(|(i, t)| {
        let url = format!("{}/api/v1/offers/{oid}/claim", base[i % base.len()]);
        let client = app.client.clone();
        let t = t.clone();
        async move {
            let r = client
                .post(url)
                .bearer_auth(t)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let s = r.status();
            let b: serde_json::Value = r.json().await.unwrap_or_default();
            (s, b["code"].as_str().unwrap_or("").to_string())
        }
    }))
    .await;
    let ok = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count() as i64;
    let sold_out = results
        .iter()
        .filter(|(s, c)| *s == StatusCode::GONE && c == "sold_out")
        .count() as i64;
    let rows = app.count("coupons", &format!("offer_id = '{oid}'"));
    let issued = app.count("offers", &format!("id = '{oid}' AND issued = {stock}"));
    println!(
        "claim storm on {:?} via {} server(s): {visitors} requests in {:?}, {ok} coupons issued, {sold_out} sold out, stock {stock}, rows {rows}",
        app.backend,
        base.len(),
        started.elapsed()
    );
    assert_eq!(ok, stock, "every coupon of the stock is claimed, none more");
    assert_eq!(rows, stock, "coupon rows equal the stock");
    assert_eq!(issued, 1, "the offer's counter equals the stock");
    assert_eq!(
        ok + sold_out,
        visitors as i64,
        "every other request is told sold_out: {results:?}"
    );
    assert_eq!(
        app.count("ledger", &format!("offer_id = '{oid}' AND kind = 'issue'")),
        stock
    );
}

async fn visitor_limit_race(app: &TestApp) {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let offer = app
        .offer(
            &off,
            c["id"].as_str().unwrap(),
            json!({"stock": 100, "per_visitor_limit": 3}),
        )
        .await;
    let oid = offer["id"].as_str().unwrap();
    let (vid, v) = app.visitor().await;
    let path = format!("/offers/{oid}/claim");
    let results = join_all((0..40).map(|_| app.post(&path, Some(&v), json!({})))).await;
    let ok = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(ok, 3, "{results:?}");
    assert!(results
        .iter()
        .filter(|(s, _)| *s != StatusCode::CREATED)
        .all(|(s, b)| *s == StatusCode::CONFLICT && code(b) == "limit_reached"));
    assert_eq!(app.count("coupons", &format!("visitor_id = '{vid}'")), 3);
}

async fn redeem_race(app: &TestApp) {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let offer = app.offer(&off, cid, json!({})).await;
    let (_, m1) = app.merchant(&off, Some(cid), "food").await;
    let (_, m2) = app.merchant(&off, Some(cid), "retail").await;
    let (_, v) = app.visitor().await;
    let (_, coupon) = app
        .post(
            &format!("/offers/{}/claim", offer["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    let payload = coupon["payload"].as_str().unwrap().to_string();
    // Two tills scan the same screenshot, many times at once.
    let results = join_all((0..40).map(|i| {
        let m = if i % 2 == 0 { m1.clone() } else { m2.clone() };
        let p = payload.clone();
        async move { app.redeem(&m, &p, 20000, &key()).await }
    }))
    .await;
    let ok = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(ok, 1, "exactly one redemption: {results:?}");
    for (s, b) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(
            (*s, code(b)),
            (StatusCode::CONFLICT, "already_redeemed"),
            "{b}"
        );
        assert!(b["redeemed_at"].is_string());
    }
    let cid_ = coupon["id"].as_str().unwrap();
    assert_eq!(
        app.count("redemptions", &format!("coupon_id = '{cid_}'")),
        1
    );
    // One retry key, many times at once: one row, the same answer.
    let o2 = app.offer(&off, cid, json!({})).await;
    let (_, coupon2) = app
        .post(
            &format!("/offers/{}/claim", o2["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    let k = key();
    let results =
        join_all((0..20).map(|_| app.redeem(&m1, coupon2["code"].as_str().unwrap(), 20000, &k)))
            .await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::CREATED, "{b}");
            b["redemption"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        app.count(
            "redemptions",
            &format!("coupon_id = '{}'", coupon2["id"].as_str().unwrap())
        ),
        1
    );
    // Nothing the two redemptions write is doubled by the races: one purchase, one stored
    // answer and one ledger row each (every answer came after its row was in the chain).
    assert_eq!(app.count("purchases", "redemption_id IS NOT NULL"), 2);
    assert_eq!(app.count("idempotency_keys", "status_code = 201"), 2);
    assert_eq!(app.count("ledger", "kind = 'redeem'"), 2);
    // One stamp per shop that redeemed (the first coupon went to whichever till won).
    assert_eq!(
        app.count("purchase_stamps", "1=1"),
        app.count("merchants", "id IN (SELECT merchant_id FROM redemptions)")
    );
}

/// A ban and the tills race for a visitor's coupons: each coupon ends either redeemed (before
/// the ban) or void (by it), never both, and the answers agree with the rows.
async fn ban_race(app: &TestApp) {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, shop) = app.merchant(&off, Some(cid), "food").await;
    let (vid, v) = app.visitor().await;
    let mut payloads = Vec::new();
    for _ in 0..8 {
        let offer = app.offer(&off, cid, json!({})).await;
        let (s, coupon) = app
            .post(
                &format!("/offers/{}/claim", offer["id"].as_str().unwrap()),
                Some(&v),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{coupon}");
        payloads.push(coupon["payload"].as_str().unwrap().to_string());
    }
    let ban_path = format!("/visitors/{vid}/ban");
    let ban = app.post(
        &ban_path,
        Some(&off),
        json!({"reason": "one phone, many wallets"}),
    );
    let keys: Vec<String> = payloads.iter().map(|_| key()).collect();
    let tills = join_all(
        payloads
            .iter()
            .zip(&keys)
            .map(|(p, k)| app.redeem(&shop, p, 20000, k)),
    );
    let ((s, banned), answers) = futures::join!(ban, tills);
    assert_eq!(s, StatusCode::OK, "{banned}");
    let redeemed = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    for (s, b) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert!(
            *s == StatusCode::CONFLICT || *s == StatusCode::FORBIDDEN,
            "{s} {b}"
        );
    }
    let voided = banned["voided_coupons"].as_array().unwrap().len();
    assert_eq!(redeemed + voided, 8, "{banned} {answers:?}");
    assert_eq!(app.count("redemptions", "1=1") as usize, redeemed);
    assert_eq!(app.count("coupons", "status = 'void'") as usize, voided);
    assert_eq!(
        app.count("coupons", "status = 'redeemed'") as usize,
        redeemed
    );
}

/// One visitor checks in at twelve points at once, in a campaign paying a coupon every third
/// stamp (limit four): every answer counts a different stamp (1 to 12), exactly the answers
/// at 3, 6, 9 and 12 carry a coupon, one check-in is the first visit, and the rows agree.
async fn stamps_race(app: &TestApp) {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let mut payloads = Vec::new();
    for _ in 0..12 {
        let p = app.point(&off, cid, json!({})).await;
        payloads.push(p["payload"].as_str().unwrap().to_string());
    }
    app.offer(
        &off,
        cid,
        json!({"trigger": {"type": "checkins", "count": 3}, "per_visitor_limit": 4, "stock": 50}),
    )
    .await;
    let (vid, v) = app.visitor().await;
    let answers = join_all(payloads.iter().map(|p| app.check_in(&v, p, json!({})))).await;
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::CREATED),
        "{answers:?}"
    );
    let mut counts: Vec<i64> = answers
        .iter()
        .map(|(_, b)| b["stamps"]["count"].as_i64().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=12).collect::<Vec<i64>>(), "{answers:?}");
    let mut paid: Vec<i64> = answers
        .iter()
        .filter(|(_, b)| !b["coupons"].as_array().unwrap().is_empty())
        .map(|(_, b)| {
            assert_eq!(b["coupons"].as_array().unwrap().len(), 1, "{b}");
            b["stamps"]["count"].as_i64().unwrap()
        })
        .collect();
    paid.sort_unstable();
    assert_eq!(paid, vec![3, 6, 9, 12], "{answers:?}");
    assert_eq!(app.count("coupons", &format!("visitor_id = '{vid}'")), 4);
    assert_eq!(app.count("checkins", &format!("visitor_id = '{vid}'")), 12);
    assert_eq!(
        app.count("checkins", &format!("visitor_id = '{vid}' AND first_visit")),
        1
    );
    if app.backend == Backend::Postgres {
        assert_eq!(
            app.text(&format!(
                "SELECT cardinality(points)::text AS v FROM stamp_cards WHERE visitor_id = '{vid}'"
            )),
            "12"
        );
    }
    // The same twelve again the same day: each refused, nothing counted twice.
    let again = join_all(payloads.iter().map(|p| app.check_in(&v, p, json!({})))).await;
    assert!(
        again
            .iter()
            .all(|(s, b)| *s == StatusCode::CONFLICT && code(b) == "already_checked_in"),
        "{again:?}"
    );
    assert_eq!(app.count("checkins", &format!("visitor_id = '{vid}'")), 12);
    assert_eq!(app.count("coupons", &format!("visitor_id = '{vid}'")), 4);
}

macro_rules! race {
    ($name:ident, $f:ident $(, $arg:expr)*) => {
        mod $name {
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let app = no_limits(Backend::Sqlite).await.unwrap();
                $f(&app $(, $arg)*).await;
            }
            #[actix_web::test]
            async fn postgres() {
                let Some(app) = no_limits(Backend::Postgres).await else { return };
                $f(&app $(, $arg)*).await;
            }
        }
    };
}

async fn storm(app: &TestApp) {
    claim_storm(app, std::slice::from_ref(&app.base), 300, 25).await;
}

race!(claim_storm_never_oversells, storm);
race!(per_visitor_limit_holds_under_races, visitor_limit_race);
race!(one_coupon_redeems_once, redeem_race);
race!(a_ban_and_the_tills_never_both_take_a_coupon, ban_race);
race!(
    one_visitor_at_many_points_at_once_counts_every_stamp_once,
    stamps_race
);

/// Two `bairro serve` processes on one PostgreSQL database, claims spread over both.
#[actix_web::test]
async fn claim_storm_across_two_processes() {
    let Some(app) = no_limits(Backend::Postgres).await else {
        return;
    };
    let (procs, bases) = app.more_processes(2).await;
    claim_storm(&app, &bases, 300, 40).await;
    for mut p in procs {
        let _ = p.kill();
        let _ = p.wait();
    }
}
