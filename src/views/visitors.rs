//! A visitor's sign-up and wallet token.

use serde::Serialize;

use super::coupons::Coupon;
use crate::types::VisitorId;

/// A new visitor's wallet: its token and the coupons given at sign-up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignedUp {
    pub visitor_id: VisitorId,
    /// Bearer token of the wallet.
    pub token: String,
    pub expires_at: String,
    pub coupons: Vec<Coupon>,
}
