//! What the catalogue adds to the basic shapes of `views/`: picture URLs, short codes, and the
//! operational state (paused offers, retired points) officials see.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::merchants::MerchantView;
use crate::db::budget::Figures;
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

/// A campaign's money: budgets (null: none), e-cash committed by issued coupons and redeemed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BudgetView {
    pub budget_avos: Option<i64>,
    pub daily_budget_avos: Option<i64>,
    pub committed_avos: i64,
    pub committed_today_avos: i64,
    pub redeemed_avos: i64,
    /// Committed and not yet redeemed.
    pub outstanding_avos: i64,
    /// Share of the budget committed, in percent with one decimal (null without a budget).
    pub used_pct: Option<f64>,
    /// Share of today's budget committed (null without a daily budget).
    pub used_today_pct: Option<f64>,
}

impl From<&Figures> for BudgetView {
    fn from(f: &Figures) -> Self {
        let used = |cap: Option<i64>, v: i64| {
            cap.filter(|c| *c > 0)
                .map(|c| ((v as f64) * 1000.0 / c as f64).round() / 10.0)
        };
        BudgetView {
            budget_avos: f.budget_avos,
            daily_budget_avos: f.daily_budget_avos,
            committed_avos: f.committed_avos,
            committed_today_avos: f.committed_today_avos,
            redeemed_avos: f.redeemed_avos,
            outstanding_avos: (f.committed_avos - f.redeemed_avos).max(0),
            used_pct: used(f.budget_avos, f.committed_avos),
            used_today_pct: used(f.daily_budget_avos, f.committed_today_avos),
        }
    }
}

impl From<&Campaign> for CampaignView {
    fn from(c: &Campaign) -> Self {
        CampaignView {
            id: c.id.clone(),
            slug: c.slug.clone(),
            name: Names::from_json(&c.name),
            district: c.district.clone(),
            description: c.description.clone(),
            starts_at: to_rfc3339(c.starts_at),
            ends_at: to_rfc3339(c.ends_at),
            status: crate::types::CampaignStatus::parse(&c.status)
                .unwrap_or(crate::types::CampaignStatus::Draft),
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
            id: p.id.clone(),
            campaign_id: p.campaign_id.clone(),
            name: Names::from_json(&p.name),
            kind: p.kind.clone(),
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
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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

/// A draw offer's draw, in the campaign's answer.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfferDraw {
    /// open, drawing or done.
    pub status: String,
    /// The hash committed to before entries open.
    pub commitment: String,
    /// Entries so far.
    pub entries: i64,
}

/// An offer of a campaign.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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
            id: o.id.clone(),
            campaign_id: o.campaign_id.clone(),
            name: Names::from_json(&o.name),
            kind: o.kind.clone(),
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
                type_: o.trigger_type.clone(),
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
            id: e.id.clone(),
            campaign_id: e.campaign_id.clone(),
            merchant_id: e.merchant_id.clone(),
            status: e.status.clone(),
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
