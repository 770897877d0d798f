//! Working days in Macau: weekends and public holidays (the holiday table) are skipped.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

pub fn is_working_day(day: NaiveDate, holidays: &HashSet<NaiveDate>) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day)
}

/// The last day on which something started on `start` still meets an N-working-day deadline:
/// the N-th working day after the start day (the start day itself is not counted).
pub fn deadline(start: NaiveDate, working_days: u32, holidays: &HashSet<NaiveDate>) -> NaiveDate {
    let mut day = start;
    let mut left = working_days;
    while left > 0 {
        day += Duration::days(1);
        if is_working_day(day, holidays) {
            left -= 1;
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn skips_a_weekend_and_a_holiday() {
        // Thu 2022-09-29; Sat 1 Oct and Sun 2 Oct; National Day holiday observed Mon 3 Oct? Use
        // the table given: 2022-10-03 and 2022-10-04 (Chung Yeung) are holidays.
        let hol: HashSet<_> = [d(2022, 10, 3), d(2022, 10, 4)].into_iter().collect();
        // Fri 30 Sep (1), Wed 5 Oct (2), Thu 6 Oct (3), Fri 7 Oct (4), Mon 10 Oct (5).
        assert_eq!(deadline(d(2022, 9, 29), 5, &hol), d(2022, 10, 10));
        assert_eq!(deadline(d(2022, 9, 29), 5, &HashSet::new()), d(2022, 10, 6));
        assert!(!is_working_day(d(2022, 10, 1), &hol));
        assert!(!is_working_day(d(2022, 10, 3), &hol));
        assert!(is_working_day(d(2022, 10, 5), &hol));
    }
}
