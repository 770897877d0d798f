//! JSON shapes of the API, built from rows. Rows never go out as they are.

pub mod checkins;
pub mod coupons;
pub mod draws;
pub mod purchases;
pub mod verification;
pub mod visitors;
pub mod walk;

use serde_json::{json, Value};

use crate::db::models::*;
use crate::domain::names::Names;
use crate::domain::time::{opt_rfc3339, to_rfc3339};

pub fn campaign(c: &Campaign) -> Value {
    json!({
        "id": c.id,
        "slug": c.slug,
        "name": Names::from_json(&c.name),
        "district": c.district,
        "description": c.description,
        "starts_at": to_rfc3339(c.starts_at),
        "ends_at": to_rfc3339(c.ends_at),
        "status": c.status,
        "created_at": to_rfc3339(c.created_at),
        "updated_at": to_rfc3339(c.updated_at),
    })
}

pub fn point(p: &Point, payload: Option<String>) -> Value {
    let mut v = json!({
        "id": p.id,
        "campaign_id": p.campaign_id,
        "name": Names::from_json(&p.name),
        "kind": p.kind,
        "lat": p.lat,
        "lng": p.lng,
        "radius_m": p.radius_m,
        "rotating": p.rotating,
        "rotate_seconds": p.rotate_seconds,
        "require_location": p.require_location,
        "requires_location": p.require_location,
    });
    if let Some(pl) = payload {
        v["payload"] = json!(pl);
    }
    v
}

pub fn offer(o: &Offer) -> Value {
    let mut trigger = json!({"type": o.trigger_type});
    if let Some(c) = o.trigger_count {
        trigger["count"] = json!(c);
    }
    if let Some(t) = o.opens_at {
        trigger["opens_at"] = json!(to_rfc3339(t));
    }
    json!({
        "id": o.id,
        "campaign_id": o.campaign_id,
        "name": Names::from_json(&o.name),
        "kind": o.kind,
        "face_value_avos": o.face_value_avos,
        "min_spend_avos": o.min_spend_avos,
        "percent_off": o.percent_off,
        "max_discount_avos": o.max_discount_avos,
        "stock": o.stock,
        "issued": o.issued,
        "remaining": o.stock - o.issued,
        "per_visitor_limit": o.per_visitor_limit,
        "valid_days": o.valid_days,
        "valid_until": to_rfc3339(o.valid_until),
        "trigger": trigger,
        "eligible_categories": o.categories(),
        "requires_verified": o.requires_verified,
    })
}

/// `coupons::OfferBrief` as a JSON value, for answers still built with `json!`.
pub fn offer_brief(o: &Offer) -> Value {
    to_value(&coupons::OfferBrief::of(o))
}

/// `coupons::Coupon` as a JSON value, for answers still built with `json!`.
pub fn coupon(
    c: &Coupon,
    offer: Option<&Offer>,
    payload: String,
    now: chrono::NaiveDateTime,
) -> Value {
    to_value(&coupons::Coupon::of(c, offer, payload, now))
}

pub fn merchant(m: &Merchant) -> Value {
    json!({
        "id": m.id,
        "name": Names::from_json(&m.name),
        "category": m.category,
        "address": m.address,
        "lat": m.lat,
        "lng": m.lng,
        "m_mark": m.m_mark,
        "merchant_no": crate::domain::merchant_no::short_no(&m.id),
    })
}

pub fn enrolment(e: &Enrolment, merchant_name: Option<&str>) -> Value {
    let mut v = json!({
        "id": e.id,
        "campaign_id": e.campaign_id,
        "merchant_id": e.merchant_id,
        "status": e.status,
        "submitted_at": to_rfc3339(e.submitted_at),
        "decided_at": opt_rfc3339(e.decided_at),
        "reason": e.reason,
    });
    if let Some(n) = merchant_name {
        v["merchant_name"] = json!(Names::from_json(n));
    }
    v
}

pub fn redemption(r: &Redemption) -> Value {
    json!({
        "id": r.id,
        "coupon_id": r.coupon_id,
        "offer_id": r.offer_id,
        "campaign_id": r.campaign_id,
        "merchant_id": r.merchant_id,
        "spend_avos": r.spend_avos,
        "discount_avos": r.discount_avos,
        "ecash_avos": r.ecash_avos,
        "status": r.status,
        "created_at": to_rfc3339(r.created_at),
        "voided_at": opt_rfc3339(r.voided_at),
        "void_until": to_rfc3339(crate::domain::redemption::void_until(r.created_at)),
        "settlement_id": r.settlement_id,
    })
}

pub fn settlement(s: &Settlement, merchant_name: Option<&str>) -> Value {
    let mut v = json!({
        "id": s.id,
        "campaign_id": s.campaign_id,
        "merchant_id": s.merchant_id,
        "period_from": s.period_from.to_string(),
        "period_to": s.period_to.to_string(),
        "amount_avos": s.amount_avos,
        "redemptions": s.redemptions_count,
        "status": s.status,
        "created_at": to_rfc3339(s.created_at),
        "approved_at": opt_rfc3339(s.approved_at),
        "paid_at": opt_rfc3339(s.paid_at),
    });
    if let Some(n) = merchant_name {
        v["merchant_name"] = json!(Names::from_json(n));
    }
    v
}

/// A view as a JSON value (views serialise infallibly: strings, numbers and maps with string
/// keys only).
pub fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
