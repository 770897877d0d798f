//! Issuing coupons: stock, the per-visitor limit, what a coupon costs the campaign's budget,
//! how many coupons a trigger earns, and when a coupon expires. The one place where
//! `sold_out`, `limit_reached`, `offer_paused` and `budget_exhausted` are answered.
//!
//! The database holds the same rules under concurrency: stock by a conditional
//! `UPDATE … WHERE issued < stock AND NOT paused`, the per-visitor limit by the visitor's lock
//! and `UNIQUE(offer_id, visitor_id, seq)`, the budget by a conditional update of its row.

use chrono::{Duration, NaiveDateTime};

use crate::error::{AppError, Code};
use crate::types::{OfferKind, TriggerType};

/// Why an offer gave (or gives) no coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotIssued {
    /// Every coupon of the offer has been issued.
    SoldOut,
    /// The offer's last day of validity has passed.
    Closed,
    Paused,
    BudgetExhausted,
    /// The visitor holds as many coupons of the offer as allowed.
    LimitReached,
}

impl NotIssued {
    /// The refusal a visitor sees.
    pub fn error(self) -> AppError {
        match self {
            NotIssued::SoldOut => AppError::rule(
                Code::SoldOut,
                "All coupons of this offer have been claimed.",
            ),
            NotIssued::Closed => AppError::rule(Code::SoldOut, "This offer has closed."),
            NotIssued::Paused => {
                AppError::rule(Code::OfferPaused, "This offer is paused for the moment.")
            }
            NotIssued::BudgetExhausted => AppError::rule(
                Code::BudgetExhausted,
                "This campaign's budget for e-cash coupons is used up.",
            ),
            NotIssued::LimitReached => AppError::rule(
                Code::LimitReached,
                "You already hold as many of these coupons as allowed.",
            ),
        }
    }

    /// The stable code (kept as a note on a draw winner who got no coupon).
    pub fn code(self) -> Code {
        match self {
            NotIssued::SoldOut | NotIssued::Closed => Code::SoldOut,
            NotIssued::Paused => Code::OfferPaused,
            NotIssued::BudgetExhausted => Code::BudgetExhausted,
            NotIssued::LimitReached => Code::LimitReached,
        }
    }
}

/// Stock: whether an offer has coupons left.
pub fn in_stock(issued: i32, stock: i32) -> bool {
    issued < stock
}

/// The per-visitor limit: whether a visitor holding `held` coupons of an offer may get one more.
pub fn within_limit(held: i64, per_visitor_limit: i32) -> bool {
    held < i64::from(per_visitor_limit)
}

/// Why a claim of an offer cannot succeed before anything is written (the fast path of a
/// claim storm): the limit is answered before stock, so a visitor who already holds the
/// coupon learns that rather than "sold out".
pub fn claim_refusal(
    issued: i32,
    stock: i32,
    held: Option<i64>,
    per_visitor_limit: i32,
) -> Option<NotIssued> {
    if in_stock(issued, stock) {
        return None;
    }
    match held {
        Some(h) if !within_limit(h, per_visitor_limit) => Some(NotIssued::LimitReached),
        _ => Some(NotIssued::SoldOut),
    }
}

/// What issuing one coupon of an offer commits against its campaign's budget: the face value
/// of an e-cash coupon; discounts are not budgeted.
pub fn budget_amount(kind: OfferKind, face_value_avos: i64) -> i64 {
    if kind == OfferKind::Ecash {
        face_value_avos
    } else {
        0
    }
}

/// When a coupon issued at `t` expires: after the offer's days of validity, and never after
/// the offer's last day.
pub fn expires_at(t: NaiveDateTime, valid_days: i32, valid_until: NaiveDateTime) -> NaiveDateTime {
    (t + Duration::days(i64::from(valid_days))).min(valid_until)
}

/// How many coupons of an offer a visitor is entitled to by a count (distinct points visited,
/// purchase stamps): one for every `every`, up to the per-visitor limit.
pub fn entitled_by_count(count: i64, every: i64, per_visitor_limit: i64) -> i64 {
    if every <= 0 {
        return 0;
    }
    (count / every).min(per_visitor_limit)
}

/// How many coupons of an offer with this trigger a visitor has earned: one at sign-up, or by
/// distinct points visited; other triggers (claims, purchases, draws) are not earned here.
pub fn earned(
    trigger: TriggerType,
    trigger_count: Option<i32>,
    distinct_points: i64,
    per_visitor_limit: i32,
) -> i64 {
    match trigger {
        TriggerType::Signup => 1,
        TriggerType::Checkins => entitled_by_count(
            distinct_points,
            i64::from(trigger_count.unwrap_or(1)),
            i64::from(per_visitor_limit),
        ),
        TriggerType::Claim | TriggerType::Purchases | TriggerType::Draw => 0,
    }
}

/// The counts at which an offer paying one coupon every `every` pays out, up to the limit.
pub fn thresholds(every: i32, per_visitor_limit: i32) -> impl Iterator<Item = i64> {
    let n = i64::from(every);
    (1..=i64::from(per_visitor_limit)).map(move |k| k * n)
}

/// What the next reward needs: the smallest threshold above `count`.
pub fn next_reward_at(count: i64, thresholds: &[i64]) -> Option<i64> {
    thresholds.iter().copied().filter(|t| *t > count).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn code_of(e: AppError) -> Code {
        match e {
            AppError::Rule { code, .. } => code,
            other => panic!("not a rule: {other:?}"),
        }
    }

    #[test]
    fn stock_and_limit() {
        assert!(in_stock(9, 10));
        assert!(!in_stock(10, 10));
        assert!(within_limit(0, 1));
        assert!(!within_limit(1, 1));
        assert_eq!(claim_refusal(3, 10, None, 1), None);
        assert_eq!(claim_refusal(10, 10, Some(0), 1), Some(NotIssued::SoldOut));
        assert_eq!(
            claim_refusal(10, 10, Some(1), 1),
            Some(NotIssued::LimitReached)
        );
    }

    #[test]
    fn refusals_carry_their_codes() {
        for (n, code) in [
            (NotIssued::SoldOut, Code::SoldOut),
            (NotIssued::Closed, Code::SoldOut),
            (NotIssued::Paused, Code::OfferPaused),
            (NotIssued::BudgetExhausted, Code::BudgetExhausted),
            (NotIssued::LimitReached, Code::LimitReached),
        ] {
            assert_eq!(code_of(n.error()), code);
            assert_eq!(n.code(), code);
        }
    }

    #[test]
    fn budget_counts_ecash_only() {
        assert_eq!(budget_amount(OfferKind::Ecash, 5000), 5000);
        assert_eq!(budget_amount(OfferKind::Discount, 5000), 0);
    }

    #[test]
    fn expiry_is_capped_by_the_offer() {
        let t = NaiveDate::from_ymd_opt(2022, 9, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(
            expires_at(t, 3, t + Duration::days(30)),
            t + Duration::days(3)
        );
        assert_eq!(
            expires_at(t, 30, t + Duration::days(3)),
            t + Duration::days(3)
        );
    }

    #[test]
    fn earning() {
        assert_eq!(earned(TriggerType::Signup, None, 0, 1), 1);
        assert_eq!(earned(TriggerType::Checkins, Some(2), 5, 3), 2);
        assert_eq!(earned(TriggerType::Checkins, Some(2), 9, 3), 3);
        assert_eq!(earned(TriggerType::Checkins, Some(2), 1, 3), 0);
        assert_eq!(earned(TriggerType::Claim, None, 9, 3), 0);
        assert_eq!(entitled_by_count(4, 0, 3), 0);
        assert_eq!(thresholds(2, 3).collect::<Vec<_>>(), vec![2, 4, 6]);
        assert_eq!(next_reward_at(1, &[2, 5]), Some(2));
        assert_eq!(next_reward_at(5, &[2, 5]), None);
    }
}
