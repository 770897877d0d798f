//! Settlement statements: what the government owes each merchant for e-cash applied in a
//! period. A redemption is claimed by at most one statement (`settlement_id` is set once).

use chrono::NaiveDate;
use diesel::prelude::*;

use super::catalog::new_id;
use super::models::*;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::time::now;
use crate::error::{AppError, Code};

/// Generates one draft statement per merchant with unsettled e-cash redemptions in the period.
pub fn generate(
    conn: &mut DbConn,
    campaign_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    official: &str,
) -> Result<Vec<(Settlement, String)>, AppError> {
    let t = now();
    write_tx(conn, |conn| {
        // One run per campaign at a time: a second run waits, then finds what is left.
        super::locks::xact(conn, &format!("settlement-run:{campaign_id}"))?;
        let merchants_due: Vec<String> = redemptions::table
            .filter(redemptions::campaign_id.eq(campaign_id))
            .filter(redemptions::status.eq("done"))
            .filter(redemptions::settlement_id.is_null())
            .filter(redemptions::ecash_avos.gt(0))
            .filter(redemptions::day.between(from, to))
            .select(redemptions::merchant_id)
            .distinct()
            .load(conn)?;
        let mut out = Vec::new();
        for merchant_id in merchants_due {
            let sid = new_id();
            let claimed = diesel::update(
                redemptions::table
                    .filter(redemptions::campaign_id.eq(campaign_id))
                    .filter(redemptions::merchant_id.eq(&merchant_id))
                    .filter(redemptions::status.eq("done"))
                    .filter(redemptions::settlement_id.is_null())
                    .filter(redemptions::ecash_avos.gt(0))
                    .filter(redemptions::day.between(from, to)),
            )
            .set(redemptions::settlement_id.eq(Some(&sid)))
            .execute(conn)?;
            if claimed == 0 {
                // Everything due was voided meanwhile: never an empty statement.
                continue;
            }
            let amounts: Vec<i64> = redemptions::table
                .filter(redemptions::settlement_id.eq(&sid))
                .select(redemptions::ecash_avos)
                .load(conn)?;
            let s = Settlement {
                id: sid.clone(),
                campaign_id: campaign_id.into(),
                merchant_id: merchant_id.clone(),
                period_from: from,
                period_to: to,
                amount_avos: amounts.iter().sum(),
                redemptions_count: amounts.len() as i32,
                status: "draft".into(),
                created_by: official.into(),
                created_at: t,
                approved_by: None,
                approved_at: None,
                paid_by: None,
                paid_at: None,
            };
            diesel::insert_into(settlements::table)
                .values(&s)
                .execute(conn)?;
            super::ledger::append(
                conn,
                campaign_id,
                "settle",
                super::ledger::Refs {
                    merchant: Some(&merchant_id),
                    settlement: Some(&sid),
                    ..Default::default()
                },
                s.amount_avos,
                t,
            )?;
            let name: String = merchants::table
                .find(&merchant_id)
                .select(merchants::name)
                .first(conn)?;
            out.push((s, name));
        }
        Ok(out)
    })
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<(Settlement, String), AppError> {
    settlements::table
        .inner_join(merchants::table.on(merchants::id.eq(settlements::merchant_id)))
        .filter(settlements::id.eq(id))
        .select((Settlement::as_select(), merchants::name))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such statement".into()))
}

pub fn approve(conn: &mut DbConn, id: &str, official: &str) -> Result<(), AppError> {
    let (s, _) = find(conn, id)?;
    if s.created_by == official {
        return Err(AppError::rule(
            Code::FourEyesRequired,
            "A statement must be approved by another official than the one who generated it.",
        ));
    }
    let n = diesel::update(
        settlements::table
            .find(id)
            .filter(settlements::status.eq("draft")),
    )
    .set((
        settlements::status.eq("approved"),
        settlements::approved_by.eq(Some(official)),
        settlements::approved_at.eq(Some(now())),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::rule(
            Code::InvalidState,
            format!("The statement is {}, not draft.", s.status),
        ));
    }
    Ok(())
}

pub fn pay(conn: &mut DbConn, id: &str, official: &str) -> Result<(), AppError> {
    find(conn, id)?;
    if super::payouts::in_open_batch(conn, id)? {
        return Err(AppError::rule(
 Code::InPayoutBatch,
            "The statement is in a payout batch: it is paid when that batch's transfer is confirmed.",
        ));
    }
    let t = now();
    write_tx(conn, |conn| mark_paid(conn, id, official, t))
}

/// Marks an approved statement paid, with its ledger entry (inside the caller's transaction).
pub fn mark_paid(
    conn: &mut DbConn,
    id: &str,
    official: &str,
    t: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let (s, _) = find(conn, id)?;
    let n = diesel::update(
        settlements::table
            .find(id)
            .filter(settlements::status.eq("approved")),
    )
    .set((
        settlements::status.eq("paid"),
        settlements::paid_by.eq(Some(official)),
        settlements::paid_at.eq(Some(t)),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::rule(
            Code::InvalidState,
            format!("The statement is {}, not approved.", s.status),
        ));
    }
    super::ledger::append(
        conn,
        &s.campaign_id,
        "pay",
        super::ledger::Refs {
            merchant: Some(&s.merchant_id),
            settlement: Some(&s.id),
            ..Default::default()
        },
        s.amount_avos,
        t,
    )
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
