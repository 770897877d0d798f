//! Consumption stamps (消費打卡): purchases recorded at the till by scanning the visitor's
//! wallet card, and redemptions, which count as purchases too. At most one stamp per visitor,
//! merchant and Macau day in a campaign (the primary key of `purchase_stamps`); a second
//! purchase that day is recorded without a stamp. Offers with the `purchases` trigger pay out
//! after N stamps, in the same transaction, through the common issuing rule.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::cache::Caches;
use super::catalog::new_id;
use super::models::*;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::payload::KeyRing;
use crate::domain::time::{macau_day, now, to_rfc3339};
use crate::error::{AppError, Code};
use crate::views;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchases)]
pub struct Purchase {
    pub id: String,
    pub campaign_id: String,
    pub merchant_id: String,
    pub visitor_id: String,
    pub user_id: Option<String>,
    pub spend_avos: i64,
    pub redemption_id: Option<String>,
    pub stamped: bool,
    pub day: chrono::NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchase_stamps)]
pub struct PurchaseStamp {
    pub campaign_id: String,
    pub visitor_id: String,
    pub merchant_id: String,
    pub day: chrono::NaiveDate,
    pub spend_avos: i64,
    pub purchase_id: String,
    pub created_at: NaiveDateTime,
}

pub fn purchase_view(p: &Purchase) -> Value {
    json!({
        "id": p.id,
        "campaign_id": p.campaign_id,
        "merchant_id": p.merchant_id,
        "spend_avos": p.spend_avos,
        "stamped": p.stamped,
        "redemption_id": p.redemption_id,
        "day": p.day,
        "created_at": to_rfc3339(p.created_at),
    })
}

/// The per-stamp minimum spend of `purchases` offers.
pub fn min_spends(
    conn: &mut DbConn,
    offer_ids: &[String],
) -> Result<std::collections::HashMap<String, i64>, AppError> {
    if offer_ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(purchase_triggers::table
        .filter(purchase_triggers::offer_id.eq_any(offer_ids))
        .select((
            purchase_triggers::offer_id,
            purchase_triggers::min_spend_avos,
        ))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

pub fn set_min_spend(conn: &mut DbConn, offer_id: &str, min: i64) -> Result<(), AppError> {
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
    campaign_id: &str,
    visitor_id: &str,
    min: i64,
) -> Result<i64, AppError> {
    Ok(purchase_stamps::table
        .filter(purchase_stamps::campaign_id.eq(campaign_id))
        .filter(purchase_stamps::visitor_id.eq(visitor_id))
        .filter(purchase_stamps::spend_avos.ge(min))
        .count()
        .get_result(conn)?)
}

/// Adds the day's stamp if there is none yet (or raises its spend). Returns whether this
/// purchase made the stamp. `INSERT … ON CONFLICT DO NOTHING` keeps a PostgreSQL transaction
/// alive when the stamp exists.
fn stamp(conn: &mut DbConn, s: &PurchaseStamp) -> Result<bool, AppError> {
    let n = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(purchase_stamps::table)
            .values(s)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConn::Pg(c) => diesel::insert_into(purchase_stamps::table)
            .values(s)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    if n == 0 {
        diesel::update(
            purchase_stamps::table
                .find((&s.campaign_id, &s.visitor_id, &s.merchant_id, s.day))
                .filter(purchase_stamps::spend_avos.lt(s.spend_avos)),
        )
        .set(purchase_stamps::spend_avos.eq(s.spend_avos))
        .execute(conn)?;
    }
    Ok(n == 1)
}

pub struct Recorded {
    pub purchase: Purchase,
    pub stamps: i64,
    pub next_reward_at: Option<i64>,
    pub coupons: Vec<(Coupon, Offer)>,
}

/// Records a purchase and pays out `purchases` offers, inside the caller's transaction, which
/// must hold the visitor's lock.
#[allow(clippy::too_many_arguments)]
pub fn record_in_tx(
    conn: &mut DbConn,
    offers: &[Offer],
    campaign_id: &str,
    merchant_id: &str,
    visitor_id: &str,
    user_id: Option<&str>,
    spend_avos: i64,
    redemption_id: Option<&str>,
    t: NaiveDateTime,
) -> Result<Recorded, AppError> {
    let day = macau_day(t);
    let id = new_id();
    let stamped = stamp(
        conn,
        &PurchaseStamp {
            campaign_id: campaign_id.into(),
            visitor_id: visitor_id.into(),
            merchant_id: merchant_id.into(),
            day,
            spend_avos,
            purchase_id: id.clone(),
            created_at: t,
        },
    )?;
    let purchase = Purchase {
        id,
        campaign_id: campaign_id.into(),
        merchant_id: merchant_id.into(),
        visitor_id: visitor_id.into(),
        user_id: user_id.map(str::to_string),
        spend_avos,
        redemption_id: redemption_id.map(str::to_string),
        stamped,
        day,
        created_at: t,
    };
    diesel::insert_into(purchases::table)
        .values(&purchase)
        .execute(conn)?;
    let mut due: Vec<&Offer> = offers
        .iter()
        .filter(|o| o.trigger_type == "purchases" && o.campaign_id == campaign_id)
        .collect();
    // Offers for verified persons wait until the visitor verifies (then `issue_held_back`).
    if due.iter().any(|o| o.requires_verified) && !super::visitors::is_verified(conn, visitor_id)? {
        due.retain(|o| !o.requires_verified);
    }
    let mins = min_spends(conn, &due.iter().map(|o| o.id.clone()).collect::<Vec<_>>())?;
    let mut coupons = Vec::new();
    let mut thresholds = Vec::new();
    let visitor_ref: Option<String> = visitors::table
        .find(visitor_id)
        .select(visitors::ref_)
        .first(conn)
        .optional()?
        .flatten();
    for o in due {
        let min = mins.get(&o.id).copied().unwrap_or(0);
        let every = i64::from(o.trigger_count.unwrap_or(1));
        let count = stamp_count(conn, campaign_id, visitor_id, min)?;
        let entitled = crate::domain::issuance::entitled_by_count(
            count,
            every,
            i64::from(o.per_visitor_limit),
        );
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
        if min == 0 && o.issued < o.stock {
            thresholds.extend((1..=i64::from(o.per_visitor_limit)).map(|k| k * every));
        }
    }
    let stamps = stamp_count(conn, campaign_id, visitor_id, 0)?;
    let next_reward_at = crate::domain::issuance::next_reward_at(stamps, &thresholds);
    Ok(Recorded {
        purchase,
        stamps,
        next_reward_at,
        coupons,
    })
}

pub struct PurchaseRequest {
    pub merchant_id: String,
    pub user_id: String,
    pub visitor: String,
    pub spend_avos: i64,
    pub idempotency_key: String,
    pub campaign: Option<String>,
}

fn request_hash(r: &PurchaseRequest, visitor_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "purchase|{visitor_id}|{}|{}",
        r.spend_avos,
        r.campaign.as_deref().unwrap_or("")
    ));
    data_encoding::HEXLOWER.encode(&h.finalize())
}

fn stored(
    conn: &mut DbConn,
    merchant_id: &str,
    key: &str,
    hash: &str,
) -> Result<Option<(u16, Value)>, AppError> {
    let found: Option<IdempotencyKey> = idempotency_keys::table
        .filter(idempotency_keys::merchant_id.eq(merchant_id))
        .filter(idempotency_keys::key.eq(key))
        .select(IdempotencyKey::as_select())
        .first(conn)
        .optional()?;
    match found {
        None => Ok(None),
        Some(s) if s.request_hash != hash => Err(AppError::rule(
            Code::IdempotencyConflict,
            "This idempotency key was already used for a different request.",
        )),
        Some(s) => {
            let body: Value =
                serde_json::from_str(&s.response).map_err(|e| AppError::Internal(e.into()))?;
            Ok(Some((s.status_code as u16, body)))
        }
    }
}

/// The visitor a scanned wallet card names.
pub fn card_visitor(keys: &KeyRing, text: &str) -> Result<String, AppError> {
    keys.verify_visitor_card(text)
        .map(|u| u.to_string())
        .ok_or_else(|| AppError::rule(Code::InvalidCard, "This is not a visitor's wallet card."))
}

/// The running campaign a merchant takes part in (the one named, or the latest started).
fn live_campaign(
    conn: &mut DbConn,
    merchant_id: &str,
    wanted: Option<&str>,
    t: NaiveDateTime,
) -> Result<Campaign, AppError> {
    let mut q = campaigns::table
        .inner_join(enrolments::table.on(enrolments::campaign_id.eq(campaigns::id)))
        .filter(enrolments::merchant_id.eq(merchant_id))
        .filter(enrolments::status.eq("approved"))
        .filter(campaigns::status.eq("published"))
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

/// Records a purchase scanned at the till. Returns the HTTP status and body (kept for retries:
/// the same key answers the same).
pub fn record(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: PurchaseRequest,
) -> Result<(u16, Value), AppError> {
    let visitor_id = card_visitor(keys, &req.visitor)?;
    let hash = request_hash(&req, &visitor_id);
    if let Some(prev) = stored(conn, &req.merchant_id, &req.idempotency_key, &hash)? {
        return Ok(prev);
    }
    let t = now();
    super::operations::ensure_not_suspended(conn, &req.merchant_id)?;
    let campaign = live_campaign(conn, &req.merchant_id, req.campaign.as_deref(), t)?;
    let known: i64 = visitors::table.find(&visitor_id).count().get_result(conn)?;
    if known == 0 {
        return Err(AppError::rule(
            Code::InvalidCard,
            "This wallet card belongs to no visitor here.",
        ));
    }
    let offers = caches.offers(conn, &campaign.id)?;
    let result = write_tx(conn, |conn| {
        super::visitors::lock(conn, &visitor_id)?;
        let r = record_in_tx(
            conn,
            &offers,
            &campaign.id,
            &req.merchant_id,
            &visitor_id,
            Some(&req.user_id),
            req.spend_avos,
            None,
            t,
        )?;
        let mut stamps = json!({"count": r.stamps});
        if let Some(n) = r.next_reward_at {
            stamps["next_reward_at"] = json!(n);
        }
        let body = json!({
            "purchase": purchase_view(&r.purchase),
            "stamps": stamps,
            "coupons": r.coupons.iter()
                .map(|(c, o)| views::coupon(c, Some(o), keys.coupon(&c.code), t))
                .collect::<Vec<_>>(),
        });
        diesel::insert_into(idempotency_keys::table)
            .values(IdempotencyKey {
                merchant_id: req.merchant_id.clone(),
                key: req.idempotency_key.clone(),
                request_hash: hash.clone(),
                status_code: 201,
                response: body.to_string(),
                created_at: t,
            })
            .execute(conn)?;
        Ok(body)
    });
    match result {
        Ok(body) => {
            crate::telemetry::count("bairro_purchases_total", 1);
            Ok((201, body))
        }
        Err(AppError::Conflict(e)) => {
            // The same key from a retry that committed first.
            if let Some(prev) = stored(conn, &req.merchant_id, &req.idempotency_key, &hash)? {
                return Ok(prev);
            }
            Err(AppError::Conflict(e))
        }
        Err(e) => Err(e),
    }
}

/// A visitor's stamp cards: per campaign with stamps or `purchases` offers, the stamps and
/// each offer's progress.
pub fn my_cards(conn: &mut DbConn, visitor_id: &str) -> Result<Vec<Value>, AppError> {
    let t = now();
    let stamps: Vec<PurchaseStamp> = purchase_stamps::table
        .filter(purchase_stamps::visitor_id.eq(visitor_id))
        .order(purchase_stamps::created_at.asc())
        .select(PurchaseStamp::as_select())
        .load(conn)?;
    let offers: Vec<(Offer, Campaign)> = offers::table
        .inner_join(campaigns::table.on(campaigns::id.eq(offers::campaign_id)))
        .filter(offers::trigger_type.eq("purchases"))
        .filter(campaigns::status.eq("published"))
        .filter(campaigns::ends_at.gt(t))
        .select((Offer::as_select(), Campaign::as_select()))
        .load(conn)?;
    let mut ids: Vec<String> = stamps.iter().map(|s| s.campaign_id.clone()).collect();
    ids.extend(offers.iter().map(|(o, _)| o.campaign_id.clone()));
    ids.sort();
    ids.dedup();
    let mins = min_spends(
        conn,
        &offers.iter().map(|(o, _)| o.id.clone()).collect::<Vec<_>>(),
    )?;
    let merchant_names: std::collections::HashMap<String, String> = merchants::table
        .filter(
            merchants::id.eq_any(
                stamps
                    .iter()
                    .map(|s| s.merchant_id.clone())
                    .collect::<Vec<_>>(),
            ),
        )
        .select((merchants::id, merchants::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for cid in ids {
        let camp = match offers.iter().find(|(_, c)| c.id == cid) {
            Some((_, c)) => c.clone(),
            None => super::catalog::find_campaign(conn, &cid)?,
        };
        let mine: Vec<&PurchaseStamp> = stamps.iter().filter(|s| s.campaign_id == cid).collect();
        let held: std::collections::HashMap<String, i64> = coupons::table
            .filter(coupons::visitor_id.eq(visitor_id))
            .filter(coupons::campaign_id.eq(&cid))
            .group_by(coupons::offer_id)
            .select((coupons::offer_id, diesel::dsl::count_star()))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        let progress: Vec<Value> = offers
            .iter()
            .filter(|(o, _)| o.campaign_id == cid)
            .map(|(o, _)| {
                let min = mins.get(&o.id).copied().unwrap_or(0);
                json!({
                    "offer": views::offer_brief(o),
                    "offer_id": o.id,
                    "every": o.trigger_count.unwrap_or(1),
                    "min_spend_avos": min,
                    "stamps": mine.iter().filter(|s| s.spend_avos >= min).count(),
                    "coupons": held.get(&o.id).copied().unwrap_or(0),
                    "per_visitor_limit": o.per_visitor_limit,
                })
            })
            .collect();
        out.push(json!({
            "campaign": {"id": camp.id, "slug": camp.slug, "name": crate::domain::names::Names::from_json(&camp.name)},
            "count": mine.len(),
            "stamps": mine.iter().map(|s| json!({
                "merchant_id": s.merchant_id,
                "merchant_name": merchant_names.get(&s.merchant_id).map(|n| crate::domain::names::Names::from_json(n)),
                "day": s.day,
                "spend_avos": s.spend_avos,
            })).collect::<Vec<_>>(),
            "offers": progress,
        }));
    }
    Ok(out)
}

/// What the till shows after a scan: the visitor's stamps in the merchant's running campaign.
pub fn till_view(
    conn: &mut DbConn,
    keys: &KeyRing,
    merchant_id: &str,
    card: &str,
) -> Result<Value, AppError> {
    let visitor_id = card_visitor(keys, card)?;
    let t = now();
    let campaign = live_campaign(conn, merchant_id, None, t)?;
    let count = stamp_count(conn, &campaign.id, &visitor_id, 0)?;
    let today: i64 = purchase_stamps::table
        .filter(purchase_stamps::campaign_id.eq(&campaign.id))
        .filter(purchase_stamps::visitor_id.eq(&visitor_id))
        .filter(purchase_stamps::merchant_id.eq(merchant_id))
        .filter(purchase_stamps::day.eq(macau_day(t)))
        .count()
        .get_result(conn)?;
    Ok(json!({
        "campaign_id": campaign.id,
        "stamps": {"count": count},
        "stamped_here_today": today > 0,
    }))
}

/// A merchant's recent purchases (the till's list).
pub fn list_for_merchant(
    conn: &mut DbConn,
    merchant_id: &str,
    limit: i64,
) -> Result<Vec<Value>, AppError> {
    let rows: Vec<Purchase> = purchases::table
        .filter(purchases::merchant_id.eq(merchant_id))
        .order(purchases::created_at.desc())
        .limit(limit)
        .select(Purchase::as_select())
        .load(conn)?;
    Ok(rows.iter().map(purchase_view).collect())
}

/// Per offer of a campaign: purchases and their spend (for the official's offer list).
pub fn campaign_totals(conn: &mut DbConn, campaign_id: &str) -> Result<(i64, i64, i64), AppError> {
    let rows: Vec<(i64, bool)> = purchases::table
        .filter(purchases::campaign_id.eq(campaign_id))
        .select((purchases::spend_avos, purchases::stamped))
        .load(conn)?;
    Ok((
        rows.len() as i64,
        rows.iter().map(|r| r.0).sum(),
        rows.iter().filter(|r| r.1).count() as i64,
    ))
}

/// Adds purchases to a campaign's statistics: to the funnel (`purchases`,
/// `purchase_spend_avos`) and a `purchases` block with stamps and the visitors who bought.
pub fn add_to_stats(
    conn: &mut DbConn,
    campaign_id: &str,
    r: &super::stats::Range,
    v: &mut Value,
) -> Result<(), AppError> {
    let rows: Vec<(i64, bool, String)> = purchases::table
        .filter(purchases::campaign_id.eq(campaign_id))
        .filter(purchases::day.ge(r.from))
        .filter(purchases::day.le(r.to))
        .select((
            purchases::spend_avos,
            purchases::stamped,
            purchases::visitor_id,
        ))
        .load(conn)?;
    let count = rows.len() as i64;
    let spend: i64 = rows.iter().map(|r| r.0).sum();
    let stamps = rows.iter().filter(|r| r.1).count() as i64;
    let visitors: std::collections::HashSet<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    v["funnel"]["purchases"] = json!(count);
    v["funnel"]["purchase_spend_avos"] = json!(spend);
    v["purchases"] =
        json!({"count": count, "spend_avos": spend, "stamps": stamps, "visitors": visitors.len()});
    Ok(())
}

/// Purchases over all campaigns (drafts excluded), for the overview.
pub fn add_to_overview(conn: &mut DbConn, v: &mut Value) -> Result<(), AppError> {
    let rows: Vec<i64> = purchases::table
        .inner_join(campaigns::table.on(campaigns::id.eq(purchases::campaign_id)))
        .filter(campaigns::status.ne("draft"))
        .select(purchases::spend_avos)
        .load(conn)?;
    v["purchases"] = json!(rows.len());
    v["purchase_spend_avos"] = json!(rows.iter().sum::<i64>());
    Ok(())
}

/// At verification: the `purchases` offers a visitor earned while unverified, if stock and
/// budget remain. Runs in the verification's transaction (which holds the visitor's lock).
pub fn issue_held_back(
    conn: &mut DbConn,
    visitor_id: &str,
    visitor_ref: Option<&str>,
    t: NaiveDateTime,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    let offers: Vec<Offer> = offers::table
        .inner_join(campaigns::table.on(campaigns::id.eq(offers::campaign_id)))
        .filter(offers::trigger_type.eq("purchases"))
        .filter(offers::requires_verified.eq(true))
        .filter(campaigns::status.eq("published"))
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
        let entitled = crate::domain::issuance::entitled_by_count(
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
pub fn join(conn: &mut DbConn, from: &str, into: &str) -> Result<(), AppError> {
    diesel::update(purchases::table.filter(purchases::visitor_id.eq(from)))
        .set(purchases::visitor_id.eq(into))
        .execute(conn)?;
    let theirs: Vec<PurchaseStamp> = purchase_stamps::table
        .filter(purchase_stamps::visitor_id.eq(from))
        .select(PurchaseStamp::as_select())
        .load(conn)?;
    for s in theirs {
        let mut moved = s.clone();
        moved.visitor_id = into.to_string();
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
