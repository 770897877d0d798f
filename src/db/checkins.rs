//! Check-ins' rows: the accepted check-in (one per visitor, point and Macau day, and one per
//! nonce, held by unique indexes), the refusals kept for fraud signals, and stamps counted as
//! distinct points visited.

use diesel::prelude::*;

use super::catalog::new_id;
use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::domain::time::{macau_day, now};
use crate::error::AppError;

/// A refused scan, as recorded.
pub struct Refused<'a> {
    pub visitor_id: &'a str,
    pub point: Option<&'a Point>,
    pub reason: &'a str,
    pub method: &'a str,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

pub fn refuse(conn: &mut DbConn, r: Refused<'_>) -> Result<(), AppError> {
    let t = now();
    diesel::insert_into(checkin_refusals::table)
        .values(CheckinRefusal {
            id: new_id(),
            visitor_id: Some(r.visitor_id.to_string()),
            point_id: r.point.map(|p| p.id.clone()),
            campaign_id: r.point.map(|p| p.campaign_id.clone()),
            reason: r.reason.into(),
            method: r.method.to_string(),
            lat: r.lat,
            lng: r.lng,
            day: macau_day(t),
            created_at: t,
        })
        .execute(conn)?;
    Ok(())
}

/// The points a visitor has checked in at in a campaign (one entry per check-in).
pub fn points_visited(
    conn: &mut DbConn,
    visitor_id: &str,
    campaign_id: &str,
) -> Result<Vec<String>, AppError> {
    Ok(checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::campaign_id.eq(campaign_id))
        .select(checkins::point_id)
        .load(conn)?)
}

/// A visitor's stamps in a campaign: the distinct points visited.
pub fn stamps(conn: &mut DbConn, visitor_id: &str, campaign_id: &str) -> Result<i64, AppError> {
    let pts: Vec<String> = checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::campaign_id.eq(campaign_id))
        .select(checkins::point_id)
        .distinct()
        .load(conn)?;
    Ok(pts.len() as i64)
}

/// Marks exactly one check-in per campaign of a visitor as its first visit: the earliest
/// scanned (then the smallest id); the others not. Run after check-ins moved into a wallet.
pub fn mark_first_visits(conn: &mut DbConn, visitor_id: &str) -> Result<(), AppError> {
    let rows: Vec<(String, String, chrono::NaiveDateTime, bool)> = checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .order((
            checkins::campaign_id.asc(),
            checkins::scanned_at.asc(),
            checkins::id.asc(),
        ))
        .select((
            checkins::id,
            checkins::campaign_id,
            checkins::scanned_at,
            checkins::first_visit,
        ))
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    for (id, campaign, _, first) in rows {
        let should = seen.insert(campaign);
        if first != should {
            diesel::update(checkins::table.find(&id))
                .set(checkins::first_visit.eq(should))
                .execute(conn)?;
        }
    }
    Ok(())
}

pub fn insert(conn: &mut DbConn, c: &Checkin) -> Result<(), AppError> {
    diesel::insert_into(checkins::table)
        .values(c)
        .execute(conn)?;
    Ok(())
}

/// The check-in a visitor recorded with this nonce.
pub fn by_nonce(
    conn: &mut DbConn,
    visitor_id: &str,
    nonce: &str,
) -> Result<Option<Checkin>, AppError> {
    Ok(checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::nonce.eq(nonce))
        .select(Checkin::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_visitor(conn: &mut DbConn, visitor_id: &str) -> Result<Vec<Checkin>, AppError> {
    Ok(checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .order(checkins::scanned_at.desc())
        .select(Checkin::as_select())
        .load(conn)?)
}
