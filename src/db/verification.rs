//! One person, one wallet: pending codes, wrong tries counted per address, verified addresses
//! (the keyed hash is the primary key, so one address never has two wallets), a new device
//! joining the wallet of its address, and the coupons held back until a visitor verifies.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{Coupon, Offer};
use super::schema::*;
use super::{
    checkins as checkin_rows, coupons as coupon_rows, visitors as visitor_rows, write_tx, DbConn,
};
use crate::domain::verification::{LOCK_FOR, MAX_WRONG_CODES};
use crate::error::AppError;

/// An address as the database knows it.
#[derive(Debug, Clone)]
pub struct AddressKey {
    pub hash: String,
    pub channel: &'static str,
    pub hint: String,
}

fn locked_until(
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

fn rate_limited(until: NaiveDateTime, t: NaiveDateTime) -> AppError {
    AppError::RateLimited {
        retry_after_secs: (until - t).num_seconds().max(1) as u64,
    }
}

/// The visitor's language, or 401 when the visitor is unknown (a token from before a restore).
pub fn visitor_locale(conn: &mut DbConn, visitor_id: &str) -> Result<String, AppError> {
    visitors::table
        .find(visitor_id)
        .select(visitors::locale)
        .first(conn)
        .optional()?
        .ok_or_else(unknown_visitor)
}

pub fn unknown_visitor() -> AppError {
    AppError::Unauthorized("this visitor is unknown here; sign up again".into())
}

/// The verified addresses of a wallet: `(channel, hint, verified_at)`.
pub fn addresses_of(
    conn: &mut DbConn,
    visitor_id: &str,
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
    visitor_id: &str,
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
        visitor_id: String,
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

/// Checks a typed code and, when right, binds the address to a wallet: the caller's, or the
/// one the address already has (the caller's device joins it). Runs again when another
/// confirmation of the same address won the race, so it then joins that wallet.
pub fn confirm(
    conn: &mut DbConn,
    visitor_id: &str,
    addr: &AddressKey,
    typed_hash: Option<&str>,
    t: NaiveDateTime,
) -> Result<Confirmed, AppError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write_tx(conn, |conn| {
            confirm_once(conn, visitor_id, addr, typed_hash, t)
        }) {
            Err(AppError::Conflict(_)) if attempt < 5 => continue,
            Err(AppError::Unavailable(_)) if attempt < 5 => continue,
            other => return other,
        }
    }
}

fn confirm_once(
    conn: &mut DbConn,
    visitor_id: &str,
    addr: &AddressKey,
    typed_hash: Option<&str>,
    t: NaiveDateTime,
) -> Result<Confirmed, AppError> {
    if let Some(until) = locked_until(conn, &addr.hash, t)? {
        return Err(rate_limited(until, t));
    }
    let pending: Option<(String, NaiveDateTime)> = verification_codes::table
        .find((&addr.hash, visitor_id))
        .select((
            verification_codes::code_hash,
            verification_codes::expires_at,
        ))
        .first(conn)
        .optional()?;
    let right = match (&pending, typed_hash) {
        (Some((stored, _)), Some(typed)) => constant_eq(stored, typed),
        _ => false,
    };
    if !right {
        return count_wrong(conn, &addr.hash, t);
    }
    let (_, expires_at) = pending.expect("checked");
    if expires_at <= t {
        return Ok(Confirmed::Expired);
    }
    diesel::delete(verification_codes::table.find((&addr.hash, visitor_id))).execute(conn)?;
    diesel::update(verification_locks::table.find(&addr.hash))
        .set(verification_locks::failures.eq(0))
        .execute(conn)?;
    visitor_rows::lock(conn, visitor_id)?;
    let owner: Option<String> = visitor_addresses::table
        .find(&addr.hash)
        .select(visitor_addresses::visitor_id)
        .first(conn)
        .optional()?;
    let (wallet, joined) = match owner {
        Some(w) if w == visitor_id => (w, false),
        Some(w) => {
            if !visitor_rows::is_verified(conn, visitor_id)? {
                join(conn, visitor_id, &w)?;
                super::purchases::join(conn, visitor_id, &w)?;
            }
            (w, true)
        }
        None => {
            diesel::insert_into(visitor_addresses::table)
                .values((
                    visitor_addresses::address_hash.eq(&addr.hash),
                    visitor_addresses::visitor_id.eq(visitor_id),
                    visitor_addresses::channel.eq(addr.channel),
                    visitor_addresses::hint.eq(&addr.hint),
                    visitor_addresses::verified_at.eq(t),
                ))
                .execute(conn)?;
            (visitor_id.to_string(), false)
        }
    };
    let visitor_ref: Option<String> = visitors::table
        .find(&wallet)
        .select(visitors::ref_)
        .first(conn)?;
    let coupons = issue_held_back(conn, &wallet, visitor_ref.as_deref(), t)?;
    Ok(Confirmed::Wallet {
        visitor_id: wallet,
        joined,
        coupons,
        visitor_ref,
    })
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Counts a wrong code against the address; the fifth locks it for a while and drops its codes.
fn count_wrong(conn: &mut DbConn, hash: &str, t: NaiveDateTime) -> Result<Confirmed, AppError> {
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
fn join(conn: &mut DbConn, from: &str, into: &str) -> Result<(), AppError> {
    visitor_rows::lock(conn, into)?;
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

/// Issues what the wallet earned and was held back while unverified (sign-up and check-in
/// offers that need a verified visitor), in every running campaign, if stock remains.
fn issue_held_back(
    conn: &mut DbConn,
    wallet: &str,
    visitor_ref: Option<&str>,
    t: NaiveDateTime,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    let running: Vec<String> = campaigns::table
        .filter(campaigns::status.eq("published"))
        .filter(campaigns::starts_at.le(t))
        .filter(campaigns::ends_at.gt(t))
        .select(campaigns::id)
        .load(conn)?;
    let mut out = Vec::new();
    for c in running {
        let offers = super::catalog::offers_of(conn, &c)?;
        if !offers.iter().any(|o| {
            o.requires_verified && ["signup", "checkins"].contains(&o.trigger_type.as_str())
        }) {
            continue;
        }
        let points = checkin_rows::stamps(conn, wallet, &c)?;
        out.extend(coupon_rows::issue_earned(
            conn,
            &offers,
            wallet,
            points,
            None,
            visitor_ref,
            t,
            true,
        )?);
    }
    out.extend(super::purchases::issue_held_back(
        conn,
        wallet,
        visitor_ref,
        t,
    )?);
    Ok(out)
}
