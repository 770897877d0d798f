//! Answers of the staff and sign-in operations.

use serde::Serialize;

use crate::db::staff::Account;
use crate::domain::names::Names;
use crate::domain::staff::locked;
use crate::domain::time::{now, opt_rfc3339, to_rfc3339};
use crate::types::{MerchantId, MerchantRole, StaffRole, UserId, UserRole};

/// A staff login as officials see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffAccount {
    pub id: UserId,
    pub username: String,
    pub role: StaffRole,
    /// The merchant a merchant's owner or cashier belongs to.
    pub merchant_id: Option<MerchantId>,
    /// That merchant's names (in the list of logins; null elsewhere).
    pub merchant_name: Option<Names>,
    /// A disabled login's tokens are refused.
    pub disabled: bool,
    /// After a reset: the login must choose a new password before anything else.
    pub must_change_password: bool,
    /// While locked after repeated wrong passwords: when the lock ends.
    pub locked_until: Option<String>,
    pub created_at: String,
}

impl StaffAccount {
    /// The view of a login; `merchant_name` is its merchant's names as stored (JSON text).
    pub fn of(a: &Account, merchant_name: Option<&str>) -> StaffAccount {
        StaffAccount {
            id: a.id.clone(),
            username: a.username.clone(),
            role: StaffRole::of(a.role, a.merchant_role),
            merchant_id: a.merchant_id.clone(),
            merchant_name: merchant_name.and_then(|n| serde_json::from_str(n).ok()),
            disabled: !a.active,
            must_change_password: a.must_change_password,
            locked_until: opt_rfc3339(a.locked_until.filter(|_| locked(a.locked_until, now()))),
            created_at: to_rfc3339(a.created_at),
        }
    }
}

/// A temporary password after a reset, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemporaryPassword {
    pub id: UserId,
    pub username: String,
    pub temporary_password: String,
    /// Always true: the login must choose a new password before anything else.
    pub must_change_password: bool,
}

/// A staff login's token and who it names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// How the login is stored: `official`, `viewer` or `merchant`.
    pub role: UserRole,
    pub expires_at: String,
    pub user_id: UserId,
    pub username: String,
    pub merchant_id: Option<MerchantId>,
    pub merchant_role: Option<MerchantRole>,
    pub staff_role: StaffRole,
    /// The login must change its password (POST /api/v1/me/password) before anything else.
    pub must_change_password: bool,
}
