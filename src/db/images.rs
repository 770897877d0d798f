//! Stored pictures (`images`): one per campaign (its cover) and one per shop (its photo).

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::images as t;
use super::DbConn;
use crate::domain::imagery::Prepared;
use crate::domain::time::now;
use crate::error::AppError;

pub struct Stored {
    pub content_type: String,
    pub data: Vec<u8>,
    pub etag: String,
}

/// Replaces the owner's picture (call inside a write transaction).
pub fn put(
    conn: &mut DbConn,
    owner_kind: &str,
    owner_id: &str,
    p: &Prepared,
) -> Result<(), AppError> {
    diesel::delete(
        t::table
            .filter(t::owner_kind.eq(owner_kind))
            .filter(t::owner_id.eq(owner_id)),
    )
    .execute(conn)?;
    diesel::insert_into(t::table)
        .values((
            t::owner_kind.eq(owner_kind),
            t::owner_id.eq(owner_id),
            t::content_type.eq("image/jpeg"),
            t::data.eq(&p.jpeg),
            t::width.eq(p.width as i32),
            t::height.eq(p.height as i32),
            t::etag.eq(&p.etag),
            t::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(
    conn: &mut DbConn,
    owner_kind: &str,
    owner_id: &str,
) -> Result<Option<Stored>, AppError> {
    let row: Option<(String, Vec<u8>, String)> = t::table
        .filter(t::owner_kind.eq(owner_kind))
        .filter(t::owner_id.eq(owner_id))
        .select((t::content_type, t::data, t::etag))
        .first(conn)
        .optional()?;
    Ok(row.map(|(content_type, data, etag)| Stored {
        content_type,
        data,
        etag,
    }))
}

/// The etags of every picture of a kind, by owner (to build the URLs in answers).
pub fn etags(conn: &mut DbConn, owner_kind: &str) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = t::table
        .filter(t::owner_kind.eq(owner_kind))
        .select((t::owner_id, t::etag))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
