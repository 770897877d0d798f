//! Coupon use cases on the visitor's side: first-come-first-served claims and the wallet.

use crate::db::cache::Caches;
use crate::db::{coupons, visitors, walk, write_tx, DbConn};
use crate::domain::issuance::{self, NotIssued};
use crate::domain::payload::KeyRing;
use crate::domain::time::{now, to_rfc3339};
use crate::error::{AppError, Code};
use crate::types::{CampaignStatus, CouponId, CouponStatus, OfferId, TriggerType, VisitorId};
use crate::views::coupons::{Coupon, Spent};

/// First come, first served: claims a coupon of a `claim` offer (`POST /offers/{id}/claim`).
pub fn claim(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    offer_id: &OfferId,
    visitor_id: &VisitorId,
    visitor_ref: Option<&str>,
) -> Result<Coupon, AppError> {
    let t = now();
    let found = caches.offer(conn, offer_id)?;
    let (offer, campaign) = found
        .as_deref()
        .ok_or_else(|| AppError::NotFound("no such offer".into()))?;
    if offer.trigger_type != TriggerType::Claim {
        return Err(AppError::rule(
            Code::NotOpen,
            "This offer is earned, not claimed.",
        ));
    }
    if campaign.status != CampaignStatus::Published
        || t < campaign.starts_at
        || t >= campaign.ends_at
    {
        return Err(AppError::rule(
            Code::CampaignNotActive,
            "This campaign is not running at the moment.",
        ));
    }
    if let Some(opens) = offer.opens_at {
        if t < opens {
            return Err(AppError::rule_with(
                Code::NotOpen,
                "This offer is not open yet.",
                serde_json::json!({"opens_at": to_rfc3339(opens)}),
            ));
        }
    }
    if offer.valid_until <= t {
        return Err(NotIssued::Closed.error());
    }
    if offer.requires_verified && !visitors::is_verified(conn, visitor_id)? {
        return Err(AppError::rule(
            Code::VerificationRequired,
            "Confirm your phone number or e-mail first: this coupon is one per person.",
        ));
    }
    if !issuance::in_stock(offer.issued, offer.stock) {
        // Sold out: answer without a write transaction (the storm's fast path).
        let held = coupons::held(conn, &offer.id, visitor_id)?;
        let why = issuance::claim_refusal(
            offer.issued,
            offer.stock,
            Some(held),
            offer.per_visitor_limit,
        )
        .unwrap_or(NotIssued::SoldOut);
        return Err(why.error());
    }
    let result = write_tx(conn, |conn| {
        visitors::lock(conn, visitor_id)?;
        let held = coupons::held(conn, &offer.id, visitor_id)?;
        if !issuance::within_limit(held, offer.per_visitor_limit) {
            return Err(NotIssued::LimitReached.error());
        }
        coupons::issue_one(
            conn,
            offer,
            visitor_id,
            (held + 1) as i32,
            t,
            None,
            visitor_ref,
        )?
        .map_err(NotIssued::error)
    });
    match result {
        Ok(c) => {
            crate::telemetry::count("bairro_coupons_claimed_total", 1);
            Ok(Coupon::of(&c, Some(offer), keys.coupon(&c.code), now()))
        }
        // The same seq taken by a concurrent claim of the same visitor.
        Err(AppError::Conflict(_)) => Err(NotIssued::LimitReached.error()),
        Err(e) => Err(e),
    }
}

/// The visitor's coupons, latest first, with where each spent one was spent
/// (`GET /me/coupons`).
pub fn wallet(
    conn: &mut DbConn,
    keys: &KeyRing,
    visitor_id: &VisitorId,
) -> Result<Vec<Coupon>, AppError> {
    let rows = coupons::of_visitor(conn, visitor_id)?;
    let ids: Vec<String> = rows
        .iter()
        .filter(|(c, _)| c.status == CouponStatus::Redeemed)
        .map(|(c, _)| c.id.to_string())
        .collect();
    let spent = walk::spent(conn, &ids)?;
    let t = now();
    Ok(rows
        .iter()
        .map(|(c, o)| {
            let mut v = Coupon::of(c, Some(o), keys.coupon(&c.code), t);
            v.redemption = spent.get(c.id.as_str()).map(Spent::of);
            v
        })
        .collect())
}

/// The QR text of one of the visitor's own coupons (another visitor's is not found).
pub fn qr_payload(
    conn: &mut DbConn,
    keys: &KeyRing,
    coupon_id: &CouponId,
    visitor_id: &VisitorId,
) -> Result<String, AppError> {
    let coupon = coupons::find(conn, coupon_id)?;
    if coupon.visitor_id != *visitor_id {
        return Err(AppError::NotFound("no such coupon".into()));
    }
    Ok(keys.coupon(&coupon.code))
}
