//! Merchant answers with their suspension state.

use serde_json::{json, Value};

use crate::db::models::Merchant;
use crate::domain::time::to_rfc3339;

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
