//! Behind a load balancer: `X-Forwarded-For` names the client only when the direct peer is a
//! configured trusted proxy. Rate limits, unique visitors and fraud signals (visitors from one
//! device) follow that address; a header from anyone else changes nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

async fn sign_up_from(app: &TestApp, forwarded: &str) -> StatusCode {
    app.client
        .post(format!("{}/api/v1/visitors", app.base))
        .header("X-Forwarded-For", forwarded)
        .header("User-Agent", "proxy-test")
        .json(&json!({"locale": "en"}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn page_view_from(app: &TestApp, campaign: &str, forwarded: &str) {
    let r = app
        .client
        .post(format!("{}/api/v1/pageviews", app.base))
        .header("X-Forwarded-For", forwarded)
        .header("User-Agent", "proxy-test")
        .json(&json!({"campaign": campaign, "path": "/c/x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

/// Waits (at most 20 s) until `sql`-counted rows reach `n`.
async fn wait_rows(app: &TestApp, table: &str, cond: &str, n: i64) {
    let started = std::time::Instant::now();
    while app.count(table, cond) < n {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{table} {cond}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

crate::both!(
    forwarded_addresses_count_only_behind_trusted_proxies,
    |app| {
        // This app trusts no proxy: a forged header neither dodges the per-address limit nor
        // makes one caller look like many.
        let mut limited = false;
        for i in 0..80 {
            if sign_up_from(&app, &format!("198.51.100.{i}")).await == StatusCode::TOO_MANY_REQUESTS
            {
                limited = true;
                break;
            }
        }
        assert!(
            limited,
            "the sign-up limit applies to the peer, whatever the header says"
        );
        assert_eq!(
            app.count("(SELECT DISTINCT device_hash FROM visitors) AS d", "1 = 1"),
            1,
            "all from one device"
        );
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap().to_string();
        for i in 0..3 {
            page_view_from(&app, &cid, &format!("198.51.100.{i}")).await;
        }
        wait_rows(&app, "pageviews", &format!("campaign_id = '{cid}'"), 3).await;
        assert_eq!(
        app.count(&format!("(SELECT DISTINCT visitor_hash FROM pageviews WHERE campaign_id = '{cid}') AS v"), "1 = 1"),
        1
    );

        // Behind a trusted proxy (the test talks from 127.0.0.1): each forwarded client is
        // itself, for limits, unique visitors and device signals.
        let app = TestApp::spawn_with(app.backend, |s| {
            s.trusted_proxies =
                bairro::http::client_addr::parse_trusted("127.0.0.1/32, ::1").unwrap()
        })
        .await
        .unwrap();
        for i in 0..80 {
            let s = sign_up_from(&app, &format!("203.0.113.{i}, 127.0.0.1")).await;
            assert_eq!(s, StatusCode::CREATED, "client {i} has its own allowance");
        }
        assert_eq!(
            app.count("(SELECT DISTINCT device_hash FROM visitors) AS d", "1 = 1"),
            80
        );
        // One client behind the proxy still meets its own limit.
        let mut limited = false;
        for _ in 0..80 {
            if sign_up_from(&app, "203.0.113.250").await == StatusCode::TOO_MANY_REQUESTS {
                limited = true;
                break;
            }
        }
        assert!(limited, "one forwarded client is limited");
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap().to_string();
        for i in 0..3 {
            page_view_from(&app, &cid, &format!("203.0.113.{i}")).await;
        }
        // A client's own made-up entry to the left of the real one is not believed.
        page_view_from(&app, &cid, "10.9.9.9, 203.0.113.1").await;
        wait_rows(&app, "pageviews", &format!("campaign_id = '{cid}'"), 4).await;
        assert_eq!(
        app.count(&format!("(SELECT DISTINCT visitor_hash FROM pageviews WHERE campaign_id = '{cid}') AS v"), "1 = 1"),
        3
    );
    }
);
