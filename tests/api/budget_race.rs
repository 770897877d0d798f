//! The public budget under racing claims and check-in triggers: on each database, and across
//! two `bairro serve` processes sharing one PostgreSQL database. Committed e-cash never passes
//! the budget and the ledger agrees with the counter.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const FACE: i64 = 5000;

async fn no_limits(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| s.rate_limits = false).await
}

fn sum(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = app.conn();
    let r: Vec<N> = match &mut *c {
        bairro::db::DbConn::Sqlite(c) => {
            diesel::RunQueryDsl::load(diesel::sql_query(sql), c).unwrap()
        }
        bairro::db::DbConn::Pg(c) => diesel::RunQueryDsl::load(diesel::sql_query(sql), c).unwrap(),
    };
    r[0].n
}

/// Spreads `checkins` check-ins evenly among `total` requests.
fn is_checkin(i: usize, total: usize, checkins: usize) -> bool {
    checkins > 0 && i.is_multiple_of(total / checkins) && i / (total / checkins) < checkins
}

/// `claims` racing claims and `checkins` racing check-ins (each earning a coupon by trigger)
/// against a budget of `fits` coupons, spread over the servers in `base`.
async fn budget_storm(
    app: &TestApp,
    base: &[String],
    claims: usize,
    checkins: usize,
    fits: i64,
    field: &str,
) {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let (s, b) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/campaigns/{cid}"),
            Some(&off),
            Some(json!({ field: fits * FACE })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let claim_offer = app
        .offer(
            &off,
            &cid,
            json!({"stock": 10_000, "face_value_avos": FACE}),
        )
        .await;
    let coid = claim_offer["id"].as_str().unwrap().to_string();
    app.offer(
        &off,
        &cid,
        json!({"stock": 10_000, "face_value_avos": FACE, "trigger": {"type": "checkins", "count": 1}}),
    )
    .await;
    let point = app.point(&off, &cid, json!({})).await;
    let payload = point["payload"].as_str().unwrap().to_string();
    let tokens: Vec<String> = join_all((0..claims + checkins).map(|_| app.visitor()))
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let started = std::time::Instant::now();
    let results: Vec<(StatusCode, Value, bool)> = join_all(tokens.iter().enumerate().map(|(i, t)| {
        let client = app.client.clone();
        let b = base[i % base.len()].clone();
        let t = t.clone();
        let coid = coid.clone();
        let payload = payload.clone();
        async move {
            let is_claim = !is_checkin(i, claims + checkins, checkins);
            let r = if is_claim {
                client
                    .post(format!("{b}/api/v1/offers/{coid}/claim"))
                    .bearer_auth(t)
                    .json(&json!({}))
            } else {
                client
                    .post(format!("{b}/api/v1/checkins"))
                    .bearer_auth(t)
                    .json(&json!({"payload": payload, "method": "qr", "lat": HERE.0, "lng": HERE.1}))
            }
            .send()
            .await
            .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or_default(), is_claim)
        }
    }))
    .await;
    let claimed = results
        .iter()
        .filter(|(s, _, c)| *c && *s == StatusCode::CREATED)
        .count() as i64;
    let exhausted = results
        .iter()
        .filter(|(s, b, c)| *c && *s == StatusCode::GONE && code(b) == "budget_exhausted")
        .count() as i64;
    let checked_in = results
        .iter()
        .filter(|(s, _, c)| !*c && *s == StatusCode::CREATED)
        .count() as i64;
    let earned: i64 = results
        .iter()
        .filter(|(s, _, c)| !*c && *s == StatusCode::CREATED)
        .map(|(_, b, _)| b["coupons"].as_array().map(|a| a.len()).unwrap_or(0) as i64)
        .sum();
    let committed = sum(
        app,
        &format!("SELECT committed_avos AS n FROM campaigns WHERE id = '{cid}'"),
    );
    let rows = sum(
        app,
        &format!(
            "SELECT CAST(COALESCE(SUM(o.face_value_avos), 0) AS BIGINT) AS n FROM coupons c \
             JOIN offers o ON o.id = c.offer_id WHERE c.campaign_id = '{cid}' AND o.kind = 'ecash' \
             AND c.status <> 'void'"
        ),
    );
    let ledger = sum(
        app,
        &format!(
            "SELECT CAST(COALESCE(SUM(amount_avos), 0) AS BIGINT) AS n FROM ledger \
             WHERE campaign_id = '{cid}' AND kind = 'issue'"
        ),
    );
    let day = sum(
        app,
        &format!(
            "SELECT CAST(COALESCE(SUM(committed_avos), 0) AS BIGINT) AS n FROM campaign_budget_days \
             WHERE campaign_id = '{cid}'"
        ),
    );
    println!(
        "budget storm on {:?} via {} server(s): {} claims + {} check-ins in {:?}; {claimed} claimed, \
         {exhausted} budget_exhausted, {checked_in} check-ins accepted earning {earned}; committed {committed} \
         of {} avos",
        app.backend,
        base.len(),
        claims,
        checkins,
        started.elapsed(),
        fits * FACE
    );
    assert!(committed <= fits * FACE, "never past the budget");
    assert_eq!(
        committed,
        fits * FACE,
        "demand exceeds the budget: it is used up exactly"
    );
    assert_eq!(
        (claimed + earned) * FACE,
        committed,
        "answers agree with the counter"
    );
    assert_eq!(rows, committed, "coupon rows agree with the counter");
    assert_eq!(ledger, committed, "the ledger agrees with the counter");
    assert_eq!(day, committed, "the day's counter agrees");
    assert_eq!(
        claimed + exhausted,
        claims as i64,
        "every other claim is told budget_exhausted"
    );
    assert_eq!(
        checked_in, checkins as i64,
        "every check-in counts, coupon or not"
    );
}

mod budget_never_overspent {
    use super::*;
    #[actix_web::test]
    async fn sqlite() {
        let app = no_limits(Backend::Sqlite).await.unwrap();
        budget_storm(
            &app,
            std::slice::from_ref(&app.base),
            240,
            80,
            37,
            "budget_avos",
        )
        .await;
        budget_storm(
            &app,
            std::slice::from_ref(&app.base),
            120,
            40,
            11,
            "daily_budget_avos",
        )
        .await;
    }
    #[actix_web::test]
    async fn postgres() {
        let Some(app) = no_limits(Backend::Postgres).await else {
            return;
        };
        budget_storm(
            &app,
            std::slice::from_ref(&app.base),
            240,
            80,
            37,
            "budget_avos",
        )
        .await;
        budget_storm(
            &app,
            std::slice::from_ref(&app.base),
            120,
            40,
            11,
            "daily_budget_avos",
        )
        .await;
    }
}

/// Two `bairro serve` processes on one PostgreSQL database, claims and check-ins over both.
#[actix_web::test]
async fn budget_never_overspent_across_two_processes() {
    let Some(app) = no_limits(Backend::Postgres).await else {
        return;
    };
    let (procs, bases) = app.more_processes(2).await;
    budget_storm(&app, &bases, 300, 100, 53, "budget_avos").await;
    budget_storm(&app, &bases, 300, 100, 29, "daily_budget_avos").await;
    for mut p in procs {
        let _ = p.kill();
        let _ = p.wait();
    }
}
