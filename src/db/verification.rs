//! One person, one wallet: pending codes, wrong tries counted per address, verified addresses
//! (the keyed hash is the primary key, so one address never has two wallets), a new device
//! joining the wallet of its address, and the coupons held back until a visitor verifies.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{Coupon, Offer};
use super::schema::*;
use super::{visitors as visitor_rows, write_tx, DbConn};
use crate::domain::verification::{LOCK_FOR, MAX_WRONG_CODES};
use crate::error::AppError;
use crate::types::VisitorId;

/// An address as the database knows it.
#[derive(Debug, Clone)]
pub struct AddressKey {
    pub hash: String,
    pub channel: &'static str,
    pub hint: String,
}

pub fn locked_until(
    conn: &mut DbConn,
    hash: &str,
    t: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    let until: Option<Option<NaiveDateTime>> = verification_locks::table
        .find(hash)
        .select(verification_locks::locked_until)
        .first(conn)
        .optional()?;
    Ok(until.flatten().filter(|u| *u > t))
}

pub fn rate_limited(until: NaiveDateTime, t: NaiveDateTime) -> AppError {
    AppError::RateLimited {
        retry_after_secs: (until - t).num_seconds().max(1) as u64,
    }
}

/// The visitor's language, or 401 when the visitor is unknown (a token from before a restore).
pub fn visitor_locale(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<String, AppError> {
    visitors::table
        .find(visitor_id)
        .select(visitors::locale)
        .first(conn)
        .optional()?
        .ok_or_else(unknown_visitor)
}

pub fn unknown_visitor() -> AppError {
    visitor_rows::unknown()
}

/// The verified addresses of a wallet: `(channel, hint, verified_at)`.
pub fn addresses_of(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
) -> Result<Vec<(String, String, NaiveDateTime)>, AppError> {
    Ok(visitor_addresses::table
        .filter(visitor_addresses::visitor_id.eq(visitor_id))
        .order(visitor_addresses::verified_at.asc())
        .select((
            visitor_addresses::channel,
            visitor_addresses::hint,
            visitor_addresses::verified_at,
        ))
        .load(conn)?)
}

/// Stores a fresh code for this visitor and address (replacing an earlier one). Refused while
/// the address is locked after wrong codes.
pub fn store_code(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    addr: &AddressKey,
    code_hash: &str,
    t: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), AppError> {
    if let Some(until) = locked_until(conn, &addr.hash, t)? {
        return Err(rate_limited(until, t));
    }
    // The address's row of wrong tries exists before any code can be tried.
    let has_row = verification_locks::table
        .find(&addr.hash)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !has_row {
        match diesel::insert_into(verification_locks::table)
            .values((
                verification_locks::address_hash.eq(&addr.hash),
                verification_locks::failures.eq(0),
            ))
            .execute(conn)
        {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(e.into()),
        }
    }
    write_tx(conn, |conn| {
        diesel::delete(verification_codes::table.find((&addr.hash, visitor_id))).execute(conn)?;
        diesel::insert_into(verification_codes::table)
            .values((
                verification_codes::address_hash.eq(&addr.hash),
                verification_codes::visitor_id.eq(visitor_id),
                verification_codes::channel.eq(addr.channel),
                verification_codes::hint.eq(&addr.hint),
                verification_codes::code_hash.eq(code_hash),
                verification_codes::created_at.eq(t),
                verification_codes::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// What a confirmation came to.
pub enum Confirmed {
    /// The wallet the device now holds, whether it joined an existing one, and the coupons
    /// issued at verification.
    Wallet {
        visitor_id: VisitorId,
        joined: bool,
        coupons: Vec<(Coupon, Offer)>,
        /// The wallet's traffic source (for its new token).
        visitor_ref: Option<String>,
    },
    /// A wrong code (counted); `locked` when it was the last allowed.
    Wrong {
        locked: bool,
    },
    Expired,
}

/// The pending code of an address for this visitor: `(code hash, expires_at)`.
pub fn pending_code(
    conn: &mut DbConn,
    hash: &str,
    visitor_id: &VisitorId,
) -> Result<Option<(String, NaiveDateTime)>, AppError> {
    Ok(verification_codes::table
        .find((hash, visitor_id))
        .select((
            verification_codes::code_hash,
            verification_codes::expires_at,
        ))
        .first(conn)
        .optional()?)
}

/// A right code is used up, and the address's wrong tries forgotten.
pub fn code_used(conn: &mut DbConn, hash: &str, visitor_id: &VisitorId) -> Result<(), AppError> {
    diesel::delete(verification_codes::table.find((hash, visitor_id))).execute(conn)?;
    diesel::update(verification_locks::table.find(hash))
        .set(verification_locks::failures.eq(0))
        .execute(conn)?;
    Ok(())
}

/// The wallet an address belongs to.
pub fn owner(conn: &mut DbConn, hash: &str) -> Result<Option<String>, AppError> {
    Ok(visitor_addresses::table
        .find(hash)
        .select(visitor_addresses::visitor_id)
        .first(conn)
        .optional()?)
}

/// Binds an address to a wallet (the hash is the primary key: one address, one wallet).
pub fn bind(
    conn: &mut DbConn,
    addr: &AddressKey,
    visitor_id: &VisitorId,
    t: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(visitor_addresses::table)
        .values((
            visitor_addresses::address_hash.eq(&addr.hash),
            visitor_addresses::visitor_id.eq(visitor_id),
            visitor_addresses::channel.eq(addr.channel),
            visitor_addresses::hint.eq(&addr.hint),
            visitor_addresses::verified_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts a wrong code against the address; the fifth locks it for a while and drops its codes.
pub fn count_wrong(conn: &mut DbConn, hash: &str, t: NaiveDateTime) -> Result<Confirmed, AppError> {
    let n = diesel::update(verification_locks::table.find(hash))
        .set(verification_locks::failures.eq(verification_locks::failures + 1))
        .execute(conn)?;
    if n == 0 {
        // No code was ever sent to this address: nothing to guess.
        return Ok(Confirmed::Wrong { locked: false });
    }
    let failures: i32 = verification_locks::table
        .find(hash)
        .select(verification_locks::failures)
        .first(conn)?;
    if failures < MAX_WRONG_CODES {
        return Ok(Confirmed::Wrong { locked: false });
    }
    diesel::update(verification_locks::table.find(hash))
        .set((
            verification_locks::failures.eq(0),
            verification_locks::locked_until.eq(Some(t + LOCK_FOR)),
        ))
        .execute(conn)?;
    diesel::delete(verification_codes::table.filter(verification_codes::address_hash.eq(hash)))
        .execute(conn)?;
    Ok(Confirmed::Wrong { locked: true })
}

/// A new device's visitor joins the wallet of its address: its check-ins and coupons move
/// over where the wallet has room (one check-in per point and day; per-person limits),
/// and what does not fit stays behind with the device's old, now unused, visitor.
pub fn join(conn: &mut DbConn, from: &VisitorId, into: &VisitorId) -> Result<(), AppError> {
    visitor_rows::lock(conn, into)?;
    super::checkins::hold_cards(conn, from, into)?;
    let have: std::collections::HashSet<(String, chrono::NaiveDate)> = checkins::table
        .filter(checkins::visitor_id.eq(into))
        .select((checkins::point_id, checkins::day))
        .load::<(String, chrono::NaiveDate)>(conn)?
        .into_iter()
        .collect();
    let theirs: Vec<(String, String, chrono::NaiveDate)> = checkins::table
        .filter(checkins::visitor_id.eq(from))
        .select((checkins::id, checkins::point_id, checkins::day))
        .load(conn)?;
    for (id, point, day) in theirs {
        if !have.contains(&(point, day)) {
            diesel::update(checkins::table.find(&id))
                .set(checkins::visitor_id.eq(into))
                .execute(conn)?;
        }
    }
    // One person, one first visit per campaign: the wallet's earliest check-in keeps it, the
    // ones moved in (or left behind) are repeat visits of the same person.
    super::checkins::mark_first_visits(conn, into)?;
    diesel::update(checkins::table.filter(checkins::visitor_id.eq(from)))
        .set(checkins::first_visit.eq(false))
        .execute(conn)?;
    super::checkins::recount_cards(conn, Some(into))?;
    super::checkins::recount_cards(conn, Some(from))?;
    let coupons: Vec<(String, String, i32)> = coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::visitor_id.eq(from))
        .order(coupons::issued_at.asc())
        .select((coupons::id, coupons::offer_id, offers::per_visitor_limit))
        .load(conn)?;
    for (id, offer, limit) in coupons {
        let held: i64 = coupons::table
            .filter(coupons::offer_id.eq(&offer))
            .filter(coupons::visitor_id.eq(into))
            .count()
            .get_result(conn)?;
        if held < i64::from(limit) {
            diesel::update(coupons::table.find(&id))
                .set((
                    coupons::visitor_id.eq(into),
                    coupons::seq.eq((held + 1) as i32),
                ))
                .execute(conn)?;
        }
    }
    tracing::info!(device_visitor = %from, wallet = %into, "a device joined its owner's wallet");
    Ok(())
}
