//! The append-only money ledger: issue, redeem, void, expire, settle, pay. The database
//! refuses updates and deletes on it (triggers), so a campaign can be replayed by an auditor.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{LedgerEntry, NewLedgerEntry};
use super::schema::ledger;
use super::DbConn;
use crate::error::AppError;

#[derive(Default)]
pub struct Refs<'a> {
    pub offer: Option<&'a str>,
    pub coupon: Option<&'a str>,
    pub redemption: Option<&'a str>,
    pub merchant: Option<&'a str>,
    pub settlement: Option<&'a str>,
}

pub fn append(
    conn: &mut DbConn,
    campaign_id: &str,
    kind: &str,
    refs: Refs<'_>,
    amount_avos: i64,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(ledger::table)
        .values(NewLedgerEntry {
            campaign_id: campaign_id.into(),
            kind: kind.into(),
            offer_id: refs.offer.map(Into::into),
            coupon_id: refs.coupon.map(Into::into),
            redemption_id: refs.redemption.map(Into::into),
            merchant_id: refs.merchant.map(Into::into),
            settlement_id: refs.settlement.map(Into::into),
            amount_avos,
            created_at: at,
        })
        .execute(conn)?;
    Ok(())
}

pub fn entries(conn: &mut DbConn, campaign_id: &str) -> Result<Vec<LedgerEntry>, AppError> {
    Ok(ledger::table
        .filter(ledger::campaign_id.eq(campaign_id))
        .order(ledger::id.asc())
        .select(LedgerEntry::as_select())
        .load(conn)?)
}
