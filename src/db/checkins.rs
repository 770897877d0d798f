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

/// What recording a check-in learnt in the same statement.
#[derive(Debug, QueryableByName)]
pub struct Recorded {
    /// No earlier check-in of the visitor in the campaign.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub first_visit: bool,
    /// The visitor's stamps in the campaign with this check-in: distinct points visited.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub stamps: i64,
}

/// Inserts an accepted check-in in one statement that also decides `first_visit` and counts
/// the stamps (the other points visited, plus this one, so it does not matter whether the
/// count sees the new row), and that writes nothing when the visitor is unknown or banned or
/// the point retired (`None`: the caller asks why). On PostgreSQL the caller holds the
/// visitor's lock from an earlier statement, so this statement's snapshot already sees every
/// earlier check-in of the visitor; on SQLite the write transaction does. A second check-in of
/// the day at the point, or a nonce used again, fails on the unique indexes (`Conflict`).
pub fn record(conn: &mut DbConn, c: &Checkin) -> Result<Option<Recorded>, AppError> {
    use diesel::sql_types::{Date, Double, Nullable, Text, Timestamp};
    // Values in the order they appear (the visitor, campaign and point more than once).
    let q = crate::fixed!(
        "INSERT INTO checkins (id, visitor_id, point_id, campaign_id, method, day, \
         scanned_at, received_at, lat, lng, nonce, ref, first_visit) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
         NOT EXISTS (SELECT 1 FROM checkins e WHERE e.visitor_id = ? AND e.campaign_id = ?) \
         FROM visitors v WHERE v.id = ? AND v.banned_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM points p WHERE p.id = ? AND p.retired_at IS NOT NULL) \
         RETURNING first_visit, 1 + (SELECT COUNT(DISTINCT e.point_id) FROM checkins e \
         WHERE e.visitor_id = ? AND e.campaign_id = ? AND e.point_id <> ?) AS stamps"
    )
    .bind::<Text, _>(&c.id)
    .bind::<Text, _>(&c.visitor_id)
    .bind::<Text, _>(&c.point_id)
    .bind::<Text, _>(&c.campaign_id)
    .bind::<Text, _>(&c.method)
    .bind::<Date, _>(c.day)
    .bind::<Timestamp, _>(c.scanned_at)
    .bind::<Timestamp, _>(c.received_at)
    .bind::<Nullable<Double>, _>(c.lat)
    .bind::<Nullable<Double>, _>(c.lng)
    .bind::<Nullable<Text>, _>(c.nonce.as_deref())
    .bind::<Nullable<Text>, _>(c.ref_.as_deref())
    .bind::<Text, _>(&c.visitor_id)
    .bind::<Text, _>(&c.campaign_id)
    .bind::<Text, _>(&c.visitor_id)
    .bind::<Text, _>(&c.point_id)
    .bind::<Text, _>(&c.visitor_id)
    .bind::<Text, _>(&c.campaign_id)
    .bind::<Text, _>(&c.point_id);
    let rows: Vec<Recorded> = match conn {
        DbConn::Pg(pg) => q.load(pg)?,
        DbConn::Sqlite(lite) => q.load(lite)?,
    };
    Ok(rows.into_iter().next())
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
