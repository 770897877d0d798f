//! JSON shapes of the API, built from rows. Rows never go out as they are.

use serde_json::{json, Value};

pub mod payouts;
pub mod redemptions;
pub mod settlements;

use crate::db::models::*;
use crate::domain::codes;
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

pub fn offer_brief(o: &Offer) -> Value {
    json!({
        "name": Names::from_json(&o.name),
        "kind": o.kind,
        "face_value_avos": o.face_value_avos,
        "min_spend_avos": o.min_spend_avos,
        "percent_off": o.percent_off,
        "max_discount_avos": o.max_discount_avos,
        "eligible_categories": o.categories(),
    })
}

pub fn coupon(
    c: &Coupon,
    offer: Option<&Offer>,
    payload: String,
    now: chrono::NaiveDateTime,
) -> Value {
    let mut v = json!({
        "id": c.id,
        "code": codes::display(&c.code),
        "offer_id": c.offer_id,
        "campaign_id": c.campaign_id,
        "status": c.effective_status(now),
        "issued_at": to_rfc3339(c.issued_at),
        "expires_at": to_rfc3339(c.expires_at),
        "payload": payload,
    });
    if let Some(o) = offer {
        v["offer"] = offer_brief(o);
    }
    v
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

pub fn checkin(c: &Checkin) -> Value {
    json!({
        "id": c.id,
        "point_id": c.point_id,
        "campaign_id": c.campaign_id,
        "method": c.method,
        "day": c.day.to_string(),
        "scanned_at": to_rfc3339(c.scanned_at),
        "received_at": to_rfc3339(c.received_at),
    })
}
