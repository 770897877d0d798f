//! A fair draw survives its process being killed (SIGKILL) between claiming the draw and
//! finishing it: restarted processes (two at once, on the same database) finish it once the
//! claim's lease has passed, pay every winner once and publish winners anyone can recompute.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::support::{self, Backend};

fn execute(db_url: &str, sql: &str) {
    use diesel::connection::SimpleConnection;
    let (pool, _) = bairro::db::connect(db_url, Some(1)).expect("database opens");
    pool.get()
        .expect("a connection")
        .batch_execute(sql)
        .unwrap();
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn killed_mid_draw(backend: Backend) {
    let Some((url, _guard)) = support::database(backend) else {
        return;
    };
    let stock = 20;
    let stalled = env(&[
        ("BAIRRO_DRAW_STALL_AFTER", "7"),
        ("BAIRRO_DRAW_LEASE_SECONDS", "2"),
    ]);
    let mut server = Server::start(&url, &stalled, &[]).await;
    let api = Api::new(&server.base);
    let w = world(&api, 1, 10).await;
    let now = chrono::Utc::now();
    let offer = api
        .ok(
            &format!("/campaigns/{}/offers", w.campaign),
            &w.official,
            json!({"name": support::names("抽獎"), "kind": "ecash", "face_value_avos": 1000, "min_spend_avos": 0,
                   "stock": stock, "per_visitor_limit": 1, "valid_days": 30, "requires_verified": false,
                   "trigger": {"type": "draw", "entries_close_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                               "draw_at": (now + chrono::Duration::hours(2)).to_rfc3339()}}),
            StatusCode::CREATED,
        )
        .await;
    let oid = offer["id"].as_str().unwrap().to_string();
    let visitors: Vec<String> = join_all((0..50).map(|_| api.visitor()))
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    for v in &visitors {
        api.ok(
            &format!("/offers/{oid}/entries"),
            v,
            json!({}),
            StatusCode::CREATED,
        )
        .await;
    }
    // Time passes: the draw is due. The background drawer claims it and stalls after paying
    // seven winners; the process is killed there.
    let due = match backend {
        Backend::Sqlite => "datetime('now', '-1 seconds')",
        Backend::Postgres => "(now() at time zone 'utc') - interval '1 second'",
    };
    execute(
        &url,
        &format!(
            "UPDATE draws SET entries_close_at = {due}, draw_at = {due} WHERE offer_id = '{oid}'"
        ),
    );
    let coupons = |url: &str| count(url, "coupons", &format!("offer_id = '{oid}'"));
    let started = Instant::now();
    while coupons(&url) < 7 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the draw did not start: {}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill();
    assert_eq!(coupons(&url), 7);
    assert_eq!(
        count(
            &url,
            "draws",
            &format!("offer_id = '{oid}' AND status = 'drawing'")
        ),
        1
    );

    // Two processes start on the same database; the draw is finished once.
    let plain = env(&[("BAIRRO_DRAW_LEASE_SECONDS", "2")]);
    let a = Server::start(&url, &plain, &[]).await;
    let b = Server::start(&url, &plain, &[]).await;
    let (api_a, api_b) = (Api::new(&a.base), Api::new(&b.base));
    let started = Instant::now();
    let d: Value = loop {
        let (_, d) = api_a.get(&format!("/offers/{oid}/draw"), None).await;
        let (_, _) = api_b.get(&format!("/offers/{oid}/draw"), None).await;
        if d["status"] == "done" {
            break d;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "draw not finished: {d}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(coupons(&url), stock);
    assert_eq!(
        count(
            &url,
            "draw_entries",
            &format!("offer_id = '{oid}' AND outcome = 'won' AND coupon_id IS NOT NULL")
        ),
        stock
    );
    assert_eq!(
        count(
            &url,
            "draw_entries",
            &format!("offer_id = '{oid}' AND outcome = 'lost'")
        ),
        30
    );
    let seed = d["seed"].as_str().unwrap();
    assert_eq!(sha256_hex(seed), d["commitment"].as_str().unwrap());
    let mut ranked: Vec<(String, String)> = d["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let id = e.as_str().unwrap().to_string();
            (sha256_hex(&format!("{seed}:{id}")), id)
        })
        .collect();
    ranked.sort();
    let recomputed: BTreeSet<String> = ranked
        .into_iter()
        .take(stock as usize)
        .map(|(_, e)| e)
        .collect();
    let published: BTreeSet<String> = d["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recomputed, published);
    // Each winner holds exactly one coupon of the offer.
    assert_eq!(
        count_sql(
            &url,
            &format!("SELECT COUNT(*) AS n FROM (SELECT visitor_id FROM coupons WHERE offer_id = '{oid}' GROUP BY visitor_id HAVING COUNT(*) > 1) t")
        ),
        0
    );
    // Asking again changes nothing.
    let (_, again) = api_b.get(&format!("/offers/{oid}/draw"), None).await;
    assert_eq!(again["winners"], d["winners"]);
    assert_eq!(coupons(&url), stock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draw_killed_midway_finishes_once_sqlite() {
    killed_mid_draw(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draw_killed_midway_finishes_once_postgres() {
    killed_mid_draw(Backend::Postgres).await;
}
