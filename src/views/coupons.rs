//! Coupons as the visitor's wallet and the till show them.

use serde::Serialize;

use crate::db::models::{Coupon as CouponRow, Offer};
use crate::domain::codes;
use crate::domain::names::Names;
use crate::domain::time::to_rfc3339;
use crate::types::{CampaignId, CouponId, MerchantId, OfferId};

/// What a coupon is worth, as printed on it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferBrief {
    pub name: Names,
    /// `ecash` or `discount`.
    pub kind: String,
    pub face_value_avos: i64,
    pub min_spend_avos: i64,
    pub percent_off: i32,
    pub max_discount_avos: i64,
    /// Merchant categories where it can be spent (empty: all).
    pub eligible_categories: Vec<String>,
}

impl OfferBrief {
    pub fn of(o: &Offer) -> OfferBrief {
        OfferBrief {
            name: Names::from_json(&o.name),
            kind: o.kind.to_string(),
            face_value_avos: o.face_value_avos,
            min_spend_avos: o.min_spend_avos,
            percent_off: o.percent_off,
            max_discount_avos: o.max_discount_avos,
            eligible_categories: o.categories(),
        }
    }
}

/// A coupon in a wallet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coupon {
    pub id: CouponId,
    /// The code to read out at the till (grouped for reading).
    pub code: String,
    pub offer_id: OfferId,
    pub campaign_id: CampaignId,
    /// `issued`, `redeemed`, `expired` or `void` (an issued coupon past its expiry reads
    /// `expired`).
    pub status: String,
    pub issued_at: String,
    pub expires_at: String,
    /// The signed text of the coupon's QR code.
    pub payload: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub offer: Option<OfferBrief>,
    /// Where and when a spent coupon was spent (the wallet's list only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub redemption: Option<Spent>,
}

impl Coupon {
    pub fn of(
        c: &CouponRow,
        offer: Option<&Offer>,
        payload: String,
        now: chrono::NaiveDateTime,
    ) -> Coupon {
        Coupon {
            id: c.id.as_str().into(),
            code: codes::display(&c.code),
            offer_id: c.offer_id.as_str().into(),
            campaign_id: c.campaign_id.as_str().into(),
            status: c.effective_status(now).to_string(),
            issued_at: to_rfc3339(c.issued_at),
            expires_at: to_rfc3339(c.expires_at),
            payload,
            offer: offer.map(OfferBrief::of),
            redemption: None,
        }
    }
}

/// The shop where a coupon was spent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpentAt {
    pub id: MerchantId,
    pub name: Names,
    pub address: String,
}

/// Where, when and how much a spent coupon saved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Spent {
    pub merchant: SpentAt,
    pub redeemed_at: String,
    pub spend_avos: i64,
    pub saved_avos: i64,
}

impl Spent {
    pub fn of(s: &crate::db::walk::Spent) -> Spent {
        Spent {
            merchant: SpentAt {
                id: s.merchant_id.as_str().into(),
                name: Names::from_json(&s.merchant_name),
                address: s.address.clone(),
            },
            redeemed_at: to_rfc3339(s.at),
            spend_avos: s.spend_avos,
            saved_avos: s.discount_avos,
        }
    }
}

/// A coupon an official voided, with the visitor it was issued to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoidedCoupon {
    #[serde(flatten)]
    pub coupon: Coupon,
    pub visitor_id: String,
}
