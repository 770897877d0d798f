//! Rows of settlement statements: what the government owes each merchant for e-cash applied in
//! a period. A redemption is claimed by at most one statement (`settlement_id` is set once, by
//! a conditional update). The use cases are in `service::settlements`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::error::AppError;
use crate::types::{
    CampaignId, MerchantId, RedemptionStatus, SettlementId, SettlementStatus, UserId,
};

/// The merchants with live e-cash redemptions of the period on no statement yet.
pub fn merchants_due(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<MerchantId>, AppError> {
    Ok(redemptions::table
        .filter(redemptions::campaign_id.eq(campaign_id))
        .filter(redemptions::status.eq(RedemptionStatus::Done))
        .filter(redemptions::settlement_id.is_null())
        .filter(redemptions::ecash_avos.gt(0))
        .filter(redemptions::day.between(from, to))
        .select(redemptions::merchant_id)
        .distinct()
        .load(conn)?)
}

/// Puts a merchant's unclaimed live e-cash redemptions of the period on statement `sid`;
/// returns the e-cash amounts claimed (none when all were voided meanwhile).
pub fn claim(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    merchant_id: &MerchantId,
    from: NaiveDate,
    to: NaiveDate,
    sid: &SettlementId,
) -> Result<Vec<i64>, AppError> {
    let claimed = diesel::update(
        redemptions::table
            .filter(redemptions::campaign_id.eq(campaign_id))
            .filter(redemptions::merchant_id.eq(merchant_id))
            .filter(redemptions::status.eq(RedemptionStatus::Done))
            .filter(redemptions::settlement_id.is_null())
            .filter(redemptions::ecash_avos.gt(0))
            .filter(redemptions::day.between(from, to)),
    )
    .set(redemptions::settlement_id.eq(Some(sid)))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(Vec::new());
    }
    Ok(redemptions::table
        .filter(redemptions::settlement_id.eq(sid))
        .select(redemptions::ecash_avos)
        .load(conn)?)
}

pub fn insert(conn: &mut DbConn, s: &Settlement) -> Result<(), AppError> {
    diesel::insert_into(settlements::table)
        .values(s)
        .execute(conn)?;
    Ok(())
}

/// A merchant's name (JSON names).
pub fn merchant_name(conn: &mut DbConn, merchant_id: &MerchantId) -> Result<String, AppError> {
    Ok(merchants::table
        .find(merchant_id)
        .select(merchants::name)
        .first(conn)?)
}

/// A statement with its merchant's name (JSON names).
pub fn find(conn: &mut DbConn, id: &str) -> Result<(Settlement, String), AppError> {
    settlements::table
        .inner_join(merchants::table.on(merchants::id.eq(settlements::merchant_id)))
        .filter(settlements::id.eq(id))
        .select((Settlement::as_select(), merchants::name))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such statement".into()))
}

/// Marks a draft statement approved; false when it was not a draft.
pub fn set_approved(
    conn: &mut DbConn,
    id: &SettlementId,
    official: &UserId,
    t: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        settlements::table
            .find(id)
            .filter(settlements::status.eq(SettlementStatus::Draft)),
    )
    .set((
        settlements::status.eq(SettlementStatus::Approved),
        settlements::approved_by.eq(Some(official)),
        settlements::approved_at.eq(Some(t)),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Marks an approved statement paid; false when it was not approved.
pub fn set_paid(
    conn: &mut DbConn,
    id: &SettlementId,
    official: &UserId,
    t: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        settlements::table
            .find(id)
            .filter(settlements::status.eq(SettlementStatus::Approved)),
    )
    .set((
        settlements::status.eq(SettlementStatus::Paid),
        settlements::paid_by.eq(Some(official)),
        settlements::paid_at.eq(Some(t)),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

pub fn list(
    conn: &mut DbConn,
    campaign_id: Option<&str>,
    merchant_id: Option<&str>,
) -> Result<Vec<(Settlement, String)>, AppError> {
    let mut q = settlements::table
        .inner_join(merchants::table.on(merchants::id.eq(settlements::merchant_id)))
        .select((Settlement::as_select(), merchants::name))
        .order(settlements::created_at.desc())
        .into_boxed();
    if let Some(c) = campaign_id {
        q = q.filter(settlements::campaign_id.eq(c.to_string()));
    }
    if let Some(m) = merchant_id {
        q = q.filter(settlements::merchant_id.eq(m.to_string()));
    }
    Ok(q.load(conn)?)
}

/// The redemptions of a statement, oldest first, with their coupons' codes.
pub fn lines(
    conn: &mut DbConn,
    settlement_id: &str,
) -> Result<Vec<(Redemption, String)>, AppError> {
    Ok(redemptions::table
        .inner_join(coupons::table.on(coupons::id.eq(redemptions::coupon_id)))
        .filter(redemptions::settlement_id.eq(settlement_id))
        .order(redemptions::created_at.asc())
        .select((Redemption::as_select(), coupons::code))
        .load(conn)?)
}
