//! Till use cases: preview, redeem (retry-safe with an idempotency key), void, and the
//! merchant's history. The rules are in `domain::redemption` (redemption once, shop
//! eligibility, the void window) and `domain::money` (minimum spend, discount cap).

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::cache::Caches;
use crate::db::models::{Coupon, IdempotencyKey, Offer, Redemption};
use crate::db::redemptions::{self as rows, Filter, HistoryRow};
use crate::db::staff::Standing;
use crate::db::{self, write_tx, DbConn};
use crate::domain::codes;
use crate::domain::money::{self, MoneyError};
use crate::domain::names::Names;
use crate::domain::payload::{KeyRing, Payload};
use crate::domain::redemption::{self, NotEligible, Unredeemable, Unvoidable};
use crate::domain::time::{macau_day, now, to_rfc3339};
use crate::error::{AppError, Code};
use crate::types::{
    CouponStatus, LedgerKind, MerchantId, PurchaseId, RedemptionId, RedemptionStatus, UserId,
    VisitorId,
};
use crate::views;
use crate::views::redemptions::{
    DayTotal, History, HistoryItem, Preview, Redeemed, Stamps, Voided,
};

pub struct RedeemRequest {
    pub merchant_id: MerchantId,
    pub user_id: UserId,
    pub coupon: String,
    pub spend_avos: i64,
    pub idempotency_key: String,
}

fn request_hash(r: &RedeemRequest, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{code}|{}", r.spend_avos));
    data_encoding::HEXLOWER.encode(&h.finalize())
}

/// The answer to a retry with a known key. A success is replayed only while it is still true:
/// if its redemption has been voided since, the retry answers 409 `redemption_voided` with the
/// redemption as it is now (the coupon can be redeemed again, with a new key).
fn replay(
    conn: &mut DbConn,
    stored: IdempotencyKey,
    hash: &str,
) -> Result<(u16, Redeemed), AppError> {
    if stored.request_hash != hash {
        return Err(AppError::rule(
            Code::IdempotencyConflict,
            "This idempotency key was already used for a different redemption.",
        ));
    }
    let body: Redeemed =
        serde_json::from_str(&stored.response).map_err(|e| AppError::Internal(e.into()))?;
    if let Some(r) =
        rows::find(conn, &body.redemption.id)?.filter(|r| r.status == RedemptionStatus::Void)
    {
        return Err(AppError::rule_with(
            Code::RedemptionVoided,
            "The redemption made with this idempotency key has been voided; the coupon can be redeemed again with a new key.",
            json!({"redemption": views::redemptions::Redemption::from(&r)}),
        ));
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

/// The till's one read (`rows::at_till`): the account's standing, passed to `check` first
/// (so a refused account is told so whatever it sent), then the coupon's code read from the
/// scanned or typed text, and the coupon with its offer and the merchant's suspension.
fn read_till(
    conn: &mut DbConn,
    keys: &KeyRing,
    text: &str,
    merchant_id: &MerchantId,
    user_id: &UserId,
    check: impl FnOnce(Option<Standing>) -> Result<(), AppError>,
) -> Result<(String, rows::AtTill), AppError> {
    let code = coupon_code(keys, text);
    let till = rows::at_till(
        conn,
        code.as_deref().unwrap_or_default(),
        merchant_id,
        user_id,
    )?;
    check(till.standing.clone())?;
    Ok((code?, till))
}

fn already_redeemed(
    conn: &mut DbConn,
    coupon: &Coupon,
    merchant_id: &MerchantId,
) -> Result<AppError, AppError> {
    let prev = rows::live_of_coupon(conn, &coupon.id)?;
    let extra = match &prev {
        Some((r, name)) => {
            let mut v = json!({
                "redeemed_at": to_rfc3339(r.created_at),
                "merchant_name": Names::from_json(name),
                "same_merchant": r.merchant_id == *merchant_id,
            });
            if r.merchant_id == *merchant_id {
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

/// Why the coupon cannot be redeemed now (redemption once, expiry, cancellation), if so.
fn refusal(
    conn: &mut DbConn,
    c: &Coupon,
    merchant_id: &MerchantId,
    t: chrono::NaiveDateTime,
) -> Result<Option<AppError>, AppError> {
    Ok(match redemption::redeemable(c.effective_status(t)) {
        Ok(()) => None,
        Err(Unredeemable::AlreadyRedeemed) => Some(already_redeemed(conn, c, merchant_id)?),
        Err(Unredeemable::Expired) => Some(AppError::rule_with(
            Code::CouponExpired,
            "This coupon has expired.",
            json!({"expired_at": to_rfc3339(c.expires_at)}),
        )),
        Err(Unredeemable::Void) => Some(AppError::rule(
            Code::CouponVoid,
            "This coupon has been cancelled.",
        )),
    })
}

/// What a coupon takes off a spend at this merchant, or why it cannot be used here.
#[allow(clippy::too_many_arguments)]
fn quote(
    conn: &mut DbConn,
    caches: &Caches,
    merchant_id: &MerchantId,
    suspended: bool,
    coupon: &Coupon,
    offer: &Offer,
    spend_avos: i64,
) -> Result<money::Applied, AppError> {
    if suspended {
        return Err(db::operations::merchant_suspended());
    }
    let shop = caches.shop(conn, merchant_id, &coupon.campaign_id)?;
    let (merchant, enrolled) = &*shop;
    let cats = offer.categories();
    match redemption::merchant_eligible(*enrolled, &merchant.category, &cats) {
        Ok(()) => {}
        Err(NotEligible::NotInCampaign) => {
            return Err(AppError::rule(
                Code::MerchantNotEligible,
                "This shop does not take part in the coupon's campaign.",
            ))
        }
        Err(NotEligible::Category) => {
            return Err(AppError::rule_with(
                Code::MerchantNotEligible,
                "This coupon cannot be used in this kind of shop.",
                json!({"eligible_categories": cats}),
            ))
        }
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

fn not_found() -> AppError {
    AppError::rule(Code::CouponNotFound, "No coupon has this code.")
}

/// Checks a coupon for a spend without redeeming it: what the cashier sees before confirming.
#[allow(clippy::too_many_arguments)]
pub fn preview(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    merchant_id: &MerchantId,
    user_id: &UserId,
    check: impl FnOnce(Option<Standing>) -> Result<(), AppError>,
    coupon_text: &str,
    spend_avos: i64,
) -> Result<Preview, AppError> {
    let (_, till) = read_till(conn, keys, coupon_text, merchant_id, user_id, check)?;
    let t = now();
    let suspended = till.suspended_at;
    let (coupon, offer) = till.found.ok_or_else(not_found)?;
    if let Some(e) = refusal(conn, &coupon, merchant_id, t)? {
        return Err(e);
    }
    let applied = quote(
        conn,
        caches,
        merchant_id,
        suspended.is_some(),
        &coupon,
        &offer,
        spend_avos,
    )?;
    Ok(Preview {
        coupon: views::coupons::Coupon::of(&coupon, Some(&offer), keys.coupon(&coupon.code), t),
        spend_avos,
        discount_avos: applied.discount_avos,
        ecash_avos: applied.ecash_avos,
        to_pay_avos: spend_avos - applied.discount_avos,
        min_spend_avos: offer.min_spend_avos,
        max_discount_avos: (offer.max_discount_avos > 0).then_some(offer.max_discount_avos),
        capped: money::capped(offer.value(), spend_avos),
        expires_at: to_rfc3339(coupon.expires_at),
    })
}

/// Redeems a coupon for a merchant. Returns the HTTP status and the answer (stored for
/// retries). A retry with a used key never redeems twice: its transaction meets the key's row
/// and rolls back, and the stored answer is returned (so no look-up is needed before the work).
/// The standing of the account at the till is read with the coupon and passed to `check`
/// before anything else.
pub fn redeem(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: RedeemRequest,
    check: impl FnOnce(Option<Standing>) -> Result<(), AppError>,
) -> Result<(u16, Redeemed), AppError> {
    let (code, till) = read_till(
        conn,
        keys,
        &req.coupon,
        &req.merchant_id,
        &req.user_id,
        check,
    )?;
    let hash = request_hash(&req, &code);
    let t = now();
    let suspended = till.suspended_at;
    let Some((coupon, offer)) = till.found else {
        if let Some(stored) = rows::stored_answer(conn, &req.merchant_id, &req.idempotency_key)? {
            return replay(conn, stored, &hash);
        }
        return Err(not_found());
    };
    if let Some(e) = refusal(conn, &coupon, &req.merchant_id, t)? {
        // A retry whose first attempt committed a moment ago gets that first answer.
        if let Some(stored) = rows::stored_answer(conn, &req.merchant_id, &req.idempotency_key)? {
            return replay(conn, stored, &hash);
        }
        return Err(e);
    }
    let applied = quote(
        conn,
        caches,
        &req.merchant_id,
        suspended.is_some(),
        &coupon,
        &offer,
        req.spend_avos,
    )?;
    let redemption = Redemption {
        id: RedemptionId::generate(),
        coupon_id: coupon.id.clone(),
        offer_id: offer.id.clone(),
        campaign_id: coupon.campaign_id.clone(),
        merchant_id: req.merchant_id.clone(),
        user_id: req.user_id.clone(),
        spend_avos: req.spend_avos,
        discount_avos: applied.discount_avos,
        ecash_avos: applied.ecash_avos,
        status: RedemptionStatus::Done,
        day: macau_day(t),
        created_at: t,
        voided_at: None,
        ref_: coupon.ref_.clone(),
        settlement_id: None,
    };
    let offers = caches.offers(conn, &coupon.campaign_id)?;
    let answer = |stamps: i64, earned: &[(Coupon, Offer)]| {
        let mut c = coupon.clone();
        c.status = CouponStatus::Redeemed;
        Redeemed {
            redemption: views::redemptions::Redemption::from(&redemption),
            discount_avos: redemption.discount_avos,
            coupon: views::coupon(&c, Some(&offer), keys.coupon(&c.code), t),
            stamps: Stamps { count: stamps },
            coupons: earned
                .iter()
                .map(|(c, o)| views::coupon(c, Some(o), keys.coupon(&c.code), t))
                .collect(),
        }
    };
    let writing = Writing {
        redemption: &redemption,
        visitor_id: &coupon.visitor_id,
        offers: &offers,
        key: &req.idempotency_key,
        request_hash: &hash,
    };
    let result = write(conn, &writing, answer, |body, stamps| {
        body.stamps.count = stamps
    });
    match result {
        Ok(body) => {
            crate::telemetry::count("bairro_redemptions_total", 1);
            Ok((201, body))
        }
        Err(AppError::Conflict(_)) => {
            // Lost a race: the same key from a retry, or another till with the same coupon.
            if let Some(stored) = rows::stored_answer(conn, &req.merchant_id, &req.idempotency_key)?
            {
                return replay(conn, stored, &hash);
            }
            let fresh = db::coupons::find(conn, &coupon.id)?;
            Err(refusal(conn, &fresh, &req.merchant_id, now())?
                .unwrap_or_else(|| AppError::Unavailable("busy; try again".into())))
        }
        Err(e) => Err(e),
    }
}

/// A redemption to write, with what its rows need besides: the visitor (the purchase's
/// stamp), the campaign's offers (a `purchases` offer may pay out) and the idempotency key.
pub struct Writing<'a> {
    pub redemption: &'a Redemption,
    pub visitor_id: &'a VisitorId,
    pub offers: &'a [Offer],
    pub key: &'a str,
    pub request_hash: &'a str,
}

/// Writes a judged redemption: the coupon taken (`issued → redeemed`, unexpired), the
/// redemption, its ledger row, the visitor's purchase with the day's stamp at the shop (and
/// what a `purchases` offer pays out), and the till's answer under its idempotency key, all
/// or nothing. `answer` builds the answer from the visitor's stamps and the coupons the
/// purchase earned; `restamp` sets the stamps in an answer built before they were counted.
/// On PostgreSQL, when no offer pays out for purchases, this is one statement
/// (`rows::redeem_at_once`); otherwise one write transaction. `AppError::Conflict` with
/// nothing written when the coupon had changed; a used key fails on its unique key.
pub fn write<T: serde::Serialize>(
    conn: &mut DbConn,
    w: &Writing<'_>,
    answer: impl FnOnce(i64, &[(Coupon, Offer)]) -> T,
    restamp: impl FnOnce(&mut T, i64),
) -> Result<T, AppError> {
    let r = w.redemption;
    let stored = |body: &T| -> Result<IdempotencyKey, AppError> {
        Ok(IdempotencyKey {
            merchant_id: r.merchant_id.clone(),
            key: w.key.to_string(),
            request_hash: w.request_hash.to_string(),
            status_code: 201,
            response: serde_json::to_string(body).map_err(|e| AppError::Internal(e.into()))?,
            created_at: r.created_at,
        })
    };
    let changed = || AppError::Conflict("coupon changed".into());
    let pays = db::purchases::paying(w.offers, &r.campaign_id)
        .next()
        .is_some();
    match conn {
        DbConn::Pg(pg) if !pays => {
            let mut body = answer(0, &[]);
            let stamps = rows::redeem_at_once(
                pg,
                &rows::AtOnce {
                    redemption: r,
                    visitor_id: w.visitor_id,
                    purchase_id: &PurchaseId::generate(),
                    answer: &stored(&body)?,
                },
            )?
            .ok_or_else(changed)?;
            db::ledger::left_pending();
            restamp(&mut body, stamps);
            Ok(body)
        }
        _ => write_tx(conn, |conn| {
            // The visitor first (as every issuing path does): the purchase may pay out.
            db::visitors::lock(conn, w.visitor_id)?;
            if !rows::redeem_coupon(conn, r)? {
                return Err(changed());
            }
            db::ledger::append(
                conn,
                &r.campaign_id,
                LedgerKind::Redeem,
                db::ledger::Refs {
                    offer: Some(&r.offer_id),
                    coupon: Some(&r.coupon_id),
                    redemption: Some(&r.id),
                    merchant: Some(&r.merchant_id),
                    ..Default::default()
                },
                r.ecash_avos,
                r.created_at,
            )?;
            let purchase = db::purchases::record_in_tx(
                conn,
                w.offers,
                &r.campaign_id,
                &r.merchant_id,
                w.visitor_id,
                Some(&r.user_id),
                r.spend_avos,
                Some(&r.id),
                r.created_at,
            )?;
            let body = answer(purchase.stamps, &purchase.coupons);
            rows::store_answer(conn, &stored(&body)?)?;
            Ok(body)
        }),
    }
}

fn window_passed(r: &Redemption, detail: String) -> AppError {
    AppError::rule_with(
        Code::VoidWindowPassed,
        detail,
        json!({"void_until": to_rfc3339(redemption::void_until(r.created_at))}),
    )
}

fn already_void() -> AppError {
    AppError::rule(Code::AlreadyVoid, "This redemption was already undone.")
}

/// Undoes a redemption within the void window; the coupon can be used again.
pub fn void(
    conn: &mut DbConn,
    keys: &KeyRing,
    redemption_id: &RedemptionId,
    merchant_id: &MerchantId,
) -> Result<Voided, AppError> {
    let r = rows::find_at(conn, redemption_id, merchant_id)?
        .ok_or_else(|| AppError::NotFound("no such redemption at this shop".into()))?;
    let t = now();
    match redemption::can_void(
        r.status == RedemptionStatus::Void,
        r.created_at,
        t,
        r.settlement_id.is_some(),
    ) {
        Ok(()) => {}
        Err(Unvoidable::AlreadyVoid) => return Err(already_void()),
        Err(Unvoidable::WindowPassed) => {
            return Err(window_passed(
                &r,
                format!(
                    "A redemption can only be undone within {} minutes.",
                    redemption::VOID_WINDOW.num_minutes()
                ),
            ))
        }
    }
    write_tx(conn, |conn| {
        if !rows::mark_void(conn, &r.id, t)? {
            // A settlement run claimed it meanwhile: on a statement, it can no longer be undone.
            if rows::settlement_of(conn, &r.id)?.is_some() {
                return Err(window_passed(
                    &r,
                    "This redemption is already on a settlement statement.".into(),
                ));
            }
            return Err(already_void());
        }
        rows::give_back_coupon(conn, &r.coupon_id)?;
        db::ledger::append(
            conn,
            &r.campaign_id,
            LedgerKind::Void,
            db::ledger::Refs {
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
    after.status = RedemptionStatus::Void;
    after.voided_at = Some(t);
    let coupon = db::coupons::find(conn, &r.coupon_id)?;
    let offer = db::catalog::find_offer(conn, &r.offer_id)?;
    Ok(Voided {
        redemption: views::redemptions::Redemption::from(&after),
        coupon: views::coupons::Coupon::of(&coupon, Some(&offer), keys.coupon(&coupon.code), t),
    })
}

fn history_item((r, code, offer): &HistoryRow) -> HistoryItem {
    HistoryItem {
        redemption: views::redemptions::Redemption::from(r),
        coupon_code: codes::display(code),
        offer_name: Names::from_json(offer),
        day: r.day.to_string(),
    }
}

/// A page of a merchant's redemptions with the totals of its days and of today.
pub fn history(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    f: &Filter,
) -> Result<History, AppError> {
    let (rows, total) = rows::list_for_merchant(conn, merchant_id, f)?;
    let mut on_page: Vec<NaiveDate> = rows.iter().map(|r| r.0.day).collect();
    on_page.dedup();
    let days = rows::day_totals(conn, merchant_id, f.campaign_id.as_ref(), &on_page)?;
    let today = rows::today_totals(conn, merchant_id)?;
    // `page` counts from 0; `pages` says how many there are.
    let pages = (total + f.per_page - 1) / f.per_page;
    Ok(History {
        items: rows.iter().map(history_item).collect(),
        total,
        page: f.page,
        per_page: f.per_page,
        pages,
        days: days
            .into_iter()
            .map(|(d, count, discount_avos, spend_avos)| DayTotal {
                day: d.to_string(),
                count,
                discount_avos,
                spend_avos,
            })
            .collect(),
        today_count: today.0,
        today_discount_avos: today.1,
        today_spend_avos: today.2,
    })
}

/// Every redemption of a merchant matching the filter (for the CSV export).
pub fn export(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    f: &Filter,
) -> Result<Vec<HistoryRow>, AppError> {
    Ok(rows::list_for_merchant(conn, merchant_id, f)?.0)
}
