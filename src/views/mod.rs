//! JSON shapes of the API, built from rows. Rows never go out as they are.

pub mod campaigns;
pub mod merchants;
pub mod operations;
pub mod qr;
pub mod sources;
pub mod staff;
pub mod stats;

use serde_json::{json, Value};

pub mod payouts;
pub mod redemptions;
pub mod settlements;

use crate::db::models::*;
use crate::domain::codes;
use crate::domain::names::Names;
use crate::domain::time::{opt_rfc3339, to_rfc3339};

/// A typed view as JSON (views always serialise).
pub fn value<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).expect("views serialise")
}

pub fn campaign(c: &Campaign) -> Value {
    value(campaigns::CampaignView::from(c))
}

pub fn point(p: &Point, payload: Option<String>) -> Value {
    value(campaigns::PointView::new(p, payload))
}

pub fn offer(o: &Offer) -> Value {
    value(campaigns::OfferView::from(o))
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
    value(merchants::MerchantView::from(m))
}

pub fn enrolment(e: &Enrolment, merchant_name: Option<&str>) -> Value {
    value(campaigns::EnrolmentView::new(e, merchant_name))
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
