//! Answers of the till: a redemption, the redeem/preview/void answers and the merchant's
//! history.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::models;
use crate::domain::names::Names;
use crate::domain::redemption::void_until;
use crate::domain::time::{opt_rfc3339, to_rfc3339};
use crate::types::{
    CampaignId, CouponId, MerchantId, OfferId, RedemptionId, RedemptionStatus, SettlementId,
};

/// A redemption at a till.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Redemption {
    pub id: RedemptionId,
    pub coupon_id: CouponId,
    pub offer_id: OfferId,
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    /// What the customer spent, in avos.
    pub spend_avos: i64,
    /// What the coupon took off the spend.
    pub discount_avos: i64,
    /// The part of the discount the government pays back (e-cash).
    pub ecash_avos: i64,
    pub status: RedemptionStatus,
    pub created_at: String,
    pub voided_at: Option<String>,
    /// The last moment the sale can be undone (while it is on no statement).
    pub void_until: String,
    /// The settlement statement that claimed it, if any.
    pub settlement_id: Option<SettlementId>,
}

impl From<&models::Redemption> for Redemption {
    fn from(r: &models::Redemption) -> Self {
        Redemption {
            id: r.id.clone(),
            coupon_id: r.coupon_id.clone(),
            offer_id: r.offer_id.clone(),
            campaign_id: r.campaign_id.clone(),
            merchant_id: r.merchant_id.clone(),
            spend_avos: r.spend_avos,
            discount_avos: r.discount_avos,
            ecash_avos: r.ecash_avos,
            status: r.status,
            created_at: to_rfc3339(r.created_at),
            voided_at: opt_rfc3339(r.voided_at),
            void_until: to_rfc3339(void_until(r.created_at)),
            settlement_id: r.settlement_id.clone(),
        }
    }
}

/// The stamps of the consumption card after the purchase the redemption recorded.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stamps {
    pub count: i64,
}

/// A redemption made (or the first answer again, for a retry with the same key).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Redeemed {
    pub redemption: Redemption,
    pub discount_avos: i64,
    /// The coupon, now redeemed.
    #[schema(value_type = Object)]
    pub coupon: Value,
    pub stamps: Stamps,
    /// Coupons the purchase earned (consumption rewards).
    #[schema(value_type = Vec<Object>)]
    pub coupons: Vec<Value>,
}

/// What a coupon would take off a spend: nothing is redeemed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub coupon: super::coupons::Coupon,
    pub spend_avos: i64,
    pub discount_avos: i64,
    pub ecash_avos: i64,
    pub to_pay_avos: i64,
    pub min_spend_avos: i64,
    /// The discount's cap, when it has one.
    pub max_discount_avos: Option<i64>,
    /// Whether the percent discount hit its cap.
    pub capped: bool,
    pub expires_at: String,
}

/// A redemption undone; the coupon can be used again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Voided {
    pub redemption: Redemption,
    pub coupon: super::coupons::Coupon,
}

/// A line of the merchant's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    #[serde(flatten)]
    pub redemption: Redemption,
    pub coupon_code: String,
    pub offer_name: Names,
    /// The Macau day of the sale.
    pub day: String,
}

/// The totals of one Macau day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayTotal {
    pub day: String,
    pub count: i64,
    pub discount_avos: i64,
    pub spend_avos: i64,
}

/// A page of the merchant's redemptions, newest first, with day and today's totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct History {
    pub items: Vec<HistoryItem>,
    pub total: i64,
    /// The page, from 0.
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
    /// Totals of the days on this page.
    pub days: Vec<DayTotal>,
    pub today_count: i64,
    pub today_discount_avos: i64,
    pub today_spend_avos: i64,
}
