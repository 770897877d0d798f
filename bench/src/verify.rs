//! Row counts after each phase: what the answers said happened must be in the database.
//!
//! wrk counts only answers it received before its clock ran out; requests still in flight
//! then are finished by the server and not counted. So for `n` successful answers and `c`
//! connections, the rows written must be between `n` and `n + c`: fewer means an answered
//! write was lost, more means rows appeared that nobody was told about.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use bairro::db::schema::*;
use bairro::db::DbConn;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn checkins_since(c: &mut DbConn, campaign: &str, day: NaiveDate) -> anyhow::Result<i64> {
    Ok(checkins::table
        .filter(checkins::campaign_id.eq(campaign))
        .filter(checkins::day.ge(day))
        .count()
        .get_result(c)?)
}

pub fn redemptions_since(c: &mut DbConn, campaign: &str, day: NaiveDate) -> anyhow::Result<i64> {
    Ok(redemptions::table
        .filter(redemptions::campaign_id.eq(campaign))
        .filter(redemptions::day.ge(day))
        .filter(redemptions::status.eq("done"))
        .count()
        .get_result(c)?)
}

pub fn coupons_redeemed(c: &mut DbConn) -> anyhow::Result<i64> {
    Ok(coupons::table
        .filter(coupons::status.eq("redeemed"))
        .count()
        .get_result(c)?)
}

/// Coupons with more than one live redemption (must be 0).
pub fn double_redemptions(c: &mut DbConn, day: NaiveDate) -> anyhow::Result<i64> {
    let q = format!(
        "SELECT COUNT(*) AS n FROM (SELECT coupon_id FROM redemptions WHERE status = 'done' AND coupon_id IN \
         (SELECT coupon_id FROM redemptions WHERE day >= '{day}') GROUP BY coupon_id HAVING COUNT(*) > 1) d"
    );
    Ok(diesel::sql_query(q).get_result::<N>(c)?.n)
}

pub fn pageviews_since(c: &mut DbConn, campaign: &str, day: NaiveDate) -> anyhow::Result<i64> {
    Ok(pageviews::table
        .filter(pageviews::campaign_id.eq(campaign))
        .filter(pageviews::day.ge(day))
        .count()
        .get_result(c)?)
}

pub struct Stock {
    pub offer: String,
    pub stock: i64,
    pub issued: i64,
    pub coupons: i64,
    pub doubles: i64,
}

/// Per storm offer: stock, the `issued` counter, the coupons that exist, and visitors holding
/// more than one.
pub fn stock(c: &mut DbConn, offers_ids: &[String]) -> anyhow::Result<Vec<Stock>> {
    let rows: Vec<(String, i32, i32)> = offers::table
        .filter(offers::id.eq_any(offers_ids))
        .select((offers::id, offers::stock, offers::issued))
        .load(c)?;
    let held: Vec<(String, i64)> = coupons::table
        .filter(coupons::offer_id.eq_any(offers_ids))
        .group_by(coupons::offer_id)
        .select((coupons::offer_id, count_star()))
        .load(c)?;
    let doubles: Vec<(String, String, i64)> = coupons::table
        .filter(coupons::offer_id.eq_any(offers_ids))
        .group_by((coupons::offer_id, coupons::visitor_id))
        .having(count_star().gt(1))
        .select((coupons::offer_id, coupons::visitor_id, count_star()))
        .load(c)?;
    let mut out = Vec::new();
    for id in offers_ids {
        let (_, s, i) = rows
            .iter()
            .find(|r| &r.0 == id)
            .cloned()
            .unwrap_or_default();
        out.push(Stock {
            offer: id.clone(),
            stock: s.into(),
            issued: i.into(),
            coupons: held.iter().find(|h| &h.0 == id).map(|h| h.1).unwrap_or(0),
            doubles: doubles.iter().filter(|d| &d.0 == id).count() as i64,
        });
    }
    Ok(out)
}

/// Counts until two reads 300 ms apart agree (the server finishes requests in flight).
pub fn settle(mut f: impl FnMut() -> anyhow::Result<i64>) -> anyhow::Result<i64> {
    let t0 = Instant::now();
    let mut last = f()?;
    loop {
        // Longer than the server's page-view flush interval (500 ms) plus a batch write, so a
        // buffer still waiting to be written is not taken for a settled count.
        std::thread::sleep(Duration::from_millis(1200));
        let now = f()?;
        if now == last || t0.elapsed() > Duration::from_secs(20) {
            return Ok(now);
        }
        last = now;
    }
}

/// `ok` when `answered ≤ rows ≤ answered + in_flight`, else what is wrong.
pub fn judge_rows(what: &str, rows: i64, answered: u64, in_flight: usize) -> (bool, String) {
    let a = answered as i64;
    if rows < a {
        (
            false,
            format!("LOST: {what} {rows} rows < {a} answered 2xx"),
        )
    } else if rows > a + in_flight as i64 {
        (
            false,
            format!("EXTRA: {what} {rows} rows > {a} answered + {in_flight} in flight"),
        )
    } else {
        (true, format!("{what}: {rows} rows for {a} 2xx"))
    }
}
