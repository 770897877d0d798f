//! Stored short codes of static points (`point_short_codes`): one per point, unique.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::point_short_codes as t;
use super::DbConn;
use crate::domain::short_code;
use crate::domain::time::now;
use crate::error::AppError;
use crate::types::PointId;

/// Gives a point a fresh code (unless it has one) and returns it.
pub fn assign(conn: &mut DbConn, point_id: &PointId) -> Result<String, AppError> {
    if let Some(c) = of_point(conn, point_id)? {
        return Ok(c);
    }
    for _ in 0..8 {
        let code = short_code::generate();
        let taken: i64 = t::table
            .filter(t::code.eq(&code))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            continue;
        }
        diesel::insert_into(t::table)
            .values((
                t::code.eq(&code),
                t::point_id.eq(point_id),
                t::created_at.eq(now()),
            ))
            .execute(conn)?;
        return Ok(code);
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free short code after 8 tries"
    )))
}

pub fn of_point(conn: &mut DbConn, point_id: &PointId) -> Result<Option<String>, AppError> {
    Ok(t::table
        .filter(t::point_id.eq(point_id))
        .select(t::code)
        .first(conn)
        .optional()?)
}

/// Codes of several points, by point id.
pub fn of_points(conn: &mut DbConn, ids: &[PointId]) -> Result<HashMap<PointId, String>, AppError> {
    let rows: Vec<(PointId, String)> = t::table
        .filter(t::point_id.eq_any(ids))
        .select((t::point_id, t::code))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The point a typed code names, if any (`code` already normalised).
pub fn point_of(conn: &mut DbConn, code: &str) -> Result<Option<PointId>, AppError> {
    Ok(t::table
        .filter(t::code.eq(code))
        .select(t::point_id)
        .first(conn)
        .optional()?)
}
