//! One person, one wallet: a visitor's verified addresses and the answers of verification.

use serde::Serialize;

use super::coupons::Coupon;
use crate::types::VisitorId;

/// A verified phone number or e-mail, shown only by its hint.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifiedAddress {
    /// `sms` or `email`.
    pub channel: String,
    /// The address with most of it hidden.
    pub hint: String,
    pub verified_at: String,
}

/// Whether the visitor verified, and how codes can be sent here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerificationStatus {
    pub verified: bool,
    pub addresses: Vec<VerifiedAddress>,
    /// The channels codes can be sent by.
    pub channels: Vec<crate::types::VerificationChannel>,
}

/// A code was sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeSent {
    pub channel: String,
    /// The address's hint.
    pub sent_to: String,
    pub expires_at: String,
}

/// A confirmed address: the token of the address's wallet (which the device joined if it
/// already existed) and the coupons issued at verification.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verified {
    pub visitor_id: VisitorId,
    pub token: String,
    pub expires_at: String,
    pub verified: bool,
    /// Whether this device joined a wallet the address already had.
    pub joined: bool,
    pub coupons: Vec<Coupon>,
}
