//! Backups: `scripts/backup` while the server runs, changes made afterwards, `scripts/restore`,
//! and the original rows are back (changes after the backup gone) — on both databases. And
//! the CSV exports (campaign statistics, a merchant's redemptions, a statement) hold the data.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::support::{self, Backend, HERE};

fn script(name: &str, args: &[&str]) -> String {
    let out = Command::new(format!("{}/scripts/{name}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .expect("script runs");
    assert!(
        out.status.success(),
        "scripts/{name} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn backup_restore(backend: Backend) {
    if backend == Backend::Postgres && Command::new("pg_dump").arg("--version").output().is_err() {
        eprintln!("pg_dump missing: PostgreSQL backup test skipped");
        return;
    }
    let Some((url, _guard)) = support::database(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.bin");
    let file = file.to_str().unwrap();
    let env = env(&[]);
    let mut server = Server::start(&url, &env, &[]).await;
    let api = Api::new(&server.base);
    let w = world(&api, 2, 100).await;
    let (_, v) = api.visitor().await;
    let ci = api
        .ok(
            "/checkins",
            &v,
            json!({"payload": w.payloads[0], "method": "qr", "lat": HERE.0, "lng": HERE.1}),
            StatusCode::CREATED,
        )
        .await;
    let checkin_id = ci["checkin"]["id"].as_str().unwrap().to_string();
    let coupon = api
        .ok(
            &format!("/offers/{}/claim", w.offer),
            &v,
            json!({}),
            StatusCode::CREATED,
        )
        .await;
    let coupon_id = coupon["id"].as_str().unwrap().to_string();
    let before = (
        count(&url, "checkins", "1=1"),
        count(&url, "coupons", "1=1"),
        count(&url, "campaigns", "1=1"),
    );

    // Hot backup.
    script("backup", &[&url, file]);

    // Changes after the backup: a check-in, a redemption, a new campaign.
    api.ok(
        "/checkins",
        &v,
        json!({"payload": w.payloads[1], "method": "qr", "lat": HERE.0, "lng": HERE.1}),
        StatusCode::CREATED,
    )
    .await;
    api.ok(
        "/redemptions",
        &w.merchant,
        json!({"coupon": coupon["code"], "spend_avos": 9000, "idempotency_key": support::key()}),
        StatusCode::CREATED,
    )
    .await;
    let now = chrono::Utc::now();
    api.ok(
        "/campaigns",
        &w.official,
        json!({"slug": "after-backup", "name": support::names("後"), "district": "Coloane",
        "starts_at": now.to_rfc3339(), "ends_at": (now + chrono::Duration::days(3)).to_rfc3339()}),
        StatusCode::CREATED,
    )
    .await;
    server.stop().await;
    assert_eq!(count(&url, "campaigns", "slug = 'after-backup'"), 1);

    script("restore", &[&url, file]);
    let after = (
        count(&url, "checkins", "1=1"),
        count(&url, "coupons", "1=1"),
        count(&url, "campaigns", "1=1"),
    );
    println!(
        "backup/restore on {backend:?}: before backup (check-ins, coupons, campaigns) = {before:?}, after restore = {after:?}; \
         redemptions after restore {}",
        count(&url, "redemptions", "1=1")
    );
    assert_eq!(after, before, "the database is as it was at the backup");
    assert_eq!(count(&url, "checkins", &format!("id = '{checkin_id}'")), 1);
    assert_eq!(
        count(
            &url,
            "coupons",
            &format!("id = '{coupon_id}' AND status = 'issued'")
        ),
        1
    );
    assert_eq!(count(&url, "campaigns", "slug = 'after-backup'"), 0);
    assert_eq!(count(&url, "redemptions", "1=1"), 0);

    // The server starts on the restored database and the data is usable.
    let server = Server::start(&url, &env, &[]).await;
    let api = Api::new(&server.base);
    let (s, b) = api.get("/me/coupons", Some(&v)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(b.to_string().contains(&coupon_id), "{b}");
    api.ok(
        "/redemptions",
        &w.merchant,
        json!({"coupon": coupon["code"], "spend_avos": 9000, "idempotency_key": support::key()}),
        StatusCode::CREATED,
    )
    .await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_and_restore_sqlite() {
    backup_restore(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_and_restore_postgres() {
    backup_restore(Backend::Postgres).await;
}

crate::both!(csv_exports_hold_the_data, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let p = app.point(&off, &cid, json!({})).await;
    let offer = app.offer(&off, &cid, json!({})).await;
    let (mid, m) = app.merchant(&off, Some(&cid), "food").await;
    let (_, v) = app.visitor().await;
    let (s, _) = app
        .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, cp) = app
        .post(
            &format!("/offers/{}/claim", offer["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    let (s, r) = app
        .redeem(&m, cp["code"].as_str().unwrap(), 12345, &support::key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rid = r["redemption"]["id"].as_str().unwrap().to_string();

    let (s, stats, h) = app
        .raw(
            reqwest::Method::GET,
            &format!("/api/v1/campaigns/{cid}/stats.csv"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(stats.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() > 3, "{stats}");

    let (s, mine, _) = app
        .raw(
            reqwest::Method::GET,
            "/api/v1/merchant/redemptions.csv",
            Some(&m),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut rd = csv::Reader::from_reader(mine.trim_start_matches('\u{feff}').as_bytes());
    let header = rd.headers().unwrap().clone();
    let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(recs.len(), 1, "{mine}");
    assert_eq!(&recs[0][0], rid.as_str());
    let spend = header.iter().position(|h| h == "spend_mop").unwrap();
    assert_eq!(&recs[0][spend], "123.45");

    let today = bairro::domain::time::macau_day(bairro::domain::time::now()).to_string();
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": today, "to": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let sid = st[0]["id"].as_str().unwrap();
    assert_eq!(st[0]["merchant_id"].as_str(), Some(mid.as_str()));
    let (s, csv_text, _) = app
        .raw(
            reqwest::Method::GET,
            &format!("/api/v1/settlements/{sid}.csv"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv_text.contains(&rid), "{csv_text}");
    println!("CSV exports on {:?}: stats {} rows, merchant redemptions 1 row (123.45 MOP), statement lists the redemption", app.backend, rows.len());
});
