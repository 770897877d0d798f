//! Consumption stamps (消費打卡): purchases recorded at the till by scanning the visitor's
//! wallet card, and redemptions, which count as purchases too. At most one stamp per visitor,
//! merchant and Macau day in a campaign (the primary key of `purchase_stamps`); a second
//! purchase that day is recorded without a stamp. Offers with the `purchases` trigger pay out
//! after N stamps, in the same transaction, through the common issuing rule.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::domain::issuance;
use crate::domain::time::macau_day;
use crate::error::{AppError, Code};
use crate::types::{
    CampaignId, CampaignStatus, EnrolmentStatus, MerchantId, OfferId, PurchaseId, RedemptionId,
    TriggerType, UserId, VisitorId,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchases)]
pub struct Purchase {
    pub id: PurchaseId,
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    pub visitor_id: VisitorId,
    pub user_id: Option<UserId>,
    pub spend_avos: i64,
    pub redemption_id: Option<RedemptionId>,
    pub stamped: bool,
    pub day: chrono::NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchase_stamps)]
pub struct PurchaseStamp {
    pub campaign_id: CampaignId,
    pub visitor_id: VisitorId,
    pub merchant_id: MerchantId,
    pub day: chrono::NaiveDate,
    pub spend_avos: i64,
    pub purchase_id: PurchaseId,
    pub created_at: NaiveDateTime,
}

/// The per-stamp minimum spend of `purchases` offers.
pub fn min_spends(
    conn: &mut DbConn,
    offer_ids: &[OfferId],
) -> Result<std::collections::HashMap<OfferId, i64>, AppError> {
    if offer_ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(purchase_triggers::table
        .filter(purchase_triggers::offer_id.eq_any(offer_ids))
        .select((
            purchase_triggers::offer_id,
            purchase_triggers::min_spend_avos,
        ))
        .load::<(OfferId, i64)>(conn)?
        .into_iter()
        .collect())
}

pub fn set_min_spend(conn: &mut DbConn, offer_id: &OfferId, min: i64) -> Result<(), AppError> {
    diesel::insert_into(purchase_triggers::table)
        .values((
            purchase_triggers::offer_id.eq(offer_id),
            purchase_triggers::min_spend_avos.eq(min),
        ))
        .execute(conn)?;
    Ok(())
}

/// A visitor's stamps in a campaign: all of them, or those whose day's best spend reached `min`.
pub fn stamp_count(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    visitor_id: &VisitorId,
    min: i64,
) -> Result<i64, AppError> {
    Ok(purchase_stamps::table
        .filter(purchase_stamps::campaign_id.eq(campaign_id))
        .filter(purchase_stamps::visitor_id.eq(visitor_id))
        .filter(purchase_stamps::spend_avos.ge(min))
        .count()
        .get_result(conn)?)
}

#[derive(QueryableByName)]
struct StampCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    stamps: i64,
}

/// Adds the day's stamp if there is none yet (or raises its spend). Returns whether this
/// purchase made the stamp and, when it did, the visitor's stamps in the campaign with it,
/// counted by the same statement (the other stamps, plus this one, so it does not matter
/// whether the count sees the new row). `INSERT … ON CONFLICT DO NOTHING` keeps a PostgreSQL
/// transaction alive when the stamp exists.
fn stamp(conn: &mut DbConn, s: &PurchaseStamp) -> Result<(bool, Option<i64>), AppError> {
    use diesel::sql_types::{BigInt, Date, Text, Timestamp};
    // Values in the order they appear (the campaign, visitor, merchant and day twice).
    let q = crate::fixed!(
        "INSERT INTO purchase_stamps (campaign_id, visitor_id, merchant_id, day, \
         spend_avos, purchase_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (campaign_id, visitor_id, merchant_id, day) DO NOTHING \
         RETURNING 1 + (SELECT COUNT(*) FROM purchase_stamps o WHERE o.campaign_id = ? \
         AND o.visitor_id = ? AND o.spend_avos >= 0 \
         AND NOT (o.merchant_id = ? AND o.day = ?)) AS stamps"
    )
    .bind::<Text, _>(&s.campaign_id)
    .bind::<Text, _>(&s.visitor_id)
    .bind::<Text, _>(&s.merchant_id)
    .bind::<Date, _>(s.day)
    .bind::<BigInt, _>(s.spend_avos)
    .bind::<Text, _>(&s.purchase_id)
    .bind::<Timestamp, _>(s.created_at)
    .bind::<Text, _>(&s.campaign_id)
    .bind::<Text, _>(&s.visitor_id)
    .bind::<Text, _>(&s.merchant_id)
    .bind::<Date, _>(s.day);
    let made: Vec<StampCount> = match conn {
        DbConn::Pg(pg) => q.load(pg)?,
        DbConn::Sqlite(lite) => q.load(lite)?,
    };
    if let Some(m) = made.first() {
        // `stamp_count(…, 0)` counts stamps whose spend is at least 0.
        return Ok((true, (s.spend_avos >= 0).then_some(m.stamps)));
    }
    crate::fixed!(
        "UPDATE purchase_stamps SET spend_avos = ? WHERE campaign_id = ? AND visitor_id = ? \
         AND merchant_id = ? AND day = ? AND spend_avos < ?"
    )
    .bind::<BigInt, _>(s.spend_avos)
    .bind::<Text, _>(&s.campaign_id)
    .bind::<Text, _>(&s.visitor_id)
    .bind::<Text, _>(&s.merchant_id)
    .bind::<Date, _>(s.day)
    .bind::<BigInt, _>(s.spend_avos)
    .execute(conn)?;
    Ok((false, None))
}

pub struct Recorded {
    pub purchase: Purchase,
    pub stamps: i64,
    pub next_reward_at: Option<i64>,
    pub coupons: Vec<(Coupon, Offer)>,
}

/// The campaign's offers that a purchase can pay out (trigger `purchases`).
pub fn paying<'a>(
    offers: &'a [Offer],
    campaign_id: &'a CampaignId,
) -> impl Iterator<Item = &'a Offer> + 'a {
    offers
        .iter()
        .filter(move |o| o.trigger_type == TriggerType::Purchases && o.campaign_id == *campaign_id)
}

/// Records a purchase and pays out `purchases` offers, inside the caller's transaction, which
/// must hold the visitor's lock.
#[allow(clippy::too_many_arguments)]
pub fn record_in_tx(
    conn: &mut DbConn,
    offers: &[Offer],
    campaign_id: &CampaignId,
    merchant_id: &MerchantId,
    visitor_id: &VisitorId,
    user_id: Option<&str>,
    spend_avos: i64,
    redemption_id: Option<&str>,
    t: NaiveDateTime,
) -> Result<Recorded, AppError> {
    let day = macau_day(t);
    let id = PurchaseId::generate();
    let (stamped, counted) = stamp(
        conn,
        &PurchaseStamp {
            campaign_id: campaign_id.clone(),
            visitor_id: visitor_id.clone(),
            merchant_id: merchant_id.clone(),
            day,
            spend_avos,
            purchase_id: id.clone(),
            created_at: t,
        },
    )?;
    let purchase = Purchase {
        id,
        campaign_id: campaign_id.clone(),
        merchant_id: merchant_id.clone(),
        visitor_id: visitor_id.clone(),
        user_id: user_id.map(UserId::from),
        spend_avos,
        redemption_id: redemption_id.map(RedemptionId::from),
        stamped,
        day,
        created_at: t,
    };
    diesel::insert_into(purchases::table)
        .values(&purchase)
        .execute(conn)?;
    let mut due: Vec<&Offer> = paying(offers, campaign_id).collect();
    // Offers for verified persons wait until the visitor verifies (then `issue_held_back`).
    if due.iter().any(|o| o.requires_verified) && !super::visitors::is_verified(conn, visitor_id)? {
        due.retain(|o| !o.requires_verified);
    }
    let mins = min_spends(conn, &due.iter().map(|o| o.id.clone()).collect::<Vec<_>>())?;
    let mut coupons = Vec::new();
    let mut thresholds = Vec::new();
    // The source is read only when an offer may pay out (most purchases pay nothing).
    let visitor_ref = if due.is_empty() {
        None
    } else {
        super::visitors::traffic_ref(conn, visitor_id)?
    };
    for o in due {
        let min = mins.get(&o.id).copied().unwrap_or(0);
        let every = i64::from(o.trigger_count.unwrap_or(1));
        let count = stamp_count(conn, campaign_id, visitor_id, min)?;
        let entitled = issuance::entitled_by_count(count, every, i64::from(o.per_visitor_limit));
        if entitled > 0 {
            let (got, _) = super::coupons::issue_entitled(
                conn,
                o,
                visitor_id,
                entitled,
                t,
                visitor_ref.as_deref(),
            )?;
            coupons.extend(got);
        }
        if min == 0 && issuance::in_stock(o.issued, o.stock) {
            thresholds.extend(issuance::thresholds(
                o.trigger_count.unwrap_or(1),
                o.per_visitor_limit,
            ));
        }
    }
    let stamps = match counted {
        Some(n) => n,
        None => stamp_count(conn, campaign_id, visitor_id, 0)?,
    };
    let next_reward_at = issuance::next_reward_at(stamps, &thresholds);
    Ok(Recorded {
        purchase,
        stamps,
        next_reward_at,
        coupons,
    })
}

/// The idempotency record of a till's key: `(request hash, status, stored answer)`.
pub fn stored_answer(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    key: &str,
) -> Result<Option<IdempotencyKey>, AppError> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::merchant_id.eq(merchant_id))
        .filter(idempotency_keys::key.eq(key))
        .select(IdempotencyKey::as_select())
        .first(conn)
        .optional()?)
}

pub fn store_answer(conn: &mut DbConn, k: &IdempotencyKey) -> Result<(), AppError> {
    diesel::insert_into(idempotency_keys::table)
        .values(k)
        .execute(conn)?;
    Ok(())
}

/// The running campaign a merchant takes part in (the one named, or the latest started).
pub fn live_campaign(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    wanted: Option<&str>,
    t: NaiveDateTime,
) -> Result<Campaign, AppError> {
    let mut q = campaigns::table
        .inner_join(enrolments::table.on(enrolments::campaign_id.eq(campaigns::id)))
        .filter(enrolments::merchant_id.eq(merchant_id))
        .filter(enrolments::status.eq(EnrolmentStatus::Approved))
        .filter(campaigns::status.eq(CampaignStatus::Published))
        .filter(campaigns::starts_at.le(t))
        .filter(campaigns::ends_at.gt(t))
        .select(Campaign::as_select())
        .order(campaigns::starts_at.desc())
        .into_boxed();
    if let Some(w) = wanted {
        q = q.filter(
            campaigns::id
                .eq(w.to_string())
                .or(campaigns::slug.eq(w.to_string())),
        );
    }
    q.first(conn).optional()?.ok_or_else(|| {
        AppError::rule(
            Code::MerchantNotEligible,
            "This shop takes part in no running campaign.",
        )
    })
}

/// A visitor's purchase stamps in every campaign, oldest first.
pub fn stamps_of(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
) -> Result<Vec<PurchaseStamp>, AppError> {
    Ok(purchase_stamps::table
        .filter(purchase_stamps::visitor_id.eq(visitor_id))
        .order(purchase_stamps::created_at.asc())
        .select(PurchaseStamp::as_select())
        .load(conn)?)
}

/// The `purchases` offers of published campaigns not yet ended at `t`, with their campaign.
pub fn open_offers(
    conn: &mut DbConn,
    t: NaiveDateTime,
) -> Result<Vec<(Offer, Campaign)>, AppError> {
    Ok(offers::table
        .inner_join(campaigns::table.on(campaigns::id.eq(offers::campaign_id)))
        .filter(offers::trigger_type.eq(TriggerType::Purchases))
        .filter(campaigns::status.eq(CampaignStatus::Published))
        .filter(campaigns::ends_at.gt(t))
        .select((Offer::as_select(), Campaign::as_select()))
        .load(conn)?)
}

/// Merchants' names (JSON of `Names`) by id.
pub fn merchant_names(
    conn: &mut DbConn,
    ids: Vec<MerchantId>,
) -> Result<std::collections::HashMap<MerchantId, String>, AppError> {
    Ok(merchants::table
        .filter(merchants::id.eq_any(ids))
        .select((merchants::id, merchants::name))
        .load::<(MerchantId, String)>(conn)?
        .into_iter()
        .collect())
}

/// Whether the visitor has a stamp of this merchant on this day in the campaign.
pub fn stamped_on(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    visitor_id: &VisitorId,
    merchant_id: &MerchantId,
    day: chrono::NaiveDate,
) -> Result<bool, AppError> {
    let n: i64 = purchase_stamps::table
        .filter(purchase_stamps::campaign_id.eq(campaign_id))
        .filter(purchase_stamps::visitor_id.eq(visitor_id))
        .filter(purchase_stamps::merchant_id.eq(merchant_id))
        .filter(purchase_stamps::day.eq(day))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A merchant's recent purchases (the till's list).
pub fn list_for_merchant(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    limit: i64,
) -> Result<Vec<Purchase>, AppError> {
    Ok(purchases::table
        .filter(purchases::merchant_id.eq(merchant_id))
        .order(purchases::created_at.desc())
        .limit(limit)
        .select(Purchase::as_select())
        .load(conn)?)
}

/// At verification: the `purchases` offers a visitor earned while unverified, if stock and
/// budget remain. Runs in the verification's transaction (which holds the visitor's lock).
pub fn issue_held_back(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    visitor_ref: Option<&str>,
    t: NaiveDateTime,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    let offers: Vec<Offer> = offers::table
        .inner_join(campaigns::table.on(campaigns::id.eq(offers::campaign_id)))
        .filter(offers::trigger_type.eq(TriggerType::Purchases))
        .filter(offers::requires_verified.eq(true))
        .filter(campaigns::status.eq(CampaignStatus::Published))
        .filter(campaigns::starts_at.le(t))
        .filter(campaigns::ends_at.gt(t))
        .select(Offer::as_select())
        .load(conn)?;
    let mins = min_spends(
        conn,
        &offers.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
    )?;
    let mut out = Vec::new();
    for o in &offers {
        let min = mins.get(&o.id).copied().unwrap_or(0);
        let count = stamp_count(conn, &o.campaign_id, visitor_id, min)?;
        let entitled = issuance::entitled_by_count(
            count,
            i64::from(o.trigger_count.unwrap_or(1)),
            i64::from(o.per_visitor_limit),
        );
        if entitled > 0 {
            let (got, _) =
                super::coupons::issue_entitled(conn, o, visitor_id, entitled, t, visitor_ref)?;
            out.extend(got);
        }
    }
    Ok(out)
}

/// When a device joins its owner's wallet (verification), its purchases, stamps and draw
/// entries move with it, except where the wallet already has the same stamp or entry.
pub fn join(conn: &mut DbConn, from: &VisitorId, into: &VisitorId) -> Result<(), AppError> {
    diesel::update(purchases::table.filter(purchases::visitor_id.eq(from)))
        .set(purchases::visitor_id.eq(into))
        .execute(conn)?;
    let theirs: Vec<PurchaseStamp> = purchase_stamps::table
        .filter(purchase_stamps::visitor_id.eq(from))
        .select(PurchaseStamp::as_select())
        .load(conn)?;
    for s in theirs {
        let mut moved = s.clone();
        moved.visitor_id = into.clone();
        stamp(conn, &moved)?;
        diesel::delete(purchase_stamps::table.find((
            &s.campaign_id,
            &s.visitor_id,
            &s.merchant_id,
            s.day,
        )))
        .execute(conn)?;
    }
    let entries: Vec<(String, String)> = draw_entries::table
        .filter(draw_entries::visitor_id.eq(from))
        .select((draw_entries::id, draw_entries::offer_id))
        .load(conn)?;
    for (id, offer) in entries {
        let taken: i64 = draw_entries::table
            .filter(draw_entries::offer_id.eq(&offer))
            .filter(draw_entries::person.eq(into))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            diesel::update(draw_entries::table.find(&id))
                .set((
                    draw_entries::visitor_id.eq(into),
                    draw_entries::person.eq(into),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
