//! Rules of staff logins: what a username may be and how it is compared, which roles exist
//! and how each is stored, when an account is locked after wrong passwords.

use chrono::{Duration, NaiveDateTime};

use crate::error::FieldError;
use crate::types::{MerchantRole, StaffRole, UserRole};

/// Wrong passwords in a row that lock an account, and for how long.
pub const LOCK_AFTER: i32 = 5;
pub const LOCK_FOR: Duration = Duration::minutes(15);

/// The form usernames are compared in (they are ASCII letters, digits and `-_.`).
pub fn username_key(username: &str) -> String {
    username.trim().to_ascii_lowercase()
}

/// 3–64 ASCII letters, digits, `-`, `_` or `.`.
pub fn valid_username(username: &str) -> bool {
    (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl StaffRole {
    /// The API's role of a login stored as (`role`, `merchant_role`).
    pub fn of(role: UserRole, merchant_role: Option<MerchantRole>) -> StaffRole {
        match (role, merchant_role) {
            (UserRole::Official, _) => StaffRole::Official,
            (UserRole::Viewer, _) => StaffRole::Viewer,
            (UserRole::Merchant, Some(MerchantRole::Cashier)) => StaffRole::MerchantCashier,
            (UserRole::Merchant, _) => StaffRole::MerchantOwner,
        }
    }

    /// How a login of this role is stored (`role`, `merchant_role`).
    pub fn stored(self) -> (UserRole, Option<MerchantRole>) {
        match self {
            StaffRole::Official => (UserRole::Official, None),
            StaffRole::Viewer => (UserRole::Viewer, None),
            StaffRole::MerchantOwner => (UserRole::Merchant, Some(MerchantRole::Owner)),
            StaffRole::MerchantCashier => (UserRole::Merchant, Some(MerchantRole::Cashier)),
        }
    }

    /// Every role's text, for messages (`official, viewer, …`).
    pub fn list() -> String {
        StaffRole::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A new login as asked for: its username is valid, its role exists, and it names a merchant
/// exactly when it is a merchant's login. Returns the role, or every field's problem.
pub fn check_new_login(
    username: &str,
    role: &str,
    merchant_id: Option<&str>,
) -> Result<StaffRole, Vec<FieldError>> {
    let mut errs = Vec::new();
    if !valid_username(username) {
        errs.push(FieldError {
            field: "username".into(),
            message: "3–64 letters, digits, '-', '_' or '.'".into(),
        });
    }
    let role = StaffRole::parse(role);
    match (role, merchant_id) {
        (None, _) => errs.push(FieldError {
            field: "role".into(),
            message: format!("one of {}", StaffRole::list()),
        }),
        (Some(r), None) if r.stored().0 == UserRole::Merchant => errs.push(FieldError {
            field: "merchant_id".into(),
            message: "required for a merchant's owner or cashier".into(),
        }),
        (Some(r), Some(_)) if r.stored().0 != UserRole::Merchant => errs.push(FieldError {
            field: "merchant_id".into(),
            message: "only merchant logins belong to a merchant".into(),
        }),
        _ => {}
    }
    match role {
        Some(r) if errs.is_empty() => Ok(r),
        _ => Err(errs),
    }
}

/// Whether an account whose lock ends at `locked_until` is locked at `now`.
pub fn locked(locked_until: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    locked_until.is_some_and(|l| l > now)
}

/// Whole seconds (at least one) until a lock ending at `locked_until` is over, if it is on.
pub fn locked_for(locked_until: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<u64> {
    locked_until.filter(|l| *l > now).map(|l| {
        ((l - now).num_milliseconds().max(0) as u64)
            .div_ceil(1000)
            .max(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_compared_without_case_and_kept_to_a_safe_alphabet() {
        assert_eq!(username_key("  Ana.Lei "), "ana.lei");
        assert!(valid_username("ana_lei-2.x"));
        assert!(!valid_username("ab"));
        assert!(!valid_username(&"a".repeat(65)));
        assert!(!valid_username("ana lei"));
        assert!(!valid_username("ana@lei"));
    }

    #[test]
    fn roles_round_trip_through_their_stored_form() {
        for r in StaffRole::ALL {
            let (role, merchant_role) = r.stored();
            assert_eq!(StaffRole::of(role, merchant_role), *r);
        }
        // A merchant login without a stored merchant role is its owner.
        assert_eq!(
            StaffRole::of(UserRole::Merchant, None),
            StaffRole::MerchantOwner
        );
        assert_eq!(
            StaffRole::list(),
            "official, viewer, merchant_owner, merchant_cashier"
        );
    }

    #[test]
    fn a_merchant_login_names_its_merchant_and_only_it_does() {
        assert_eq!(
            check_new_login("ana", "merchant_cashier", Some("m")).ok(),
            Some(StaffRole::MerchantCashier)
        );
        assert_eq!(
            check_new_login("ana", "viewer", None).ok(),
            Some(StaffRole::Viewer)
        );
        let fields = |r: Result<StaffRole, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(check_new_login("ana", "merchant_owner", None)),
            ["merchant_id"]
        );
        assert_eq!(
            fields(check_new_login("ana", "official", Some("m"))),
            ["merchant_id"]
        );
        assert_eq!(
            fields(check_new_login("a", "boss", Some("m"))),
            ["username", "role"]
        );
    }

    #[test]
    fn a_lock_holds_until_its_end_and_says_how_long_in_whole_seconds() {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc();
        assert!(!locked(None, t));
        assert!(!locked(Some(t), t));
        assert!(locked(Some(t + Duration::milliseconds(1)), t));
        assert_eq!(locked_for(Some(t + Duration::milliseconds(1)), t), Some(1));
        assert_eq!(
            locked_for(Some(t + Duration::milliseconds(1500)), t),
            Some(2)
        );
        assert_eq!(locked_for(Some(t - Duration::seconds(1)), t), None);
    }
}
