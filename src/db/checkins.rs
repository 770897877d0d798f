//! Check-ins' rows: the accepted check-in (one per visitor, point and Macau day, and one per
//! nonce, held by unique indexes), the refusals kept for fraud signals, and stamps counted as
//! distinct points visited.

use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::domain::time::{macau_day, now};
use crate::error::AppError;
use crate::types::{CampaignId, CheckinMethod, PointId, RefusalId, VisitorId};

/// A refused scan, as recorded.
pub struct Refused<'a> {
    pub visitor_id: &'a VisitorId,
    pub point: Option<&'a Point>,
    pub reason: &'a str,
    pub method: CheckinMethod,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
}

pub fn refuse(conn: &mut DbConn, r: Refused<'_>) -> Result<(), AppError> {
    let t = now();
    diesel::insert_into(checkin_refusals::table)
        .values(CheckinRefusal {
            id: RefusalId::generate(),
            visitor_id: Some(r.visitor_id.clone()),
            point_id: r.point.map(|p| p.id.clone()),
            campaign_id: r.point.map(|p| p.campaign_id.clone()),
            reason: r.reason.into(),
            method: r.method,
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
    visitor_id: &VisitorId,
    campaign_id: &CampaignId,
) -> Result<Vec<PointId>, AppError> {
    Ok(checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::campaign_id.eq(campaign_id))
        .select(checkins::point_id)
        .load(conn)?)
}

/// A visitor's stamps in a campaign: the distinct points visited.
pub fn stamps(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    campaign_id: &CampaignId,
) -> Result<i64, AppError> {
    let pts: Vec<PointId> = checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::campaign_id.eq(campaign_id))
        .select(checkins::point_id)
        .distinct()
        .load(conn)?;
    Ok(pts.len() as i64)
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
    visitor_id: &VisitorId,
    nonce: &str,
) -> Result<Option<Checkin>, AppError> {
    Ok(checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::nonce.eq(nonce))
        .select(Checkin::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_visitor(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<Vec<Checkin>, AppError> {
    Ok(checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .order(checkins::scanned_at.desc())
        .select(Checkin::as_select())
        .load(conn)?)
}
