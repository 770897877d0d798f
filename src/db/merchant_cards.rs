//! What tells shops apart on officials' screens: address and short merchant number, added to
//! any answer row carrying a `merchant_id`.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Value};

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

/// Adds `merchant_no` and `merchant_address` to each row (by its `merchant_id`).
pub fn enrich(conn: &mut DbConn, rows: &mut [Value]) -> Result<(), AppError> {
    let mut ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r["merchant_id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    let addr = addresses(conn, &ids)?;
    for r in rows.iter_mut() {
        if let Some(id) = r["merchant_id"].as_str().map(str::to_string) {
            r["merchant_no"] = json!(short_no(&id));
            r["merchant_address"] = json!(addr.get(&id).cloned().unwrap_or_default());
        }
    }
    Ok(())
}
