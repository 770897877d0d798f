//! Redemption rules that need no database: how long a sale can be voided.

use chrono::{Duration, NaiveDateTime};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_ten_minutes_and_closes_on_settlement() {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc();
        assert!(voidable(t, t + Duration::minutes(10), false));
        assert!(!voidable(
            t,
            t + Duration::minutes(10) + Duration::seconds(1),
            false
        ));
        assert!(!voidable(t, t, true));
        assert_eq!(void_until(t), t + Duration::minutes(10));
    }
}
