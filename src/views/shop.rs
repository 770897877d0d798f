//! A merchant's user's own view of its shop.

use serde::Serialize;

/// What a merchant's user sold today (Macau day).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TodayTotals {
    /// Redemptions today.
    pub count: i64,
    pub discount_avos: i64,
    pub spend_avos: i64,
}

/// A merchant's user's own view: the shop, the user's role, its enrolments and today's totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantMe {
    pub merchant: super::merchants::MerchantView,
    pub role: crate::types::MerchantRole,
    pub enrolments: Vec<super::campaigns::EnrolmentView>,
    pub today: TodayTotals,
}
