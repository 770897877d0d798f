//! Merchant answers with their suspension state.

use serde::Serialize;
use serde_json::Value;

use crate::db::models::Merchant;
use crate::domain::names::Names;
use crate::domain::time::to_rfc3339;

/// A merchant (shop).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantView {
    pub id: String,
    pub name: Names,
    /// food, retail, services, culture, lodging or other.
    pub category: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    /// Holds the Macau quality mark (M mark).
    pub m_mark: bool,
    /// The short number shown on statements and at the till.
    pub merchant_no: String,
    /// Where the shop's photo is served, when it has one (in a campaign's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub photo_url: Option<String>,
    /// The first login's username (the answer that creates the merchant).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub username: Option<String>,
    /// Whether officials suspended it (officials' list and operations on merchants).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub suspended: Option<bool>,
    /// Since when (null: not suspended), with `suspended`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<Option<String>>,
    /// Why (null: not suspended or no reason), with `suspended`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspend_reason: Option<Option<String>>,
}

impl From<&Merchant> for MerchantView {
    fn from(m: &Merchant) -> Self {
        MerchantView {
            id: m.id.to_string(),
            name: Names::from_json(&m.name),
            category: m.category.clone(),
            address: m.address.clone(),
            lat: m.lat,
            lng: m.lng,
            m_mark: m.m_mark,
            merchant_no: crate::domain::merchant_no::short_no(&m.id),
            photo_url: None,
            username: None,
            suspended: None,
            suspended_at: None,
            suspend_reason: None,
        }
    }
}

/// A merchant with `suspended`, `suspended_at` and `suspend_reason`.
pub fn with_suspension(
    m: &Merchant,
    suspension: Option<&(chrono::NaiveDateTime, Option<String>)>,
) -> Value {
    super::value(MerchantView {
        suspended: Some(suspension.is_some()),
        suspended_at: Some(suspension.map(|s| to_rfc3339(s.0))),
        suspend_reason: Some(suspension.and_then(|s| s.1.clone())),
        ..MerchantView::from(m)
    })
}

/// One of a merchant's logins.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantLogin {
    pub id: crate::types::UserId,
    pub username: String,
    pub role: Option<crate::types::MerchantRole>,
    pub active: bool,
    pub created_at: String,
}

impl From<&crate::db::models::User> for MerchantLogin {
    fn from(u: &crate::db::models::User) -> Self {
        MerchantLogin {
            id: u.id.clone(),
            username: u.username.clone(),
            role: u.merchant_role,
            active: u.active,
            created_at: to_rfc3339(u.created_at),
        }
    }
}

/// A cashier login just added by the owner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CashierAdded {
    pub id: crate::types::UserId,
    pub username: String,
    /// Always `cashier`.
    pub role: crate::types::MerchantRole,
    pub active: bool,
}

/// A login the owner disabled.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginDisabled {
    pub id: String,
    /// Always `false`.
    pub active: bool,
}

/// A participating merchant's answer to the post-campaign survey.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyAnswerSaved {
    pub campaign_id: String,
    pub merchant_id: String,
    pub came_because_of_campaign: bool,
    /// 0 to 100.
    pub estimate_pct: Option<i32>,
    pub comment: Option<String>,
    pub updated_at: String,
}
