//! What the catalogue adds to the basic shapes of `views/`: picture URLs, short codes, and the
//! operational state (paused offers, retired points) officials see.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::db::models::{Campaign, Enrolment, Offer, Point};
use crate::domain::names::Names;
use crate::domain::time::{opt_rfc3339, to_rfc3339};

/// A campaign.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    pub id: String,
    /// Lower-case letters, digits and dashes; campaigns are found by id or slug.
    pub slug: String,
    pub name: Names,
    pub district: String,
    pub description: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    /// draft, published or ended.
    pub status: crate::types::CampaignStatus,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Campaign> for CampaignView {
    fn from(c: &Campaign) -> Self {
        CampaignView {
            id: c.id.to_string(),
            slug: c.slug.clone(),
            name: Names::from_json(&c.name),
            district: c.district.clone(),
            description: c.description.clone(),
            starts_at: to_rfc3339(c.starts_at),
            ends_at: to_rfc3339(c.ends_at),
            status: c.status,
            created_at: to_rfc3339(c.created_at),
            updated_at: to_rfc3339(c.updated_at),
        }
    }
}

/// A check-in point.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PointView {
    pub id: String,
    pub campaign_id: String,
    pub name: Names,
    /// qr or ar.
    pub kind: String,
    pub lat: f64,
    pub lng: f64,
    pub radius_m: i32,
    pub rotating: bool,
    pub rotate_seconds: i32,
    pub require_location: bool,
    /// The same as `require_location`.
    pub requires_location: bool,
    /// What a static point's printed QR carries (officials only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub payload: Option<String>,
}

impl PointView {
    pub fn new(p: &Point, payload: Option<String>) -> Self {
        PointView {
            id: p.id.to_string(),
            campaign_id: p.campaign_id.to_string(),
            name: Names::from_json(&p.name),
            kind: p.kind.to_string(),
            lat: p.lat,
            lng: p.lng,
            radius_m: p.radius_m,
            rotating: p.rotating,
            rotate_seconds: p.rotate_seconds,
            require_location: p.require_location,
            requires_location: p.require_location,
            payload,
        }
    }
}

/// What unlocks an offer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TriggerView {
    /// signup, checkins, claim, purchases or draw.
    #[serde(rename = "type")]
    pub type_: String,
    /// `checkins`: distinct points; `purchases`: stamps.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub count: Option<i32>,
    /// `claim`: when claiming opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub opens_at: Option<String>,
}

/// An offer of a campaign.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferView {
    pub id: String,
    pub campaign_id: String,
    pub name: Names,
    /// ecash or discount.
    pub kind: String,
    pub face_value_avos: i64,
    pub min_spend_avos: i64,
    pub percent_off: i32,
    pub max_discount_avos: i64,
    pub stock: i32,
    pub issued: i32,
    pub remaining: i32,
    pub per_visitor_limit: i32,
    pub valid_days: i32,
    pub valid_until: String,
    pub trigger: TriggerView,
    pub eligible_categories: Vec<String>,
    pub requires_verified: bool,
}

impl From<&Offer> for OfferView {
    fn from(o: &Offer) -> Self {
        OfferView {
            id: o.id.to_string(),
            campaign_id: o.campaign_id.to_string(),
            name: Names::from_json(&o.name),
            kind: o.kind.to_string(),
            face_value_avos: o.face_value_avos,
            min_spend_avos: o.min_spend_avos,
            percent_off: o.percent_off,
            max_discount_avos: o.max_discount_avos,
            stock: o.stock,
            issued: o.issued,
            remaining: o.stock - o.issued,
            per_visitor_limit: o.per_visitor_limit,
            valid_days: o.valid_days,
            valid_until: to_rfc3339(o.valid_until),
            trigger: TriggerView {
                type_: o.trigger_type.to_string(),
                count: o.trigger_count,
                opens_at: o.opens_at.map(to_rfc3339),
            },
            eligible_categories: o.categories(),
            requires_verified: o.requires_verified,
        }
    }
}

/// A merchant's enrolment in a campaign.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrolmentView {
    pub id: String,
    pub campaign_id: String,
    pub merchant_id: String,
    /// pending, approved, rejected or withdrawn.
    pub status: String,
    pub submitted_at: String,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
    /// In officials' lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_name: Option<Names>,
}

impl EnrolmentView {
    pub fn new(e: &Enrolment, merchant_name: Option<&str>) -> Self {
        EnrolmentView {
            id: e.id.to_string(),
            campaign_id: e.campaign_id.to_string(),
            merchant_id: e.merchant_id.to_string(),
            status: e.status.to_string(),
            submitted_at: to_rfc3339(e.submitted_at),
            decided_at: opt_rfc3339(e.decided_at),
            reason: e.reason.clone(),
            merchant_name: merchant_name.map(Names::from_json),
        }
    }
}

/// `cover_url` / `photo_url` for an answer: the URL carries the picture's hash, so a new
/// upload is a new URL.
pub fn image_url(owner_kind: &str, owner_id: &str, etag: &str) -> String {
    match owner_kind {
        "campaign" => format!("/api/v1/campaigns/{owner_id}/cover?v={etag}"),
        _ => format!("/api/v1/merchants/{owner_id}/photo?v={etag}"),
    }
}

/// Adds `cover_url` to campaign answers and `photo_url` to their shops, where pictures exist.
pub fn add_urls(
    campaigns: &mut [Value],
    covers: &HashMap<String, String>,
    photos: &HashMap<String, String>,
) {
    for c in campaigns {
        if let Some(e) = c["id"].as_str().and_then(|id| covers.get(id)) {
            c["cover_url"] = json!(image_url("campaign", c["id"].as_str().unwrap_or(""), e));
        }
        if let Some(list) = c.get_mut("merchants").and_then(Value::as_array_mut) {
            for m in list {
                if let Some(e) = m["id"].as_str().and_then(|id| photos.get(id)) {
                    m["photo_url"] =
                        json!(image_url("merchant", m["id"].as_str().unwrap_or(""), e));
                }
            }
        }
    }
}

/// A point answer with its printed short code, when it has one.
pub fn with_short_code(mut v: Value, code: Option<&str>) -> Value {
    if let Some(c) = code {
        v["short_code"] = json!(crate::domain::short_code::display(c));
    }
    v
}

/// An offer with whether officials paused it.
pub fn offer_with_paused(o: &Offer, paused: bool) -> Value {
    let mut v = super::offer(o);
    v["paused"] = json!(paused);
    v
}

/// A point with whether (and since when) it is retired.
pub fn point_with_retirement(p: &Point, retired: Option<chrono::NaiveDateTime>) -> Value {
    let mut v = super::point(p, None);
    v["retired"] = json!(retired.is_some());
    v["retired_at"] = json!(opt_rfc3339(retired));
    v
}
