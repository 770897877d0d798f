//! What a visitor's wallet shows about spent coupons: where, when and how much was saved.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{merchants, redemptions};
use super::DbConn;
use crate::error::AppError;

pub struct Spent {
    pub merchant_id: String,
    pub merchant_name: String,
    pub address: String,
    pub at: chrono::NaiveDateTime,
    pub spend_avos: i64,
    pub discount_avos: i64,
}

/// The standing (not voided) redemption of each of these coupons, by coupon id.
pub fn spent(conn: &mut DbConn, coupon_ids: &[String]) -> Result<HashMap<String, Spent>, AppError> {
    if coupon_ids.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (
        String,
        String,
        String,
        String,
        chrono::NaiveDateTime,
        i64,
        i64,
    );
    let rows: Vec<Row> = redemptions::table
        .inner_join(merchants::table.on(merchants::id.eq(redemptions::merchant_id)))
        .filter(redemptions::coupon_id.eq_any(coupon_ids))
        .filter(redemptions::status.eq("done"))
        .select((
            redemptions::coupon_id,
            merchants::id,
            merchants::name,
            merchants::address,
            redemptions::created_at,
            redemptions::spend_avos,
            redemptions::discount_avos,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(cid, mid, name, address, at, spend, discount)| {
            (
                cid,
                Spent {
                    merchant_id: mid,
                    merchant_name: name,
                    address,
                    at,
                    spend_avos: spend,
                    discount_avos: discount,
                },
            )
        })
        .collect())
}
