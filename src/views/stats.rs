//! Answers of the statistics, open-data, survey-desk, preflight and audit operations.
//!
//! The campaign statistics and the overview are counted in `db::stats` and `db::purchases` and
//! built from those counts in `service::stats`; the structs here are the shape of those
//! answers, field for field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::stats::{Facts, SurveyCount};
use crate::domain::names::Names;

/// The funnel of a campaign, from page views to purchases.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Funnel {
    pub page_views: i64,
    pub unique_visitors: i64,
    pub visitors: i64,
    pub checkins: i64,
    pub coupons_issued: i64,
    pub coupons_redeemed: i64,
    /// Purchases recorded at tills (consumption stamps).
    pub purchases: i64,
    pub purchase_spend_avos: i64,
}

/// One Macau day's figures.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DailyFigures {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub page_views: i64,
    pub checkins: i64,
    pub issued: i64,
    pub redeemed: i64,
}

/// A check-in point's figures.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PointFigures {
    pub point_id: String,
    pub name: Names,
    pub kind: String,
    pub checkins: i64,
    /// Refused check-ins by the refusal's code.
    pub refused: BTreeMap<String, i64>,
}

/// An offer's figures.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfferFigures {
    pub offer_id: String,
    pub name: Names,
    pub kind: String,
    pub stock: i64,
    /// Issued since the offer began, whatever the range.
    pub issued_total: i64,
    pub issued: i64,
    pub redeemed: i64,
    pub redemption_rate: f64,
}

/// A redeeming merchant's figures.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MerchantFigures {
    pub merchant_id: String,
    pub name: Names,
    pub category: String,
    pub redemptions: i64,
    pub ecash_avos: i64,
    pub spend_avos: i64,
    pub address: String,
    pub merchant_no: String,
}

/// A traffic source's (`ref`) figures.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefFigures {
    #[serde(rename = "ref")]
    pub ref_: String,
    pub page_views: i64,
    pub visitors: i64,
    pub checkins: i64,
    pub coupons_issued: i64,
    pub redemptions: i64,
}

/// Merchants' survey: how many answered, how many said the campaign brought customers.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyShare {
    pub responses: i64,
    pub yes: i64,
    /// `yes / responses`; null without answers.
    pub share: Option<f64>,
}

impl From<SurveyCount> for SurveyShare {
    fn from(s: SurveyCount) -> Self {
        SurveyShare {
            responses: s.responses,
            yes: s.yes,
            share: (s.responses > 0).then(|| s.yes as f64 / s.responses as f64),
        }
    }
}

/// Purchases recorded at tills in the range.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseTotals {
    pub count: i64,
    pub spend_avos: i64,
    /// Purchases that earned a stamp.
    pub stamps: i64,
    /// Visitors whose first purchase in the campaign falls in these days (over the whole
    /// campaign: every visitor who bought).
    pub visitors: i64,
}

impl From<&Facts> for PurchaseTotals {
    fn from(f: &Facts) -> Self {
        PurchaseTotals {
            count: f.purchases,
            spend_avos: f.purchase_spend_avos,
            stamps: f.purchase_stamps,
            visitors: f.buyers,
        }
    }
}

/// A campaign's statistics over a range of Macau days.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignStats {
    pub campaign_id: String,
    /// First day counted, `YYYY-MM-DD`.
    pub from: String,
    /// Last day counted, `YYYY-MM-DD`.
    pub to: String,
    pub funnel: Funnel,
    pub redemption_rate: f64,
    pub ecash_redeemed_avos: i64,
    pub spend_avos: i64,
    pub merchants_enrolled: i64,
    pub merchants_redeeming: i64,
    pub daily: Vec<DailyFigures>,
    pub points: Vec<PointFigures>,
    pub offers: Vec<OfferFigures>,
    pub merchants: Vec<MerchantFigures>,
    pub refs: Vec<RefFigures>,
    pub survey: SurveyShare,
    pub purchases: PurchaseTotals,
}

/// One event of the live statistics stream as a server-sent event: its `data` line carries the
/// campaign's totals (`LiveTotals`) as JSON; comment lines (`: alive`) carry nothing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LiveEvent {
    /// `LiveTotals` as JSON.
    #[schema(content_media_type = "application/json")]
    pub data: String,
    /// The event's type: always `message` (the default, so never written).
    pub event: Option<String>,
}

/// The totals a live statistics screen shows (each event of the stream).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveTotals {
    pub campaign_id: String,
    pub funnel: Funnel,
    pub redemption_rate: f64,
    pub ecash_redeemed_avos: i64,
    pub spend_avos: i64,
    pub merchants_enrolled: i64,
    pub merchants_redeeming: i64,
    pub survey: SurveyShare,
}

impl From<&CampaignStats> for LiveTotals {
    fn from(s: &CampaignStats) -> Self {
        LiveTotals {
            campaign_id: s.campaign_id.clone(),
            funnel: s.funnel.clone(),
            redemption_rate: s.redemption_rate,
            ecash_redeemed_avos: s.ecash_redeemed_avos,
            spend_avos: s.spend_avos,
            merchants_enrolled: s.merchants_enrolled,
            merchants_redeeming: s.merchants_redeeming,
            survey: s.survey.clone(),
        }
    }
}

pub use crate::domain::summary::Summary;

/// Totals over every campaign (drafts excluded).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overview {
    pub campaigns: i64,
    pub merchants: i64,
    pub page_views: i64,
    pub unique_visitors: i64,
    pub visitors: i64,
    pub checkin_visitors: i64,
    pub checkins: i64,
    pub coupons_issued: i64,
    pub coupons_redeemed: i64,
    pub redemption_rate: f64,
    pub ecash_redeemed_avos: i64,
    pub spend_avos: i64,
    pub survey: SurveyShare,
    /// The totals in a sentence, in three languages.
    pub summary: Summary,
    pub purchases: i64,
    pub purchase_spend_avos: i64,
}

/// Fraud signals of a campaign with their evidence rows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Signals {
    pub campaign_id: String,
    pub from: String,
    pub to: String,
    /// Each signal with its evidence rows (till users also by `user_name`).
    pub signals: Vec<crate::views::signals::SignalView>,
}

/// The campaign an open-data file describes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenCampaign {
    pub id: String,
    pub slug: String,
    pub name: Names,
    pub district: String,
    pub starts_at: String,
    pub ends_at: String,
}

/// Open-data totals; counts from 1 to 4 are null.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenTotals {
    pub page_views: Option<i64>,
    pub unique_visitors: Option<i64>,
    pub visitors: Option<i64>,
    pub checkins: Option<i64>,
    pub coupons_issued: Option<i64>,
    pub coupons_redeemed: Option<i64>,
    pub ecash_redeemed_avos: i64,
    pub spend_avos: i64,
    pub merchants_redeeming: i64,
}

/// One Macau day of open data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenDay {
    pub day: String,
    pub page_views: Option<i64>,
    pub checkins: Option<i64>,
    pub coupons_issued: Option<i64>,
    pub coupons_redeemed: Option<i64>,
}

/// A check-in point in open data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenPoint {
    pub name: Names,
    pub kind: String,
    pub lat: f64,
    pub lng: f64,
    pub checkins: Option<i64>,
}

/// An offer in open data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenOffer {
    pub name: Names,
    pub kind: String,
    pub face_value_avos: i64,
    pub percent_off: i32,
    pub stock: i32,
    pub issued: Option<i64>,
    pub redeemed: Option<i64>,
}

/// A traffic source in open data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenRef {
    #[serde(rename = "ref")]
    pub ref_: String,
    pub page_views: Option<i64>,
    pub visitors: Option<i64>,
    pub checkins: Option<i64>,
    pub coupons_issued: Option<i64>,
    pub redemptions: Option<i64>,
}

/// The open-data view of a campaign: aggregates per Macau day and totals per point, offer and
/// traffic source; no visitor, coupon or merchant-login ids; small counts suppressed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpenData {
    pub campaign: OpenCampaign,
    pub licence: String,
    pub totals: OpenTotals,
    pub days: Vec<OpenDay>,
    pub points: Vec<OpenPoint>,
    pub offers: Vec<OpenOffer>,
    pub refs: Vec<OpenRef>,
}

/// One change in the audit log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<String>,
    /// `official`, `viewer`, `merchant` or `system`.
    pub actor_role: String,
    /// The actor's login name.
    pub actor_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// A readable name of the entity.
    #[schema(value_type = Option<Object>)]
    pub entity_label: Option<Value>,
    /// The entity before the change (null for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The entity after the change (null for a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    pub at: String,
}

/// One merchant's survey answer.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyAnswerView {
    pub merchant_id: String,
    pub merchant_name: Names,
    pub merchant_no: String,
    pub category: String,
    pub address: String,
    pub came_because_of_campaign: bool,
    pub estimate_pct: Option<i32>,
    pub comment: Option<String>,
    pub answered_at: String,
}

/// The merchants' survey of a campaign, newest answer first.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyAnswers {
    pub responses: i64,
    pub yes: i64,
    pub share: Option<f64>,
    /// Average of the estimates given; null without any.
    pub estimate_avg: Option<f64>,
    /// Answers with a comment.
    pub comments: i64,
    pub answers: Vec<SurveyAnswerView>,
}

/// One check before publishing.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PreflightCheck {
    pub check: String,
    pub ok: bool,
    /// `blocking`, `warning` or `info`.
    pub severity: String,
    pub count: Option<i64>,
}

/// Whether a campaign is ready to publish.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preflight {
    pub campaign_id: String,
    pub status: String,
    pub ready: bool,
    pub starts_at: String,
    pub ends_at: String,
    pub checks: Vec<PreflightCheck>,
}
