//! `bare`: the reference ceiling for the benchmark. The same SQL statements as Bairro's hot
//! paths, behind minimal actix-web handlers on the same pool (`bairro::db::connect`, same
//! pragmas and size) and the same blocking-pool idiom, with no auth, no validation and no
//! rules. Bodies carry the ids the statements need.
//!
//! - `POST /checkin`  — one INSERT into checkins;
//! - `POST /checkin-same` — Bairro's own check-in statement (`db::checkins::record`: on
//!   PostgreSQL one statement committed on its own, on SQLite inside a write transaction),
//!   the ceiling for that statement;
//! - `POST /redeem`   — in one write transaction: UPDATE coupons … WHERE status = 'issued',
//!   then INSERT into redemptions;
//! - `POST /redeem-same` — Bairro's own writing of a redemption (`service::redemptions::
//!   write`: the coupon, the redemption, its ledger row, the purchase and its stamp, the
//!   stored answer; on PostgreSQL one statement, its ledger row then chained by a sealer
//!   thread as Bairro's sealer does), the ceiling for those rows;
//! - `POST /claim`    — in one write transaction: UPDATE offers SET issued = issued + 1
//!   WHERE issued < stock, then INSERT into coupons;
//! - `POST /pageview` — into a memory buffer, written by a multi-row INSERT every 500 ms or
//!   2,000 rows (what Bairro does);
//! - `GET /healthz`.

use std::sync::Mutex;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::prelude::*;
use serde::Deserialize;

use bairro::db::checkins as checkins_rows;
use bairro::db::models::{Checkin, Coupon, NewPageview, Redemption};
use bairro::db::schema::{checkins, coupons, offers, redemptions};
use bairro::db::{self, write_tx, DbPool};
use bairro::domain::time::{macau_day, now};
use bairro::error::AppError;
use bairro::service::redemptions::{self as till, Writing};
use bairro::types::{CheckinMethod, CouponStatus, VisitorId};

struct State {
    pool: DbPool,
    pageviews: Mutex<Vec<NewPageview>>,
}

type Data = web::Data<State>;

fn fail(e: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::InternalServerError().body(e.to_string())
}

async fn run<T, F>(st: &Data, f: F) -> Result<T, HttpResponse>
where
    F: FnOnce(&mut db::DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = st.pool.clone();
    match web::block(move || {
        let mut c = db::get(&pool)?;
        f(&mut c)
    })
    .await
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(AppError::Conflict(m))) => Err(HttpResponse::Conflict().body(m)),
        Ok(Err(e)) => Err(fail(e)),
        Err(e) => Err(fail(e)),
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn code() -> String {
    use rand::Rng;
    const A: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut r = rand::thread_rng();
    (0..16).map(|_| A[r.gen_range(0..32)] as char).collect()
}

#[derive(Deserialize)]
struct CheckinBody {
    visitor: String,
    point: String,
    campaign: String,
    lat: Option<f64>,
    lng: Option<f64>,
}

async fn checkin(st: Data, b: web::Json<CheckinBody>) -> HttpResponse {
    let row = checkin_row(b.into_inner());
    let id = row.id.clone();
    match run(&st, move |c| {
        diesel::insert_into(checkins::table)
            .values(&row)
            .execute(c)?;
        Ok(())
    })
    .await
    {
        Ok(()) => HttpResponse::Created().json(serde_json::json!({ "id": id })),
        Err(r) => r,
    }
}

/// A check-in row for the body's visitor, point and campaign, scanned now.
fn checkin_row(b: CheckinBody) -> Checkin {
    let t = now();
    Checkin {
        id: new_id().into(),
        visitor_id: b.visitor.into(),
        point_id: b.point.into(),
        campaign_id: b.campaign.into(),
        method: CheckinMethod::Qr,
        day: macau_day(t),
        scanned_at: t,
        received_at: t,
        lat: b.lat,
        lng: b.lng,
        nonce: None,
        ref_: None,
        first_visit: false,
    }
}

async fn checkin_same(st: Data, b: web::Json<CheckinBody>) -> HttpResponse {
    let row = checkin_row(b.into_inner());
    let id = row.id.clone();
    match run(&st, move |c| match c {
        db::DbConn::Pg(_) => checkins_rows::record(c, &row, &[]),
        db::DbConn::Sqlite(_) => write_tx(c, |c| checkins_rows::record(c, &row, &[])),
    })
    .await
    {
        Ok(checkins_rows::Record::Written(r)) => {
            HttpResponse::Created().json(serde_json::json!({ "id": id, "stamps": r.stamps }))
        }
        Ok(other) => fail(format!("{other:?}")),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct RedeemBody {
    coupon: String,
    offer: String,
    campaign: String,
    merchant: String,
    user: String,
    spend: i64,
}

/// The redemption row of a request (no rules: nothing is taken off the spend).
fn redemption_row(b: &RedeemBody) -> Redemption {
    let t = now();
    Redemption {
        id: new_id().into(),
        coupon_id: b.coupon.as_str().into(),
        offer_id: b.offer.as_str().into(),
        campaign_id: b.campaign.as_str().into(),
        merchant_id: b.merchant.as_str().into(),
        user_id: b.user.as_str().into(),
        spend_avos: b.spend,
        discount_avos: 0,
        ecash_avos: 0,
        status: bairro::types::RedemptionStatus::Done,
        day: macau_day(t),
        created_at: t,
        voided_at: None,
        settlement_id: None,
        ref_: None,
    }
}

async fn redeem(st: Data, b: web::Json<RedeemBody>) -> HttpResponse {
    let r = redemption_row(&b);
    let t = r.created_at;
    let id = r.id.clone();
    match run(&st, move |c| {
        write_tx(c, |c| {
            let moved = diesel::update(
                coupons::table
                    .find(&r.coupon_id)
                    .filter(coupons::status.eq("issued"))
                    .filter(coupons::expires_at.gt(t)),
            )
            .set(coupons::status.eq("redeemed"))
            .execute(c)?;
            if moved == 0 {
                return Err(AppError::Conflict("already redeemed".into()));
            }
            diesel::insert_into(redemptions::table)
                .values(&r)
                .execute(c)?;
            Ok(())
        })
    })
    .await
    {
        Ok(()) => HttpResponse::Created().json(serde_json::json!({ "id": id })),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct RedeemSameBody {
    #[serde(flatten)]
    redemption: RedeemBody,
    visitor: String,
    key: String,
}

async fn redeem_same(st: Data, b: web::Json<RedeemSameBody>) -> HttpResponse {
    let b = b.into_inner();
    let r = redemption_row(&b.redemption);
    let visitor = VisitorId::from(b.visitor);
    match run(&st, move |c| {
        let w = Writing {
            redemption: &r,
            visitor_id: &visitor,
            offers: &[],
            key: &b.key,
            request_hash: "bench",
        };
        till::write(
            c,
            &w,
            |stamps, _| serde_json::json!({ "id": r.id, "stamps": { "count": stamps } }),
            |body, stamps| body["stamps"]["count"] = stamps.into(),
        )
    })
    .await
    {
        Ok(body) => HttpResponse::Created().json(body),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct ClaimBody {
    offer: String,
    visitor: String,
    campaign: String,
}

async fn claim(st: Data, b: web::Json<ClaimBody>) -> HttpResponse {
    let b = b.into_inner();
    let t = now();
    let coupon = Coupon {
        id: new_id().into(),
        code: code(),
        offer_id: b.offer.into(),
        campaign_id: b.campaign.into(),
        visitor_id: b.visitor.into(),
        seq: 1,
        status: CouponStatus::Issued,
        issued_at: t,
        expires_at: t + chrono::Duration::days(30),
        day: macau_day(t),
        checkin_id: None,
        ref_: None,
    };
    let id = coupon.id.clone();
    match run(&st, move |c| {
        write_tx(c, |c| {
            let taken = diesel::update(
                offers::table
                    .find(&coupon.offer_id)
                    .filter(offers::issued.lt(offers::stock)),
            )
            .set(offers::issued.eq(offers::issued + 1))
            .execute(c)?;
            if taken == 0 {
                return Ok(false);
            }
            diesel::insert_into(coupons::table)
                .values(&coupon)
                .execute(c)?;
            Ok(true)
        })
    })
    .await
    {
        Ok(true) => HttpResponse::Created().json(serde_json::json!({ "id": id })),
        Ok(false) => HttpResponse::Gone().finish(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct PageviewBody {
    campaign: String,
    path: String,
    #[serde(rename = "ref")]
    ref_: Option<String>,
}

fn flush(st: &State) -> Result<usize, AppError> {
    let rows = std::mem::take(&mut *st.pageviews.lock().expect("lock"));
    if rows.is_empty() {
        return Ok(0);
    }
    let mut c = db::get(&st.pool)?;
    db::traffic::insert_pageviews(&mut c, &rows)
}

async fn pageview(st: Data, b: web::Json<PageviewBody>) -> HttpResponse {
    let b = b.into_inner();
    let t = now();
    let n = {
        let mut g = st.pageviews.lock().expect("lock");
        g.push(NewPageview {
            campaign_id: b.campaign.into(),
            path: b.path,
            ref_: b.ref_,
            visitor_hash: "bare".into(),
            day: macau_day(t),
            created_at: t,
        });
        g.len()
    };
    if n >= 2000 {
        let s = st.clone();
        let _ = web::block(move || flush(&s)).await;
    }
    HttpResponse::Accepted().finish()
}

async fn healthz(st: Data) -> HttpResponse {
    match run(&st, |c| {
        use diesel::connection::SimpleConnection;
        c.batch_execute("SELECT 1")?;
        Ok(())
    })
    .await
    {
        Ok(()) => HttpResponse::Ok().body("ok"),
        Err(r) => r,
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// PostgreSQL: `/redeem-same` leaves its ledger row in `ledger_pending`, as Bairro's
/// redemption does; Bairro's sealer then moves it into the hash chain. The same work is done
/// here, on a connection of its own, so that the ceiling writes every row Bairro writes (on
/// SQLite the row is chained inside the redemption's transaction). Unlike Bairro, no answer
/// waits for it.
fn seal_in_background(url: &str) -> anyhow::Result<()> {
    let (pool, _) = db::connect(url, Some(1))?;
    std::thread::spawn(move || loop {
        let sealed = db::get(&pool).and_then(|mut c| db::ledger::seal_pending(&mut c));
        if !matches!(sealed, Ok(n) if n > 0) {
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let bind = arg("--bind").unwrap_or_else(|| "127.0.0.1:8090".into());
    let url = arg("--database-url").ok_or_else(|| anyhow::anyhow!("--database-url is required"))?;
    let (pool, backend) = db::connect(&url, None)?;
    if backend == db::Backend::Postgres {
        seal_in_background(&url)?;
    }
    let state = web::Data::new(State {
        pool,
        pageviews: Mutex::new(Vec::new()),
    });
    actix_web::rt::System::new().block_on(async move {
        let st = state.clone();
        let flusher = actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                let s = st.clone();
                let _ = web::block(move || flush(&s)).await;
            }
        });
        let data = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::JsonConfig::default().limit(64 * 1024))
                .route("/healthz", web::get().to(healthz))
                .route("/checkin", web::post().to(checkin))
                .route("/checkin-same", web::post().to(checkin_same))
                .route("/redeem", web::post().to(redeem))
                .route("/redeem-same", web::post().to(redeem_same))
                .route("/claim", web::post().to(claim))
                .route("/pageview", web::post().to(pageview))
        })
        .shutdown_timeout(10)
        .bind(&bind)?
        .run();
        println!("bare is serving on http://{bind}");
        let result = server.await;
        flusher.abort();
        let s = state.clone();
        let _ = web::block(move || flush(&s)).await;
        result.map_err(anyhow::Error::from)
    })
}
