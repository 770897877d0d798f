//! A shop's card on officials' screens: its short number and address, beside its id.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::db::merchant_cards::MerchantCard;

/// The fields an answer row about a merchant gains on officials' screens.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantCardView {
    /// The merchant's short number (from its id).
    pub merchant_no: String,
    /// The shop's address (empty when unknown).
    pub merchant_address: String,
}

impl From<&MerchantCard> for MerchantCardView {
    fn from(c: &MerchantCard) -> Self {
        MerchantCardView {
            merchant_no: c.merchant_no.clone(),
            merchant_address: c.address.clone(),
        }
    }
}

/// The `merchant_id` of each row that has one.
pub fn merchant_ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r["merchant_id"].as_str().map(str::to_string))
        .collect()
}

/// Adds `merchant_no` and `merchant_address` to each row carrying a `merchant_id`, for answers
/// still built as JSON values.
pub fn add_cards(rows: &mut [Value], cards: &HashMap<String, MerchantCard>) {
    for r in rows.iter_mut() {
        let Some(id) = r["merchant_id"].as_str() else {
            continue;
        };
        let card = cards.get(id).map(MerchantCardView::from);
        let card = card.unwrap_or_else(|| MerchantCardView {
            merchant_no: crate::domain::merchant_no::short_no(id),
            merchant_address: String::new(),
        });
        if let Value::Object(m) = r {
            m.insert("merchant_no".into(), Value::String(card.merchant_no));
            m.insert(
                "merchant_address".into(),
                Value::String(card.merchant_address),
            );
        }
    }
}
