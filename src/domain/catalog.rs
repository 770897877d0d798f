//! Rules of the catalogue: what makes a campaign's slug, dates and budgets acceptable, and
//! when a campaign can still be changed.

use chrono::{Datelike, NaiveDateTime};

use crate::types::CampaignStatus;

/// The categories a merchant can be in.
pub const CATEGORIES: [&str; 6] = ["food", "retail", "services", "culture", "lodging", "other"];

/// The largest budget a campaign can have, in avos.
pub const MAX_BUDGET_AVOS: i64 = 10_000_000_000_000;

/// Lower-case letters, digits and dashes, 2 to 64 of them.
pub fn valid_slug(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A slug shaped like an id (a UUID) would make `/campaigns/{id or slug}` ambiguous.
pub fn slug_looks_like_id(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

/// Campaign dates must fall in a plausible range (a year typed as 0202 is refused).
pub fn plausible_date(t: NaiveDateTime) -> bool {
    (2000..2100).contains(&t.year())
}

/// A budget ceiling: 0 to [`MAX_BUDGET_AVOS`].
pub fn valid_budget(avos: i64) -> bool {
    (0..=MAX_BUDGET_AVOS).contains(&avos)
}

/// A campaign that ended (by status, or published and past its end) can no longer change.
pub fn has_ended(status: CampaignStatus, ends_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    status == CampaignStatus::Ended || (status == CampaignStatus::Published && ends_at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        crate::domain::time::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn slugs() {
        assert!(valid_slug("summer-2026"));
        assert!(!valid_slug("a"));
        assert!(!valid_slug("Summer"));
        assert!(!valid_slug(&"a".repeat(65)));
        assert!(slug_looks_like_id("0b6f3f7e-8d1c-4c1e-9d7a-2f6c1b3e4a5d"));
        assert!(!slug_looks_like_id("summer-2026"));
    }

    #[test]
    fn dates_and_budgets() {
        assert!(plausible_date(t("2026-07-01T00:00:00+08:00")));
        let typo = chrono::NaiveDate::from_ymd_opt(202, 7, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert!(!plausible_date(typo));
        assert!(valid_budget(0) && valid_budget(MAX_BUDGET_AVOS));
        assert!(!valid_budget(-1) && !valid_budget(MAX_BUDGET_AVOS + 1));
    }

    #[test]
    fn ended_campaigns() {
        let end = t("2026-07-01T00:00:00Z");
        let before = t("2026-06-30T00:00:00Z");
        let after = t("2026-07-02T00:00:00Z");
        assert!(has_ended(CampaignStatus::Ended, end, before));
        assert!(!has_ended(CampaignStatus::Published, end, before));
        assert!(has_ended(CampaignStatus::Published, end, after));
        assert!(!has_ended(CampaignStatus::Draft, end, after));
    }
}
