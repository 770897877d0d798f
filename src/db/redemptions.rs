//! Redemption at the till and its undo. Exactly once per coupon: the coupon moves
//! `issued → redeemed` by one conditional update, and a partial unique index allows one
//! live redemption per coupon. Retries are answered from the idempotency table.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::cache::Caches;
use super::catalog::new_id;
use super::models::*;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::money::{self, MoneyError};
use crate::domain::payload::{KeyRing, Payload};
use crate::domain::redemption;
use crate::domain::time::{macau_day, now, to_rfc3339};
use crate::domain::{codes, names::Names};
use crate::error::{AppError, Code};
use crate::views;

pub struct RedeemRequest {
    pub merchant_id: String,
    pub user_id: String,
    pub coupon: String,
    pub spend_avos: i64,
    pub idempotency_key: String,
}

fn request_hash(r: &RedeemRequest, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{code}|{}", r.spend_avos));
    data_encoding::HEXLOWER.encode(&h.finalize())
}

fn stored_answer(
    conn: &mut DbConn,
    merchant_id: &str,
    key: &str,
) -> Result<Option<IdempotencyKey>, AppError> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::merchant_id.eq(merchant_id))
        .filter(idempotency_keys::key.eq(key))
        .select(IdempotencyKey::as_select())
        .first(conn)
        .optional()?)
}

/// The answer to a retry with a known key. A success is replayed only while it is still true:
/// if its redemption has been voided since, the retry answers 409 `redemption_voided` with the
/// redemption as it is now (the coupon can be redeemed again, with a new key).
fn replay(conn: &mut DbConn, stored: IdempotencyKey, hash: &str) -> Result<(u16, Value), AppError> {
    if stored.request_hash != hash {
        return Err(AppError::rule(
            Code::IdempotencyConflict,
            "This idempotency key was already used for a different redemption.",
        ));
    }
    let body: Value =
        serde_json::from_str(&stored.response).map_err(|e| AppError::Internal(e.into()))?;
    if let Some(id) = body["redemption"]["id"].as_str() {
        let now_row: Option<Redemption> = redemptions::table
            .find(id)
            .select(Redemption::as_select())
            .first(conn)
            .optional()?;
        if let Some(r) = now_row.filter(|r| r.status == "void") {
            return Err(AppError::rule_with(
 Code::RedemptionVoided,
                "The redemption made with this idempotency key has been voided; the coupon can be redeemed again with a new key.",
                json!({"redemption": views::redemption(&r)}),
            ));
        }
    }
    Ok((stored.status_code as u16, body))
}

/// Reads the coupon from a scanned QR text or a typed code.
pub fn coupon_code(keys: &KeyRing, text: &str) -> Result<String, AppError> {
    match keys.verify(text) {
        Ok(Payload::Coupon { code }) => Ok(code),
        Ok(_) => Err(AppError::rule(
            Code::InvalidCoupon,
            "This is a check-in code, not a coupon.",
        )),
        Err(_) => codes::normalise(text)
            .ok_or_else(|| AppError::rule(Code::InvalidCoupon, "This is not a valid coupon code.")),
    }
}

fn already_redeemed(
    conn: &mut DbConn,
    coupon_id: &str,
    merchant_id: &str,
) -> Result<AppError, AppError> {
    let prev: Option<(Redemption, String)> = redemptions::table
        .inner_join(merchants::table.on(merchants::id.eq(redemptions::merchant_id)))
        .filter(redemptions::coupon_id.eq(coupon_id))
        .filter(redemptions::status.eq("done"))
        .select((Redemption::as_select(), merchants::name))
        .first(conn)
        .optional()?;
    let extra = match &prev {
        Some((r, name)) => {
            let mut v = json!({
                "redeemed_at": to_rfc3339(r.created_at),
                "merchant_name": Names::from_json(name),
                "same_merchant": r.merchant_id == merchant_id,
            });
            if r.merchant_id == merchant_id {
                v["redemption_id"] = json!(r.id);
            }
            v
        }
        None => json!({}),
    };
    let detail = match &prev {
        Some((r, name)) => format!(
            "This coupon was already redeemed on {} at {}.",
            to_rfc3339(r.created_at),
            Names::from_json(name).zh_hant
        ),
        None => "This coupon was already redeemed.".into(),
    };
    Ok(AppError::rule_with(Code::AlreadyRedeemed, detail, extra))
}

fn coupon_state_error(
    conn: &mut DbConn,
    c: &Coupon,
    merchant_id: &str,
    t: NaiveDateTime,
) -> Result<Option<AppError>, AppError> {
    Ok(match c.effective_status(t) {
        "redeemed" => Some(already_redeemed(conn, &c.id, merchant_id)?),
        "expired" => Some(AppError::rule_with(
            Code::CouponExpired,
            "This coupon has expired.",
            json!({"expired_at": to_rfc3339(c.expires_at)}),
        )),
        "void" => Some(AppError::rule(
            Code::CouponVoid,
            "This coupon has been cancelled.",
        )),
        _ => None,
    })
}

/// Redeems a coupon for a merchant. Returns the HTTP status and body (stored for retries).
/// What a coupon takes off a spend at this merchant, or why it cannot be used here.
fn quote(
    conn: &mut DbConn,
    caches: &Caches,
    merchant_id: &str,
    coupon: &Coupon,
    offer: &Offer,
    spend_avos: i64,
) -> Result<money::Applied, AppError> {
    super::operations::ensure_not_suspended(conn, merchant_id)?;
    let shop = caches.shop(conn, merchant_id, &coupon.campaign_id)?;
    let (merchant, enrolled) = &*shop;
    let cats = offer.categories();
    if enrolled.as_deref() != Some("approved") {
        return Err(AppError::rule(
            Code::MerchantNotEligible,
            "This shop does not take part in the coupon's campaign.",
        ));
    }
    if !cats.is_empty() && !cats.contains(&merchant.category) {
        return Err(AppError::rule_with(
            Code::MerchantNotEligible,
            "This coupon cannot be used in this kind of shop.",
            json!({"eligible_categories": cats}),
        ));
    }
    money::apply(offer.value(), spend_avos).map_err(|e| match e {
        MoneyError::MinSpendNotMet { min_spend_avos } => AppError::rule_with(
            Code::MinSpendNotMet,
            format!(
                "This coupon needs a spend of at least MOP {}.",
                money::mop(min_spend_avos)
            ),
            json!({"min_spend_avos": min_spend_avos, "spend_avos": spend_avos,
                   "short_avos": min_spend_avos - spend_avos}),
        ),
        MoneyError::NegativeSpend => AppError::field("spend_avos", "must not be negative"),
    })
}

/// Checks a coupon for a spend without redeeming it: what the cashier sees before confirming.
pub fn preview(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    merchant_id: &str,
    coupon_text: &str,
    spend_avos: i64,
) -> Result<Value, AppError> {
    let code = coupon_code(keys, coupon_text)?;
    let t = now();
    let (coupon, offer): (Coupon, Offer) = coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::code.eq(&code))
        .select((Coupon::as_select(), Offer::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::rule(Code::CouponNotFound, "No coupon has this code."))?;
    if let Some(e) = coupon_state_error(conn, &coupon, merchant_id, t)? {
        return Err(e);
    }
    let applied = quote(conn, caches, merchant_id, &coupon, &offer, spend_avos)?;
    // Whether a percent discount hit its cap (the till says so, with the cap).
    let capped = offer.kind == "discount"
        && offer.max_discount_avos > 0
        && spend_avos * i64::from(offer.percent_off) / 100 > offer.max_discount_avos;
    Ok(json!({
        "coupon": views::coupon(&coupon, Some(&offer), keys.coupon(&coupon.code), t),
        "spend_avos": spend_avos,
        "discount_avos": applied.discount_avos,
        "ecash_avos": applied.ecash_avos,
        "to_pay_avos": spend_avos - applied.discount_avos,
        "min_spend_avos": offer.min_spend_avos,
        "max_discount_avos": (offer.max_discount_avos > 0).then_some(offer.max_discount_avos),
        "capped": capped,
        "expires_at": to_rfc3339(coupon.expires_at),
    }))
}

/// A retry with a used key never redeems twice: its transaction meets the key's row and rolls
/// back, and the stored answer is returned (so no look-up is needed before the work).
pub fn redeem(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: RedeemRequest,
) -> Result<(u16, Value), AppError> {
    let code = coupon_code(keys, &req.coupon)?;
    let hash = request_hash(&req, &code);
    let t = now();
    let found: Option<(Coupon, Offer)> = coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::code.eq(&code))
        .select((Coupon::as_select(), Offer::as_select()))
        .first(conn)
        .optional()?;
    let Some((coupon, offer)) = found else {
        if let Some(stored) = stored_answer(conn, &req.merchant_id, &req.idempotency_key)? {
            return replay(conn, stored, &hash);
        }
        return Err(AppError::rule(
            Code::CouponNotFound,
            "No coupon has this code.",
        ));
    };
    if let Some(e) = coupon_state_error(conn, &coupon, &req.merchant_id, t)? {
        // A retry whose first attempt committed a moment ago gets that first answer.
        if let Some(stored) = stored_answer(conn, &req.merchant_id, &req.idempotency_key)? {
            return replay(conn, stored, &hash);
        }
        return Err(e);
    }
    let applied = quote(
        conn,
        caches,
        &req.merchant_id,
        &coupon,
        &offer,
        req.spend_avos,
    )?;
    let redemption = Redemption {
        id: new_id(),
        coupon_id: coupon.id.clone(),
        offer_id: offer.id.clone(),
        campaign_id: coupon.campaign_id.clone(),
        merchant_id: req.merchant_id.clone(),
        user_id: req.user_id.clone(),
        spend_avos: req.spend_avos,
        discount_avos: applied.discount_avos,
        ecash_avos: applied.ecash_avos,
        status: "done".into(),
        day: macau_day(t),
        created_at: t,
        voided_at: None,
        ref_: coupon.ref_.clone(),
        settlement_id: None,
    };
    let offers = caches.offers(conn, &coupon.campaign_id)?;
    let result = write_tx(conn, |conn| {
        // The visitor first (as every issuing path does): the redemption is also a purchase.
        super::visitors::lock(conn, &coupon.visitor_id)?;
        let moved = diesel::update(
            coupons::table
                .find(&coupon.id)
                .filter(coupons::status.eq("issued"))
                .filter(coupons::expires_at.gt(t)),
        )
        .set(coupons::status.eq("redeemed"))
        .execute(conn)?;
        if moved == 0 {
            return Err(AppError::Conflict("coupon changed".into()));
        }
        diesel::insert_into(redemptions::table)
            .values(&redemption)
            .execute(conn)?;
        super::ledger::append(
            conn,
            &redemption.campaign_id,
            "redeem",
            super::ledger::Refs {
                offer: Some(&offer.id),
                coupon: Some(&coupon.id),
                redemption: Some(&redemption.id),
                merchant: Some(&redemption.merchant_id),
                ..Default::default()
            },
            redemption.ecash_avos,
            t,
        )?;
        let purchase = super::purchases::record_in_tx(
            conn,
            &offers,
            &redemption.campaign_id,
            &redemption.merchant_id,
            &coupon.visitor_id,
            Some(&redemption.user_id),
            redemption.spend_avos,
            Some(&redemption.id),
            t,
        )?;
        let mut c = coupon.clone();
        c.status = "redeemed".into();
        let body = json!({
            "redemption": views::redemption(&redemption),
            "discount_avos": redemption.discount_avos,
            "coupon": views::coupon(&c, Some(&offer), keys.coupon(&c.code), t),
            "stamps": {"count": purchase.stamps},
            "coupons": purchase.coupons.iter()
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
            crate::telemetry::count("bairro_redemptions_total", 1);
            Ok((201, body))
        }
        Err(AppError::Conflict(_)) => {
            // Lost a race: the same key from a retry, or another till with the same coupon.
            if let Some(stored) = stored_answer(conn, &req.merchant_id, &req.idempotency_key)? {
                return replay(conn, stored, &hash);
            }
            let fresh = super::coupons::find(conn, &coupon.id)?;
            Err(coupon_state_error(conn, &fresh, &req.merchant_id, now())?
                .unwrap_or_else(|| AppError::Unavailable("busy; try again".into())))
        }
        Err(e) => Err(e),
    }
}

/// Undoes a redemption within the void window; the coupon can be used again.
pub fn void(
    conn: &mut DbConn,
    redemption_id: &str,
    merchant_id: &str,
    keys: &KeyRing,
) -> Result<Value, AppError> {
    let r: Redemption = redemptions::table
        .find(redemption_id)
        .filter(redemptions::merchant_id.eq(merchant_id))
        .select(Redemption::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such redemption at this shop".into()))?;
    let t = now();
    if r.status == "void" {
        return Err(AppError::rule(
            Code::AlreadyVoid,
            "This redemption was already undone.",
        ));
    }
    if !redemption::voidable(r.created_at, t, r.settlement_id.is_some()) {
        return Err(AppError::rule_with(
            Code::VoidWindowPassed,
            format!(
                "A redemption can only be undone within {} minutes.",
                redemption::VOID_WINDOW.num_minutes()
            ),
            json!({"void_until": to_rfc3339(redemption::void_until(r.created_at))}),
        ));
    }
    write_tx(conn, |conn| {
        let n = diesel::update(
            redemptions::table
                .find(&r.id)
                .filter(redemptions::status.eq("done"))
                .filter(redemptions::settlement_id.is_null()),
        )
        .set((
            redemptions::status.eq("void"),
            redemptions::voided_at.eq(Some(t)),
        ))
        .execute(conn)?;
        if n == 0 {
            // A settlement run claimed it meanwhile: on a statement, it can no longer be undone.
            let settled: Option<String> = redemptions::table
                .find(&r.id)
                .select(redemptions::settlement_id)
                .first(conn)?;
            if settled.is_some() {
                return Err(AppError::rule_with(
                    Code::VoidWindowPassed,
                    "This redemption is already on a settlement statement.",
                    json!({"void_until": to_rfc3339(redemption::void_until(r.created_at))}),
                ));
            }
            return Err(AppError::rule(
                Code::AlreadyVoid,
                "This redemption was already undone.",
            ));
        }
        diesel::update(
            coupons::table
                .find(&r.coupon_id)
                .filter(coupons::status.eq("redeemed")),
        )
        .set(coupons::status.eq("issued"))
        .execute(conn)?;
        super::ledger::append(
            conn,
            &r.campaign_id,
            "void",
            super::ledger::Refs {
                offer: Some(&r.offer_id),
                coupon: Some(&r.coupon_id),
                redemption: Some(&r.id),
                merchant: Some(&r.merchant_id),
                ..Default::default()
            },
            r.ecash_avos,
            t,
        )?;
        Ok(())
    })?;
    let mut after = r.clone();
    after.status = "void".into();
    after.voided_at = Some(t);
    let coupon = super::coupons::find(conn, &r.coupon_id)?;
    let offer = super::catalog::find_offer(conn, &r.offer_id)?;
    Ok(json!({
        "redemption": views::redemption(&after),
        "coupon": views::coupon(&coupon, Some(&offer), keys.coupon(&coupon.code), t),
    }))
}

#[derive(Debug, Default)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub campaign_id: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

/// A redemption with its coupon's code and its offer's name (JSON names).
pub type HistoryRow = (Redemption, String, String);

pub fn list_for_merchant(
    conn: &mut DbConn,
    merchant_id: &str,
    f: &Filter,
) -> Result<(Vec<HistoryRow>, i64), AppError> {
    let build = || {
        let mut q = redemptions::table
            .inner_join(coupons::table.on(coupons::id.eq(redemptions::coupon_id)))
            .inner_join(offers::table.on(offers::id.eq(redemptions::offer_id)))
            .filter(redemptions::merchant_id.eq(merchant_id.to_string()))
            .into_boxed();
        if let Some(d) = f.from {
            q = q.filter(redemptions::day.ge(d));
        }
        if let Some(d) = f.to {
            q = q.filter(redemptions::day.le(d));
        }
        if let Some(c) = &f.campaign_id {
            q = q.filter(redemptions::campaign_id.eq(c.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order(redemptions::created_at.desc())
        .limit(f.per_page)
        .offset(f.page.max(0) * f.per_page)
        .select((Redemption::as_select(), coupons::code, offers::name))
        .load(conn)?;
    Ok((rows, total))
}

/// Per Macau day: the count, discount and spend of a merchant's live (not undone)
/// redemptions on the given days, within the filter's campaign.
pub fn day_totals(
    conn: &mut DbConn,
    merchant_id: &str,
    campaign_id: Option<&str>,
    days: &[NaiveDate],
) -> Result<Vec<(NaiveDate, i64, i64, i64)>, AppError> {
    if days.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = redemptions::table
        .filter(redemptions::merchant_id.eq(merchant_id.to_string()))
        .filter(redemptions::status.eq("done"))
        .filter(redemptions::day.eq_any(days.to_vec()))
        .into_boxed();
    if let Some(c) = campaign_id {
        q = q.filter(redemptions::campaign_id.eq(c.to_string()));
    }
    let rows: Vec<(NaiveDate, i64, i64)> = q
        .select((
            redemptions::day,
            redemptions::discount_avos,
            redemptions::spend_avos,
        ))
        .load(conn)?;
    let mut by_day: std::collections::BTreeMap<NaiveDate, (i64, i64, i64)> = Default::default();
    for (d, disc, spend) in rows {
        let e = by_day.entry(d).or_default();
        e.0 += 1;
        e.1 += disc;
        e.2 += spend;
    }
    Ok(by_day
        .into_iter()
        .rev()
        .map(|(d, (n, disc, spend))| (d, n, disc, spend))
        .collect())
}

/// Today's (Macau day) count and discount total of a merchant's live redemptions.
pub fn today_totals(conn: &mut DbConn, merchant_id: &str) -> Result<(i64, i64, i64), AppError> {
    let rows: Vec<(i64, i64)> = redemptions::table
        .filter(redemptions::merchant_id.eq(merchant_id))
        .filter(redemptions::day.eq(macau_day(now())))
        .filter(redemptions::status.eq("done"))
        .select((redemptions::discount_avos, redemptions::spend_avos))
        .load(conn)?;
    Ok((
        rows.len() as i64,
        rows.iter().map(|r| r.0).sum(),
        rows.iter().map(|r| r.1).sum(),
    ))
}
