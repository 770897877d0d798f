//! Purchases recorded at the till and the visitor's purchase-stamp cards.

use serde::Serialize;

use super::coupons::{Coupon, OfferBrief};
use crate::db::purchases::Purchase as PurchaseRow;
use crate::domain::names::Names;
use crate::domain::time::to_rfc3339;
use crate::types::{CampaignId, MerchantId, OfferId, PurchaseId, RedemptionId};

/// A purchase recorded at a till (or by a redemption).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Purchase {
    pub id: PurchaseId,
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    pub spend_avos: i64,
    /// Whether it made the visitor's stamp of the day at this shop.
    pub stamped: bool,
    /// The redemption that recorded it, if one did.
    pub redemption_id: Option<RedemptionId>,
    /// The Macau day (`YYYY-MM-DD`).
    pub day: String,
    pub created_at: String,
}

impl Purchase {
    pub fn of(p: &PurchaseRow) -> Purchase {
        Purchase {
            id: p.id.clone(),
            campaign_id: p.campaign_id.clone(),
            merchant_id: p.merchant_id.clone(),
            spend_avos: p.spend_avos,
            stamped: p.stamped,
            redemption_id: p.redemption_id.clone(),
            day: p.day.to_string(),
            created_at: to_rfc3339(p.created_at),
        }
    }
}

/// A visitor's purchase stamps in a campaign.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurchaseStamps {
    pub count: i64,
    /// The count at which the next coupon is issued (absent when none is left to earn).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub next_reward_at: Option<i64>,
}

/// The answer to a recorded purchase (the same again for the same idempotency key).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurchaseRecorded {
    pub purchase: Purchase,
    pub stamps: PurchaseStamps,
    /// The coupons this purchase issued.
    pub coupons: Vec<Coupon>,
}

/// The till's count of a visitor's stamps.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StampCount {
    pub count: i64,
}

/// What the till shows after scanning a wallet card; nothing is recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TillPreview {
    pub campaign_id: CampaignId,
    pub stamps: StampCount,
    pub stamped_here_today: bool,
}

/// A campaign, briefly.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignBrief {
    pub id: CampaignId,
    pub slug: String,
    pub name: Names,
}

/// One stamp on a card.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardStamp {
    pub merchant_id: MerchantId,
    pub merchant_name: Option<Names>,
    /// The Macau day (`YYYY-MM-DD`).
    pub day: String,
    /// The day's largest spend at that shop.
    pub spend_avos: i64,
}

/// A visitor's progress towards one `purchases` offer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardOffer {
    pub offer: OfferBrief,
    pub offer_id: OfferId,
    /// One coupon for every this many stamps.
    pub every: i32,
    /// A stamp counts for this offer when its day's spend reached this.
    pub min_spend_avos: i64,
    /// The stamps that count for this offer.
    pub stamps: i64,
    /// The coupons of this offer the visitor holds.
    pub coupons: i64,
    pub per_visitor_limit: i32,
}

/// A visitor's stamp card in one campaign.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StampCard {
    pub campaign: CampaignBrief,
    pub count: i64,
    pub stamps: Vec<CardStamp>,
    pub offers: Vec<CardOffer>,
}

/// The text of the visitor's wallet card QR.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Card {
    /// Scanned at the till to record a purchase.
    pub payload: String,
    pub visitor_id: crate::types::VisitorId,
}
