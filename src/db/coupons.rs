//! Coupons' rows: issuing them (inside the transaction of what earned them), the wallet's
//! list, and the expiry sweep. The rules applied here are those of `domain::issuance`; the
//! database holds them under concurrency: stock by a conditional
//! `UPDATE … WHERE issued < stock`, the per-visitor limit by the visitor's lock (taken by the
//! caller, `visitors::lock`) and by `UNIQUE(offer_id, visitor_id, seq)`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::codes;
use crate::domain::issuance::{self, NotIssued};
use crate::domain::time::{macau_day, now};
use crate::error::AppError;
use crate::types::{CampaignId, CheckinId, CouponId, CouponStatus, OfferId, OfferKind, VisitorId};

/// Issues one coupon of an offer if the campaign's budget, the offer's stock and its state
/// allow; the budget rule (`budget::commit`) and the stock's conditional update both hold in
/// this transaction.
pub fn issue_one(
    conn: &mut DbConn,
    offer: &Offer,
    visitor_id: &VisitorId,
    seq: i32,
    t: NaiveDateTime,
    checkin_id: Option<&CheckinId>,
    visitor_ref: Option<&str>,
) -> Result<Result<Coupon, NotIssued>, AppError> {
    let amount = issuance::budget_amount(offer.kind, offer.face_value_avos);
    let day = macau_day(t);
    if !super::budget::commit(conn, &offer.campaign_id, day, amount)? {
        return Ok(Err(NotIssued::BudgetExhausted));
    }
    let taken = crate::fixed!(
        "UPDATE offers SET issued = issued + 1 WHERE id = ? AND issued < stock AND NOT paused"
    )
    .bind::<diesel::sql_types::Text, _>(offer.id.as_str())
    .execute(conn)?;
    if taken == 0 {
        super::budget::release(conn, &offer.campaign_id, day, amount)?;
        let paused: bool = offers::table
            .find(&offer.id)
            .select(offers::paused)
            .first(conn)?;
        return Ok(Err(if paused {
            NotIssued::Paused
        } else {
            NotIssued::SoldOut
        }));
    }
    let coupon = Coupon {
        id: CouponId::generate(),
        code: codes::generate(),
        offer_id: offer.id.clone(),
        campaign_id: offer.campaign_id.clone(),
        visitor_id: visitor_id.into(),
        seq,
        status: CouponStatus::Issued,
        issued_at: t,
        expires_at: issuance::expires_at(t, offer.valid_days, offer.valid_until),
        day,
        checkin_id: checkin_id.cloned(),
        ref_: visitor_ref.map(str::to_string),
    };
    diesel::insert_into(coupons::table)
        .values(&coupon)
        .execute(conn)?;
    super::ledger::append(
        conn,
        &offer.campaign_id,
        "issue",
        super::ledger::Refs {
            offer: Some(&offer.id),
            coupon: Some(&coupon.id),
            ..Default::default()
        },
        amount,
        t,
    )?;
    Ok(Ok(coupon))
}

/// How many coupons of an offer a visitor holds.
pub fn held(
    conn: &mut DbConn,
    offer_id: &OfferId,
    visitor_id: &VisitorId,
) -> Result<i64, AppError> {
    Ok(coupons::table
        .filter(coupons::offer_id.eq(offer_id))
        .filter(coupons::visitor_id.eq(visitor_id))
        .count()
        .get_result(conn)?)
}

/// How many coupons of each offer of a campaign a visitor holds.
pub fn held_in_campaign(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    campaign_id: &CampaignId,
) -> Result<HashMap<String, i64>, AppError> {
    // By the visitor alone (a few rows through its index), the campaign kept here: given
    // both, SQLite may walk the campaign's index instead, every coupon of the campaign.
    Ok(coupons::table
        .filter(coupons::visitor_id.eq(visitor_id))
        .group_by((coupons::offer_id, coupons::campaign_id))
        .select((
            coupons::offer_id,
            coupons::campaign_id,
            diesel::dsl::count_star(),
        ))
        .load::<(String, String, i64)>(conn)?
        .into_iter()
        .filter(|(_, c, _)| c == campaign_id.as_str())
        .map(|(offer, _, n)| (offer, n))
        .collect())
}

/// The offers (sign-up and check-in) that pay a visitor with these stamps at `t`, with the
/// coupons each pays in all (`domain::issuance::earned`): those in stock and still valid, and
/// those that need a verified visitor only when it is.
pub fn entitled(
    offers: &[Offer],
    distinct_points: i64,
    t: NaiveDateTime,
    verified: bool,
) -> Vec<(&Offer, i64)> {
    offers
        .iter()
        .filter(|o| o.valid_until > t && issuance::in_stock(o.issued, o.stock))
        .filter(|o| verified || !o.requires_verified)
        .filter_map(|o| {
            let entitled = issuance::earned(
                o.trigger_type,
                o.trigger_count,
                distinct_points,
                o.per_visitor_limit,
            );
            (entitled > 0).then_some((o, entitled))
        })
        .collect()
}

/// Issues what a visitor has earned in a campaign (sign-up and check-in offers, by
/// `domain::issuance::earned`) and not yet received. Must run inside a transaction that holds
/// the visitor's lock. Offers that need a verified visitor are held back until `verified`
/// (they are issued at verification).
#[allow(clippy::too_many_arguments)]
pub fn issue_earned(
    conn: &mut DbConn,
    offers: &[Offer],
    visitor_id: &VisitorId,
    distinct_points: i64,
    checkin_id: Option<&CheckinId>,
    visitor_ref: Option<&str>,
    t: NaiveDateTime,
    verified: bool,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    let due = entitled(offers, distinct_points, t, verified);
    if due.is_empty() {
        return Ok(Vec::new());
    }
    // The offers of a trigger are one campaign's; counted by campaign, the statement stays
    // prepared (a list of offer ids would be a new statement each time).
    let mut held: HashMap<String, i64> = HashMap::new();
    let mut campaigns: Vec<&CampaignId> = due.iter().map(|(o, _)| &o.campaign_id).collect();
    campaigns.dedup();
    for campaign_id in campaigns {
        held.extend(held_in_campaign(conn, visitor_id, campaign_id)?);
    }
    let mut out = Vec::new();
    for (offer, entitled) in due {
        let mut have = held.get(offer.id.as_str()).copied().unwrap_or(0);
        while have < entitled {
            match issue_one(
                conn,
                offer,
                visitor_id,
                (have + 1) as i32,
                t,
                checkin_id,
                visitor_ref,
            )? {
                Ok(c) => out.push((c, offer.clone())),
                Err(_) => break,
            }
            have += 1;
        }
    }
    Ok(out)
}

/// The coupons a trigger issued, and why it stopped short (if it did).
pub type Entitled = (Vec<(Coupon, Offer)>, Option<NotIssued>);

/// Issues coupons of one offer to a visitor up to `entitled` in all (never beyond the
/// per-visitor limit), through the same rule as every other trigger (`issue_one`). Used by
/// the purchase-stamp trigger and by draws. Must run inside a transaction that holds the
/// visitor's lock (`visitors::lock`).
pub fn issue_entitled(
    conn: &mut DbConn,
    offer: &Offer,
    visitor_id: &VisitorId,
    entitled: i64,
    t: NaiveDateTime,
    visitor_ref: Option<&str>,
) -> Result<Entitled, AppError> {
    let mut out = Vec::new();
    if offer.valid_until <= t {
        return Ok((out, Some(NotIssued::SoldOut)));
    }
    let mut have = held(conn, &offer.id, visitor_id)?;
    while have < entitled && issuance::within_limit(have, offer.per_visitor_limit) {
        match issue_one(
            conn,
            offer,
            visitor_id,
            (have + 1) as i32,
            t,
            None,
            visitor_ref,
        )? {
            Ok(c) => out.push((c, offer.clone())),
            Err(why) => return Ok((out, Some(why))),
        }
        have += 1;
    }
    Ok((out, None))
}

/// The coupons a check-in issued.
pub fn of_checkin(
    conn: &mut DbConn,
    checkin_id: &CheckinId,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    Ok(coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::checkin_id.eq(checkin_id))
        .select((Coupon::as_select(), Offer::as_select()))
        .load(conn)?)
}

pub fn of_visitor(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    Ok(coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::visitor_id.eq(visitor_id))
        .order(coupons::issued_at.desc())
        .select((Coupon::as_select(), Offer::as_select()))
        .load(conn)?)
}

pub fn find(conn: &mut DbConn, id: &CouponId) -> Result<Coupon, AppError> {
    coupons::table
        .find(id)
        .select(Coupon::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such coupon".into()))
}

/// Marks issued coupons past their expiry as expired, with a ledger entry each.
pub fn sweep_expired(conn: &mut DbConn, limit: i64) -> Result<usize, AppError> {
    let t = now();
    let due: Vec<(CouponId, CampaignId, OfferId, OfferKind, i64)> = coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::status.eq(CouponStatus::Issued))
        .filter(coupons::expires_at.le(t))
        .select((
            coupons::id,
            coupons::campaign_id,
            coupons::offer_id,
            offers::kind,
            offers::face_value_avos,
        ))
        .limit(limit)
        .load(conn)?;
    let mut n = 0;
    for (id, campaign, offer, kind, face) in due {
        let done = write_tx(conn, |conn| {
            let changed = diesel::update(
                coupons::table
                    .find(&id)
                    .filter(coupons::status.eq(CouponStatus::Issued)),
            )
            .set(coupons::status.eq(CouponStatus::Expired))
            .execute(conn)?;
            if changed == 1 {
                super::ledger::append(
                    conn,
                    &campaign,
                    "expire",
                    super::ledger::Refs {
                        offer: Some(&offer),
                        coupon: Some(&id),
                        ..Default::default()
                    },
                    issuance::budget_amount(kind, face),
                    t,
                )?;
            }
            Ok(changed)
        })?;
        n += done;
    }
    Ok(n)
}
