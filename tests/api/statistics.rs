//! Statistics under load: many officials at once are served the kept figures while one count
//! replaces them, with the figures' age in the `Age` header; and statistics and exports read
//! from a read replica when one is configured.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

/// The campaign's statistics and the `Age` header, in seconds.
async fn stats(app: &TestApp, cid: &str, off: &str) -> (Value, u64) {
    let (s, text, h) = app
        .raw(
            Method::GET,
            &format!("/campaigns/{cid}/stats"),
            Some(off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let age = h
        .get("age")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an Age header in seconds");
    (serde_json::from_str(&text).unwrap(), age)
}

both!(sixty_four_officials_share_one_count, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({})).await;
    let payload = p["payload"].as_str().unwrap();
    let (_, v) = app.visitor().await;
    let (s, b) = app.check_in(&v, payload, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let pages = || app.state.caches.recounts().1;

    // 64 officials ask at once, before anything was counted: one count serves them all.
    let (before, t0) = (pages(), Instant::now());
    let answers = futures::future::join_all((0..64).map(|_| stats(&app, cid, &off))).await;
    for (st, age) in &answers {
        assert_eq!(st["funnel"]["checkins"], 1, "{st}");
        assert!(*age <= 3, "figures {age} s old");
    }
    let allowed = 1 + (t0.elapsed().as_secs_f64() / 2.0).ceil() as u64;
    let counted = pages() - before;
    assert!(
        (1..=allowed).contains(&counted),
        "64 requests in {:?}: {counted} counts (at most {allowed})",
        t0.elapsed()
    );

    // A new check-in: the kept figures are served (never an error, never a wait for a
    // count) until the one background count has replaced them, a few seconds at most.
    let (_, v2) = app.visitor().await;
    let (s, b) = app.check_in(&v2, payload, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (c0, t1) = (pages(), Instant::now());
    let mut polls = 0;
    loop {
        let round = futures::future::join_all((0..16).map(|_| stats(&app, cid, &off))).await;
        polls += round.len();
        let seen: Vec<i64> = round
            .iter()
            .map(|(st, _)| st["funnel"]["checkins"].as_i64().unwrap())
            .collect();
        assert!(seen.iter().all(|n| *n == 1 || *n == 2), "{seen:?}");
        for (_, age) in &round {
            assert!(*age <= 3, "figures {age} s old");
        }
        if seen.iter().all(|n| *n == 2) {
            break;
        }
        assert!(
            t1.elapsed() < Duration::from_secs(10),
            "the new check-in was not counted in {:?}",
            t1.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let allowed = 1 + (t1.elapsed().as_secs_f64() / 2.0).ceil() as u64;
    assert!(
        pages() - c0 <= allowed,
        "{polls} requests over {:?}: {} counts (at most {allowed})",
        t1.elapsed(),
        pages() - c0
    );

    // A change an official makes through this server is shown at once.
    let (s, b) = app
        .post(
            &format!("/campaigns/{cid}/points"),
            Some(&off),
            json!({"name": names("新點"), "kind": "qr", "lat": HERE.0, "lng": HERE.1,
                   "radius_m": 100, "rotating": false}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (st, _) = stats(&app, cid, &off).await;
    assert_eq!(st["points"].as_array().unwrap().len(), 2, "{st}");
});

/// A published campaign with a given slug and one point; returns (campaign id, payload).
async fn campaign_with_slug(app: &TestApp, off: &str, slug: &str) -> (String, String) {
    let now = chrono::Utc::now();
    let (s, c) = app
        .post(
            "/campaigns",
            Some(off),
            json!({"slug": slug, "name": names("活動"), "district": "Taipa",
                   "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(),
                   "ends_at": (now + chrono::Duration::days(30)).to_rfc3339()}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_str().unwrap().to_string();
    let (s, b) = app
        .post(&format!("/campaigns/{cid}/publish"), Some(off), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let p = app.point(off, &cid, json!({})).await;
    (cid, p["payload"].as_str().unwrap().to_string())
}

/// PostgreSQL only: the replica is a second database whose figures differ from the primary's
/// (five check-ins there, made through a server of its own; one on the primary). The server
/// given `replica_url` answers statistics, exports and the live stream from the replica,
/// while its check-ins and everything else go to the primary.
#[actix_web::test]
async fn statistics_and_exports_read_from_the_replica() {
    let Some(replica) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let url = replica.db_url.clone();
    let app = TestApp::spawn_with(Backend::Postgres, |s| s.replica_url = Some(url))
        .await
        .unwrap();
    let slug = format!("r-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let roff = replica.official().await;
    let (rid, rpayload) = campaign_with_slug(&replica, &roff, &slug).await;
    for _ in 0..5 {
        let (_, v) = replica.visitor().await;
        let (s, b) = replica.check_in(&v, &rpayload, json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let off = app.official().await;
    let (pid, payload) = campaign_with_slug(&app, &off, &slug).await;
    assert_ne!(pid, rid);
    let (_, v) = app.visitor().await;
    let (s, b) = app.check_in(&v, &payload, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // The check-in was written to the primary only.
    assert_eq!(app.count("checkins", "1 = 1"), 1);
    assert_eq!(replica.count("checkins", "1 = 1"), 5);
    // Campaigns themselves are read from the primary.
    let (s, camp) = app.get(&format!("/campaigns/{slug}"), Some(&off)).await;
    assert_eq!(s, StatusCode::OK, "{camp}");
    assert_eq!(camp["id"], pid.as_str());

    // Statistics, the overview, exports and the live stream: the replica's figures.
    let (st, _) = stats(&app, &slug, &off).await;
    assert_eq!(st["campaign_id"], rid.as_str(), "{st}");
    assert_eq!(st["funnel"]["checkins"], 5, "{st}");
    let (s, ov) = app.get("/stats/overview", Some(&off)).await;
    assert_eq!(s, StatusCode::OK, "{ov}");
    assert_eq!(ov["checkins"], 5, "{ov}");
    let (s, ex) = app
        .get(&format!("/campaigns/{slug}/export.json"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{ex}");
    assert_eq!(ex["totals"]["checkins"], 5, "{ex}");
    let (s, csv, _) = app
        .raw(
            Method::GET,
            &format!("/campaigns/{slug}/stats.csv"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("funnel,,,checkins,5"), "{csv}");
    let (s, text, _) = app
        .raw(
            Method::GET,
            &format!("/campaigns/{slug}/stats/stream?once=true"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("\"checkins\":5"), "{text}");

    // More check-ins on the primary never show in statistics read from the replica.
    let (_, v2) = app.visitor().await;
    let (s, b) = app.check_in(&v2, &payload, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(app.count("checkins", "1 = 1"), 2);
    let (st, _) = stats(&app, &rid, &off).await;
    assert_eq!(st["funnel"]["checkins"], 5, "{st}");
    // The primary's own campaign id is unknown on the replica.
    let (s, b) = app
        .get(&format!("/campaigns/{pid}/stats"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(b["code"], "not_found");
}

// The overview's kept page is never answered for a campaign: `*` names no campaign, in the
// statistics, their CSV and the live stream alike.
both!(no_campaign_is_named_star, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (s, _) = app.get("/stats/overview", Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/campaigns/*/stats",
        "/campaigns/%2A/stats",
        "/campaigns/*/stats.csv",
        "/campaigns/*/stats/stream?once=true",
    ] {
        let (s, b) = app.get(path, Some(&off)).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
    let (s, b) = app
        .get(&format!("/campaigns/{cid}/stats"), Some(&off))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["campaign_id"], cid);
});
