//! Visitors' rows: sign-up, the lock that serialises one visitor's issuance, and what other
//! writes read about a visitor (its traffic source, whether it verified).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::Visitor;
use super::schema::*;
use super::DbConn;
use crate::error::{AppError, Code};
use crate::types::{CampaignId, CampaignStatus, VisitorId};

pub fn insert(conn: &mut DbConn, v: &Visitor) -> Result<(), AppError> {
    diesel::insert_into(visitors::table)
        .values(v)
        .execute(conn)?;
    Ok(())
}

/// The campaigns running at `t` (published, started, not ended).
pub fn running_campaigns(conn: &mut DbConn, t: NaiveDateTime) -> Result<Vec<CampaignId>, AppError> {
    Ok(campaigns::table
        .filter(campaigns::status.eq(CampaignStatus::Published))
        .filter(campaigns::starts_at.le(t))
        .filter(campaigns::ends_at.gt(t))
        .select(campaigns::id)
        .load(conn)?)
}

/// Serialises a visitor's writes before statements that must see all of the visitor's earlier
/// rows: on PostgreSQL the visitor's row lock, taken by its own statement; on SQLite nothing,
/// as `BEGIN IMMEDIATE` already lets one writer in at a time.
pub fn serialise(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<(), AppError> {
    match conn {
        DbConn::Pg(_) => lock(conn, visitor_id),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Locks the visitor's row for the rest of the transaction (serialises one visitor's issuance)
/// and refuses a banned visitor. On PostgreSQL the lock is `FOR NO KEY UPDATE`: holders take
/// turns, while rows that merely refer to the visitor (a check-in written on its own, which
/// takes the key-share lock of its foreign key while it holds the visitor's stamp card) are
/// not held up behind it, so the two never wait for each other.
pub fn lock(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<(), AppError> {
    let found: Vec<Option<NaiveDateTime>> = match conn {
        DbConn::Pg(c) => visitors::table
            .find(visitor_id)
            .select(visitors::banned_at)
            .for_no_key_update()
            .load(c)?,
        // `BEGIN IMMEDIATE` already lets one writer in at a time.
        DbConn::Sqlite(c) => visitors::table
            .find(visitor_id)
            .select(visitors::banned_at)
            .load(c)?,
    };
    match found.first() {
        None => Err(unknown()),
        Some(Some(_)) => Err(banned()),
        Some(None) => Ok(()),
    }
}

/// A visitor token naming a visitor the database does not hold (after a restore).
pub fn unknown() -> AppError {
    AppError::Unauthorized("this visitor is unknown here; sign up again".into())
}

pub fn banned() -> AppError {
    AppError::rule(
        Code::VisitorBanned,
        "This wallet has been suspended by the campaign's organisers.",
    )
}

/// The visitor's traffic source (`None` for an unknown visitor too).
pub fn traffic_ref(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<Option<String>, AppError> {
    Ok(visitors::table
        .find(visitor_id)
        .select(visitors::ref_)
        .first(conn)
        .optional()?
        .flatten())
}

pub fn exists(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<bool, AppError> {
    Ok(visitors::table
        .find(visitor_id)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Whether the visitor has verified a phone number or an e-mail.
pub fn is_verified(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<bool, AppError> {
    Ok(visitor_addresses::table
        .filter(visitor_addresses::visitor_id.eq(visitor_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
