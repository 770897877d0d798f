//! What tells shops apart on officials' screens: address and short merchant number (shown
//! beside any answer row carrying a `merchant_id`, see `views::merchant_cards`).

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::merchants;
use super::DbConn;
use crate::domain::merchant_no::short_no;
use crate::error::AppError;

/// merchant id → address.
pub fn addresses(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, String)> = merchants::table
            .filter(merchants::id.eq_any(chunk.to_vec()))
            .select((merchants::id, merchants::address))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// What tells a shop apart: its short number and its address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MerchantCard {
    pub merchant_no: String,
    pub address: String,
}

/// merchant id → card, for each id given (an unknown merchant has an empty address).
pub fn cards(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, MerchantCard>, AppError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut addr = addresses(conn, &ids)?;
    Ok(ids
        .into_iter()
        .map(|id| {
            let card = MerchantCard {
                merchant_no: short_no(&id),
                address: addr.remove(&id).unwrap_or_default(),
            };
            (id, card)
        })
        .collect())
}
