//! JSON shapes of the API, built from rows. Rows never go out as they are.

pub mod campaigns;
pub mod checkins;
pub mod coupons;
pub mod draws;
pub mod merchants;
pub mod operations;
pub mod purchases;
pub mod qr;
pub mod sources;
pub mod staff;
pub mod stats;
pub mod verification;
pub mod visitors;
pub mod walk;

use serde_json::Value;

pub mod payouts;
pub mod redemptions;
pub mod settlements;

use crate::db::models::*;

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
    value(merchants::MerchantView::from(m))
}

pub fn enrolment(e: &Enrolment, merchant_name: Option<&str>) -> Value {
    value(campaigns::EnrolmentView::new(e, merchant_name))
}

/// A view as a JSON value (views serialise infallibly: strings, numbers and maps with string
/// keys only).
pub fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
