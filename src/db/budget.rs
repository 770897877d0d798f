//! The public budget of a campaign: the face value of its e-cash coupons issued and not void
//! (`committed_avos`) never exceeds `budget_avos`, nor a Macau day's share `daily_budget_avos`.
//! Enforced like stock: a conditional `UPDATE` of a committed counter inside the issuing
//! transaction. Every issuing path (sign-up, check-in triggers, claims) goes through
//! [`commit`]; voiding goes through [`release`].

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::schema::*;
use super::DbConn;
use crate::error::AppError;
use crate::types::CampaignId;

/// Commits `amount_avos` of a campaign's budget for a coupon issued on `day`; false when that
/// would take the total or the day past its budget (then nothing is committed).
///
/// The campaign's row is always updated first (even for a discount coupon, amount 0), so on
/// PostgreSQL every issuing transaction of a campaign takes its locks in the same order:
/// visitor, campaign, offer.
pub fn commit(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    day: NaiveDate,
    amount_avos: i64,
) -> Result<bool, AppError> {
    // Fixed statements: they stay prepared (see `db::fixed`).
    if amount_avos <= 0 {
        crate::fixed!("UPDATE campaigns SET committed_avos = committed_avos WHERE id = ?")
            .bind::<Text, _>(campaign_id.as_str())
            .execute(conn)?;
        return Ok(true);
    }
    let n = crate::fixed!(
        "UPDATE campaigns SET committed_avos = committed_avos + ? WHERE id = ? \
         AND (budget_avos IS NULL OR committed_avos + ? <= budget_avos)"
    )
    .bind::<BigInt, _>(amount_avos)
    .bind::<Text, _>(campaign_id.as_str())
    .bind::<BigInt, _>(amount_avos)
    .execute(conn)?;
    if n == 0 {
        return Ok(false);
    }
    // The campaign row is now held by this transaction: the day's counter is ours alone.
    let daily: Option<i64> = campaigns::table
        .find(campaign_id)
        .select(campaigns::daily_budget_avos)
        .first(conn)?;
    let today: Option<i64> = campaign_budget_days::table
        .find((campaign_id, day))
        .select(campaign_budget_days::committed_avos)
        .first(conn)
        .optional()?;
    let spent = today.unwrap_or(0);
    if daily.is_some_and(|d| spent + amount_avos > d) {
        add_committed(conn, campaign_id, -amount_avos)?;
        return Ok(false);
    }
    if today.is_some() {
        add_committed_on(conn, campaign_id, day, amount_avos)?;
    } else {
        diesel::insert_into(campaign_budget_days::table)
            .values((
                campaign_budget_days::campaign_id.eq(campaign_id),
                campaign_budget_days::day.eq(day),
                campaign_budget_days::committed_avos.eq(amount_avos),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Gives back a void coupon's face value (issued on `day`) to the campaign's budget.
pub fn release(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    day: NaiveDate,
    amount_avos: i64,
) -> Result<(), AppError> {
    if amount_avos <= 0 {
        return Ok(());
    }
    add_committed(conn, campaign_id, -amount_avos)?;
    add_committed_on(conn, campaign_id, day, -amount_avos)
}

/// Adds to (or, negative, takes from) a campaign's committed total.
fn add_committed(conn: &mut DbConn, campaign_id: &CampaignId, avos: i64) -> Result<(), AppError> {
    crate::fixed!("UPDATE campaigns SET committed_avos = committed_avos + ? WHERE id = ?")
        .bind::<BigInt, _>(avos)
        .bind::<Text, _>(campaign_id.as_str())
        .execute(conn)?;
    Ok(())
}

/// Adds to (or takes from) a campaign's committed total of one day, if the day has a row.
fn add_committed_on(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    day: NaiveDate,
    avos: i64,
) -> Result<(), AppError> {
    crate::fixed!(
        "UPDATE campaign_budget_days SET committed_avos = committed_avos + ? \
         WHERE campaign_id = ? AND day = ?"
    )
    .bind::<BigInt, _>(avos)
    .bind::<Text, _>(campaign_id.as_str())
    .bind::<Date, _>(day)
    .execute(conn)?;
    Ok(())
}

/// A campaign's budgets and what is committed and redeemed against them (the answer is
/// `views::budget::BudgetView`).
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub budget_avos: Option<i64>,
    pub daily_budget_avos: Option<i64>,
    pub committed_avos: i64,
    pub committed_today_avos: i64,
    pub redeemed_avos: i64,
    /// The face value of e-cash coupons still redeemable: issued, not redeemed, not void, not
    /// expired. Coupons that expired unspent stay committed but are no longer outstanding.
    pub outstanding_avos: i64,
}

/// Budget figures of campaigns, by campaign id.
pub fn figures(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, Figures>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let today = crate::domain::time::macau_day(crate::domain::time::now());
    let rows: Vec<(String, Option<i64>, Option<i64>, i64)> = campaigns::table
        .filter(campaigns::id.eq_any(ids))
        .select((
            campaigns::id,
            campaigns::budget_avos,
            campaigns::daily_budget_avos,
            campaigns::committed_avos,
        ))
        .load(conn)?;
    let days: HashMap<String, i64> = campaign_budget_days::table
        .filter(campaign_budget_days::campaign_id.eq_any(ids))
        .filter(campaign_budget_days::day.eq(today))
        .select((
            campaign_budget_days::campaign_id,
            campaign_budget_days::committed_avos,
        ))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let redeemed = ids
        .iter()
        .map(|id| Ok((id.clone(), super::stats::ecash_redeemed(conn, id)?)))
        .collect::<Result<HashMap<String, i64>, AppError>>()?;
    let outstanding = outstanding_avos(conn, ids, crate::domain::time::now())?;
    Ok(rows
        .into_iter()
        .map(|(id, b, d, c)| {
            let f = Figures {
                budget_avos: b,
                daily_budget_avos: d,
                committed_avos: c,
                committed_today_avos: days.get(&id).copied().unwrap_or(0),
                redeemed_avos: redeemed.get(&id).copied().unwrap_or(0),
                outstanding_avos: outstanding.get(&id).copied().unwrap_or(0),
            };
            (id, f)
        })
        .collect())
}

/// The face value of the campaigns' e-cash coupons still redeemable at `t` (status `issued`,
/// expiring after `t`), by campaign id.
pub fn outstanding_avos(
    conn: &mut DbConn,
    ids: &[String],
    t: chrono::NaiveDateTime,
) -> Result<HashMap<String, i64>, AppError> {
    Ok(coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::campaign_id.eq_any(ids))
        .filter(coupons::status.eq("issued"))
        .filter(coupons::expires_at.gt(t))
        .filter(offers::kind.eq("ecash"))
        .group_by(coupons::campaign_id)
        .select((
            coupons::campaign_id,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(offers.face_value_avos) AS BIGINT)",
            ),
        ))
        .load::<(String, Option<i64>)>(conn)?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or(0)))
        .collect())
}

pub fn figures_of(conn: &mut DbConn, id: &str) -> Result<Figures, AppError> {
    Ok(figures(conn, &[id.to_string()])?
        .remove(id)
        .unwrap_or_default())
}

/// Sets a campaign's budgets (None clears one).
pub fn set(
    conn: &mut DbConn,
    id: &str,
    budget_avos: Option<i64>,
    daily_budget_avos: Option<i64>,
) -> Result<(), AppError> {
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::budget_avos.eq(budget_avos),
            campaigns::daily_budget_avos.eq(daily_budget_avos),
        ))
        .execute(conn)?;
    Ok(())
}
