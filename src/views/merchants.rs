//! Merchant answers with their suspension state.

use serde::Serialize;
use serde_json::{json, Value};

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
        }
    }
}

/// A merchant with `suspended`, `suspended_at` and `suspend_reason`.
pub fn with_suspension(
    m: &Merchant,
    suspension: Option<&(chrono::NaiveDateTime, Option<String>)>,
) -> Value {
    let mut v = super::merchant(m);
    v["suspended"] = json!(suspension.is_some());
    v["suspended_at"] = json!(suspension.map(|s| to_rfc3339(s.0)));
    v["suspend_reason"] = json!(suspension.and_then(|s| s.1.clone()));
    v
}
