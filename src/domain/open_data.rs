//! Open data: what a campaign's published figures may show. Counts from 1 to 4 are withheld
//! (null), so no single visitor can be picked out.

/// Counts under this are published as "fewer than 5" (null).
pub const OPEN_DATA_MIN_COUNT: i64 = 5;

/// A count as open data publishes it: `None` when it is from 1 to 4.
pub fn suppressed(n: i64) -> Option<i64> {
    if n > 0 && n < OPEN_DATA_MIN_COUNT {
        None
    } else {
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_withheld_zero_and_larger_ones_shown() {
        assert_eq!(suppressed(0), Some(0));
        assert_eq!(suppressed(1), None);
        assert_eq!(suppressed(4), None);
        assert_eq!(suppressed(5), Some(5));
        assert_eq!(suppressed(1234), Some(1234));
    }
}
