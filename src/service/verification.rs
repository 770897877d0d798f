//! One person, one wallet: confirming an address binds it to a wallet (the caller's, or the
//! one the address already has: the device joins it) and issues what was held back until the
//! visitor verified.

use chrono::NaiveDateTime;

use crate::db::models::{Coupon, Offer};
use crate::db::verification::{self as store, AddressKey, Confirmed};
use crate::db::{catalog, checkins, coupons, purchases, visitors, write_tx, DbConn};
use crate::domain::time::to_rfc3339;
use crate::error::AppError;
use crate::types::{TriggerType, VisitorId};
use crate::views::verification::{VerificationStatus, VerifiedAddress};

/// Whether the visitor verified, its addresses' hints, and the channels that can send codes
/// (`GET /visitors/verification`).
pub fn status(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    channels: Vec<crate::types::VerificationChannel>,
) -> Result<VerificationStatus, AppError> {
    let rows = store::addresses_of(conn, visitor_id)?;
    Ok(VerificationStatus {
        verified: !rows.is_empty(),
        addresses: rows
            .into_iter()
            .map(|(channel, hint, t)| VerifiedAddress {
                channel,
                hint,
                verified_at: to_rfc3339(t),
            })
            .collect(),
        channels,
    })
}

/// Checks a typed code and, when right, binds the address to a wallet. Runs again when
/// another confirmation of the same address won the race, so it then joins that wallet.
pub fn confirm(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    addr: &AddressKey,
    typed_hash: Option<&str>,
    t: NaiveDateTime,
) -> Result<Confirmed, AppError> {
    store::visitor_locale(conn, visitor_id)?;
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
    visitor_id: &VisitorId,
    addr: &AddressKey,
    typed_hash: Option<&str>,
    t: NaiveDateTime,
) -> Result<Confirmed, AppError> {
    if let Some(until) = store::locked_until(conn, &addr.hash, t)? {
        return Err(store::rate_limited(until, t));
    }
    let pending = store::pending_code(conn, &addr.hash, visitor_id)?;
    let right = match (&pending, typed_hash) {
        (Some((stored, _)), Some(typed)) => constant_eq(stored, typed),
        _ => false,
    };
    if !right {
        return store::count_wrong(conn, &addr.hash, t);
    }
    let (_, expires_at) = pending.expect("checked");
    if expires_at <= t {
        return Ok(Confirmed::Expired);
    }
    store::code_used(conn, &addr.hash, visitor_id)?;
    visitors::lock(conn, visitor_id)?;
    let (wallet, joined) = match store::owner(conn, &addr.hash)?.map(VisitorId::from) {
        Some(w) if w == *visitor_id => (w, false),
        Some(w) => {
            if !visitors::is_verified(conn, visitor_id)? {
                store::join(conn, visitor_id, &w)?;
                purchases::join(conn, visitor_id, &w)?;
            }
            (w, true)
        }
        None => {
            store::bind(conn, addr, visitor_id, t)?;
            (visitor_id.clone(), false)
        }
    };
    let visitor_ref = visitors::traffic_ref(conn, &wallet)?;
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

/// Issues what the wallet earned and was held back while unverified (sign-up, check-in and
/// purchase offers that need a verified visitor), in every running campaign, if stock remains.
fn issue_held_back(
    conn: &mut DbConn,
    wallet: &VisitorId,
    visitor_ref: Option<&str>,
    t: NaiveDateTime,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    let mut out = Vec::new();
    for c in visitors::running_campaigns(conn, t)? {
        let offers = catalog::offers_of(conn, &c)?;
        if !offers.iter().any(|o| {
            o.requires_verified
                && matches!(o.trigger_type, TriggerType::Signup | TriggerType::Checkins)
        }) {
            continue;
        }
        let points = checkins::stamps(conn, wallet, &c)?;
        out.extend(coupons::issue_earned(
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
    out.extend(purchases::issue_held_back(conn, wallet, visitor_ref, t)?);
    Ok(out)
}
