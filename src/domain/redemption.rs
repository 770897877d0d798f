//! Redemption rules that need no database: a coupon is redeemed at most once, only at a shop
//! taking part in its campaign (and of an eligible kind), and a sale can be undone for a short
//! while (the void window) until it is on a settlement statement. What a coupon takes off a
//! spend (minimum spend, discount cap) is in `domain/money.rs`.

use chrono::{Duration, NaiveDateTime};

use crate::types::{CouponStatus, EnrolmentStatus};

/// A redemption can be voided by its merchant for this long after the sale, and only while it
/// is not on a settlement statement.
pub const VOID_WINDOW: Duration = Duration::minutes(10);

/// The last moment a redemption made at `redeemed_at` can be voided.
pub fn void_until(redeemed_at: NaiveDateTime) -> NaiveDateTime {
    redeemed_at + VOID_WINDOW
}

/// Whether a redemption may still be voided at `now`.
pub fn voidable(redeemed_at: NaiveDateTime, now: NaiveDateTime, settled: bool) -> bool {
    !settled && now - redeemed_at <= VOID_WINDOW
}

/// Why a coupon cannot be redeemed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unredeemable {
    /// Redemption once: the coupon already has a live redemption.
    AlreadyRedeemed,
    Expired,
    /// Cancelled by the campaign's operators.
    Void,
}

/// Redemption once: a coupon can be redeemed only while it is issued and not expired.
/// `effective_status` is the coupon's status as users see it (an issued coupon past its
/// expiry reads `expired`). A voided redemption gives the coupon back (`issued`).
pub fn redeemable(effective_status: CouponStatus) -> Result<(), Unredeemable> {
    match effective_status {
        CouponStatus::Redeemed => Err(Unredeemable::AlreadyRedeemed),
        CouponStatus::Expired => Err(Unredeemable::Expired),
        CouponStatus::Void => Err(Unredeemable::Void),
        CouponStatus::Issued => Ok(()),
    }
}

/// Why a shop cannot take a coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotEligible {
    /// The shop's enrolment in the coupon's campaign is missing or not approved.
    NotInCampaign,
    /// The offer is limited to kinds of shop this one is not.
    Category,
}

/// A coupon is taken only by shops approved in its campaign and, when the offer names
/// categories, of one of those categories.
pub fn merchant_eligible(
    enrolment_status: Option<EnrolmentStatus>,
    category: &str,
    eligible_categories: &[String],
) -> Result<(), NotEligible> {
    if enrolment_status != Some(EnrolmentStatus::Approved) {
        return Err(NotEligible::NotInCampaign);
    }
    if !eligible_categories.is_empty() && !eligible_categories.iter().any(|c| c == category) {
        return Err(NotEligible::Category);
    }
    Ok(())
}

/// Why a redemption cannot be undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unvoidable {
    AlreadyVoid,
    /// Past the void window, or already on a settlement statement.
    WindowPassed,
}

/// Whether the redemption (`voided` if already undone) may be undone at `now`.
pub fn can_void(
    voided: bool,
    redeemed_at: NaiveDateTime,
    now: NaiveDateTime,
    settled: bool,
) -> Result<(), Unvoidable> {
    if voided {
        return Err(Unvoidable::AlreadyVoid);
    }
    if !voidable(redeemed_at, now, settled) {
        return Err(Unvoidable::WindowPassed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn the_window_is_ten_minutes_and_closes_on_settlement() {
        let t = t0();
        assert!(voidable(t, t + Duration::minutes(10), false));
        assert!(!voidable(
            t,
            t + Duration::minutes(10) + Duration::seconds(1),
            false
        ));
        assert!(!voidable(t, t, true));
        assert_eq!(void_until(t), t + Duration::minutes(10));
    }

    #[test]
    fn a_coupon_is_redeemed_once() {
        assert_eq!(redeemable(CouponStatus::Issued), Ok(()));
        assert_eq!(
            redeemable(CouponStatus::Redeemed),
            Err(Unredeemable::AlreadyRedeemed)
        );
        assert_eq!(
            redeemable(CouponStatus::Expired),
            Err(Unredeemable::Expired)
        );
        assert_eq!(redeemable(CouponStatus::Void), Err(Unredeemable::Void));
    }

    #[test]
    fn only_approved_shops_of_an_eligible_kind_take_a_coupon() {
        let food = vec!["food".to_string()];
        assert_eq!(
            merchant_eligible(Some(EnrolmentStatus::Approved), "food", &food),
            Ok(())
        );
        assert_eq!(
            merchant_eligible(Some(EnrolmentStatus::Approved), "retail", &[]),
            Ok(())
        );
        assert_eq!(
            merchant_eligible(Some(EnrolmentStatus::Approved), "retail", &food),
            Err(NotEligible::Category)
        );
        assert_eq!(
            merchant_eligible(Some(EnrolmentStatus::Pending), "food", &food),
            Err(NotEligible::NotInCampaign)
        );
        assert_eq!(
            merchant_eligible(None, "food", &[]),
            Err(NotEligible::NotInCampaign)
        );
    }

    #[test]
    fn a_sale_is_undone_once_within_the_window() {
        let t = t0();
        assert_eq!(can_void(false, t, t + Duration::minutes(5), false), Ok(()));
        assert_eq!(can_void(true, t, t, false), Err(Unvoidable::AlreadyVoid));
        assert_eq!(
            can_void(false, t, t + Duration::minutes(11), false),
            Err(Unvoidable::WindowPassed)
        );
        assert_eq!(can_void(false, t, t, true), Err(Unvoidable::WindowPassed));
    }
}
