//! Display devices of rotating points: one-time setup codes exchanged for a device, and
//! revocation.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::catalog::new_id;
use super::models::*;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::time::now;
use crate::error::AppError;
use crate::types::PointId;

pub fn insert_device_setup(
    conn: &mut DbConn,
    hash: &str,
    point_id: &PointId,
    by: &str,
    expires_at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(device_setups::table)
        .values((
            device_setups::code_hash.eq(hash),
            device_setups::point_id.eq(point_id),
            device_setups::created_by.eq(by),
            device_setups::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Exchanges a one-time setup code for a device; the code cannot be used twice.
pub fn activate_device(conn: &mut DbConn, hash: &str) -> Result<(String, Point), AppError> {
    let t = now();
    write_tx(conn, |conn| {
        let n = diesel::update(
            device_setups::table
                .find(hash)
                .filter(device_setups::used_at.is_null())
                .filter(device_setups::expires_at.gt(t)),
        )
        .set(device_setups::used_at.eq(Some(t)))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::Unauthorized(
                "this setup code is unknown, used or expired".into(),
            ));
        }
        let point_id: PointId = device_setups::table
            .find(hash)
            .select(device_setups::point_id)
            .first(conn)?;
        let id = new_id();
        diesel::insert_into(devices::table)
            .values((
                devices::id.eq(&id),
                devices::point_id.eq(&point_id),
                devices::created_at.eq(t),
            ))
            .execute(conn)?;
        let p = super::catalog::find_point(conn, &point_id)?;
        Ok((id, p))
    })
}

pub fn device_active(conn: &mut DbConn, id: &str) -> Result<bool, AppError> {
    Ok(devices::table
        .find(id)
        .filter(devices::revoked_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        == 1)
}

pub fn revoke_device(conn: &mut DbConn, id: &str) -> Result<bool, AppError> {
    Ok(diesel::update(
        devices::table
            .find(id)
            .filter(devices::revoked_at.is_null()),
    )
    .set(devices::revoked_at.eq(Some(now())))
    .execute(conn)?
        == 1)
}
