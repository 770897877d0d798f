//! What the catalogue adds to the basic shapes of `views/`: picture URLs, short codes, and the
//! operational state (paused offers, retired points) officials see.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};

pub use super::budget::BudgetView;
use super::draws::OfferDraw;
use super::merchants::MerchantView;
use crate::db::draws::OfferExtras;
use crate::db::models::{Campaign, Enrolment, Offer, Point};
use crate::domain::names::Names;
use crate::domain::time::{opt_rfc3339, to_rfc3339};
use crate::types::OfferId;

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
    /// The money figures (lists and the campaign's own answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub budget: Option<BudgetView>,
    /// Where the cover is served, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub cover_url: Option<String>,
    /// The campaign's own answer: its check-in points (payloads and short codes for officials).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub points: Option<Vec<PointView>>,
    /// The campaign's own answer: its offers, with `paused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub offers: Option<Vec<OfferView>>,
    /// The campaign's own answer: the participating merchants, with `photo_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchants: Option<Vec<MerchantView>>,
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
            budget: None,
            cover_url: None,
            points: None,
            offers: None,
            merchants: None,
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
    /// Printed under a static point's QR (officials only), e.g. `ABCD-EFGH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub short_code: Option<String>,
    /// Whether officials retired it (officials' answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub retired: Option<bool>,
    /// Since when it is retired (null: not retired), with `retired` in operations' answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<Option<String>>,
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
            short_code: None,
            retired: None,
            retired_at: None,
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
    /// `purchases`: the spend a purchase needs to earn a stamp.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub min_spend_avos: Option<i64>,
    /// `draw`: when entries close.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub entries_close_at: Option<String>,
    /// `draw`: when the draw is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub draw_at: Option<String>,
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
    /// Whether officials paused it (the campaign's answer and operations on offers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub paused: Option<bool>,
    /// `draw` offers, in the campaign's answer: the draw's state and entries so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub draw: Option<OfferDraw>,
    /// `purchases` offers, in officials' campaign answer: stamps that count for this offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub stamps: Option<i64>,
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
                min_spend_avos: None,
                entries_close_at: None,
                draw_at: None,
            },
            eligible_categories: o.categories(),
            requires_verified: o.requires_verified,
            paused: None,
            draw: None,
            stamps: None,
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
    /// The shop's short number (officials' lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_no: Option<String>,
    /// The shop's address (officials' lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_address: Option<String>,
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
            merchant_no: None,
            merchant_address: None,
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
pub fn with_short_code(mut v: PointView, code: Option<&str>) -> PointView {
    v.short_code = code.map(crate::domain::short_code::display);
    v
}

/// An offer with whether officials paused it.
pub fn offer_with_paused(o: &Offer, paused: bool) -> OfferView {
    OfferView {
        paused: Some(paused),
        ..OfferView::from(o)
    }
}

/// A point with whether (and since when) it is retired.
pub fn point_with_retirement(p: &Point, retired: Option<chrono::NaiveDateTime>) -> PointView {
    PointView {
        retired: Some(retired.is_some()),
        retired_at: Some(opt_rfc3339(retired)),
        ..PointView::new(p, None)
    }
}

/// A picture stored for a campaign (cover) or a shop (photo).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PictureStored {
    /// Where it is served; the URL changes with the picture.
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// The ids of the offers whose trigger is `draw` or `purchases` (those that may have extras).
pub fn offers_with_extras(offers: &[OfferView]) -> Vec<OfferId> {
    offers
        .iter()
        .filter(|o| matches!(o.trigger.type_.as_str(), "draw" | "purchases"))
        .map(|o| OfferId::from(o.id.clone()))
        .collect()
}

/// Adds the new triggers' settings to offers: a draw's `entries_close_at` and `draw_at` to its
/// trigger and the draw itself as `draw`; a minimum spend to the trigger as `min_spend_avos`,
/// with the stamps counting towards it as `stamps` (officials).
pub fn add_extras(offers: &mut [OfferView], extras: &HashMap<OfferId, OfferExtras>) {
    for o in offers.iter_mut() {
        let Some(x) = extras.get(o.id.as_str()) else {
            continue;
        };
        if let Some(d) = &x.draw {
            o.trigger.entries_close_at = Some(to_rfc3339(d.entries_close_at));
            o.trigger.draw_at = Some(to_rfc3339(d.draw_at));
            o.draw = Some(OfferDraw::from(d));
        }
        if let Some(m) = x.min_spend_avos {
            o.trigger.min_spend_avos = Some(m);
            if let Some(n) = x.stamps {
                o.stamps = Some(n);
            }
        }
    }
}
