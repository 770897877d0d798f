//! Check-ins and the stamps they earn.

use serde::Serialize;

use super::coupons::Coupon;
use crate::db::models::Checkin as CheckinRow;
use crate::domain::time::to_rfc3339;
use crate::types::{CampaignId, CheckinId, PointId};

/// An accepted check-in.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Checkin {
    pub id: CheckinId,
    pub point_id: PointId,
    pub campaign_id: CampaignId,
    /// `qr` or `ar`.
    pub method: String,
    /// The Macau day it counts for (`YYYY-MM-DD`).
    pub day: String,
    pub scanned_at: String,
    pub received_at: String,
}

impl Checkin {
    pub fn of(c: &CheckinRow) -> Checkin {
        Checkin {
            id: c.id.as_str().into(),
            point_id: c.point_id.as_str().into(),
            campaign_id: c.campaign_id.as_str().into(),
            method: c.method.to_string(),
            day: c.day.to_string(),
            scanned_at: to_rfc3339(c.scanned_at),
            received_at: to_rfc3339(c.received_at),
        }
    }
}

/// A visitor's stamps in a campaign (distinct points visited).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckinStamps {
    pub count: i64,
    /// The count at which the next coupon is issued (`null` when none is left to earn).
    pub next_reward_at: Option<i64>,
}

/// The answer to a check-in (the same again for a retry with the same nonce).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckedIn {
    pub checkin: Checkin,
    pub stamps: CheckinStamps,
    /// The coupons this check-in issued.
    pub coupons: Vec<Coupon>,
}
