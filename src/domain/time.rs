//! Time in Macau: all timestamps are stored in UTC; "per day" rules use the Macau calendar day.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Macau;

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// The Macau calendar day of a UTC instant.
pub fn macau_day(utc: NaiveDateTime) -> NaiveDate {
    Macau.from_utc_datetime(&utc).date_naive()
}

/// RFC 3339 with the Macau offset, as the API answers.
pub fn to_rfc3339(utc: NaiveDateTime) -> String {
    Macau
        .from_utc_datetime(&utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

pub fn opt_rfc3339(utc: Option<NaiveDateTime>) -> Option<String> {
    utc.map(to_rfc3339)
}

/// Parses RFC 3339 (any offset) into UTC.
/// Parses an RFC 3339 time; years outside 1970–2999 are refused like malformed text, so no
/// time the databases or the calendar code cannot hold gets in.
pub fn parse_rfc3339(s: &str) -> Option<NaiveDateTime> {
    use chrono::Datelike;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc).naive_utc())
        .filter(|t| (1970..=2999).contains(&t.year()))
}

/// Start (00:00 Macau) of a Macau day, in UTC.
pub fn macau_day_start(day: NaiveDate) -> NaiveDateTime {
    Macau
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("Macau has no DST")
        .with_timezone(&Utc)
        .naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macau_day_rolls_over_at_16_utc() {
        let before = NaiveDate::from_ymd_opt(2022, 9, 30)
            .unwrap()
            .and_hms_opt(15, 59, 59)
            .unwrap();
        let after = NaiveDate::from_ymd_opt(2022, 9, 30)
            .unwrap()
            .and_hms_opt(16, 0, 0)
            .unwrap();
        assert_eq!(
            macau_day(before),
            NaiveDate::from_ymd_opt(2022, 9, 30).unwrap()
        );
        assert_eq!(
            macau_day(after),
            NaiveDate::from_ymd_opt(2022, 10, 1).unwrap()
        );
        assert_eq!(
            macau_day_start(NaiveDate::from_ymd_opt(2022, 10, 1).unwrap()),
            after
        );
    }

    #[test]
    fn rfc3339_round_trip_keeps_the_instant() {
        let t = parse_rfc3339("2021-11-20T10:00:00+08:00").unwrap();
        assert_eq!(to_rfc3339(t), "2021-11-20T10:00:00+08:00");
        assert_eq!(parse_rfc3339("2021-11-20T02:00:00Z"), Some(t));
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
