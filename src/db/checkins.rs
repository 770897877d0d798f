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
#[derive(Debug)]
pub struct Recorded {
    /// No earlier check-in of the visitor in the campaign.
    pub first_visit: bool,
    /// The visitor's stamps in the campaign with this check-in: distinct points visited.
    pub stamps: i64,
    /// What the visitor held, read by the same statement, so the caller can tell whether
    /// coupons are owed without asking again.
    pub holding: Holding,
}

/// A visitor's coupons per offer of the campaign, and whether its address is verified.
#[derive(Debug)]
pub struct Holding {
    pub held: std::collections::HashMap<String, i64>,
    pub verified: bool,
}

impl Holding {
    /// From the statement's `verified` and its `offer n` pairs, comma-separated.
    fn read(verified: bool, held: Option<&str>) -> Holding {
        Holding {
            held: held
                .unwrap_or_default()
                .split(',')
                .filter_map(|pair| pair.split_once(' '))
                .filter_map(|(offer, n)| Some((offer.to_owned(), n.parse().ok()?)))
                .collect(),
            verified,
        }
    }
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    first_visit: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    stamps: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    verified: bool,
    /// `offer n` pairs, comma-separated.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    held: Option<String>,
}

/// What [`record`] did.
#[derive(Debug)]
pub enum Record {
    /// The check-in is written (committed, when the statement ran on its own).
    Written(Recorded),
    /// Nothing written: the visitor is unknown or banned, or the point retired (the caller
    /// asks which).
    NotAllowed,
    /// Nothing written: this check-in's stamp would reach one of the counts it was told to
    /// stop at; the caller records it again inside a transaction that issues what it earns.
    AtThreshold,
}

/// What the one-statement check-in on PostgreSQL read beside the write.
#[derive(Debug, QueryableByName)]
struct AtOnce {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    allowed: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    first_visit: Option<bool>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    stamps: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    verified: bool,
    /// `offer n` pairs, comma-separated.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    held: Option<String>,
}

/// Binds a check-in row's twelve stored values (all but `first_visit`), in the column order
/// both backends' statements list them.
macro_rules! bind_row {
    ($q:expr, $c:expr) => {
        $q.bind::<Text, _>(&$c.id)
            .bind::<Text, _>(&$c.visitor_id)
            .bind::<Text, _>(&$c.point_id)
            .bind::<Text, _>(&$c.campaign_id)
            .bind::<Text, _>(&$c.method)
            .bind::<Date, _>($c.day)
            .bind::<Timestamp, _>($c.scanned_at)
            .bind::<Timestamp, _>($c.received_at)
            .bind::<Nullable<Double>, _>($c.lat)
            .bind::<Nullable<Double>, _>($c.lng)
            .bind::<Nullable<Text>, _>($c.nonce.as_deref())
            .bind::<Nullable<Text>, _>($c.ref_.as_deref())
    };
}

/// Inserts an accepted check-in in one statement that also decides `first_visit` and counts
/// the stamps, and that writes nothing when the visitor is unknown or banned or the point
/// retired. A second check-in of the day at the point, or a nonce used again, fails on the
/// unique indexes (`Conflict`).
///
/// On SQLite the write transaction (one writer) makes the count exact: the stamps are the
/// other points visited plus this one. On PostgreSQL the statement adds the point to the
/// visitor's stamp card (`stamp_cards`) by `INSERT ... ON CONFLICT DO UPDATE`, which works on
/// the card's latest version under its row lock: the count is exact with no earlier lock, so
/// the statement can run on its own, committed in one round trip. Run that way, it writes
/// nothing when the stamp would reach a count in `stop_at` (a threshold where coupons may be
/// due, `AtThreshold`), so that coupons and check-in are never committed apart; inside the
/// transaction that issues, `stop_at` is empty.
pub fn record(conn: &mut DbConn, c: &Checkin, stop_at: &[i64]) -> Result<Record, AppError> {
    use diesel::sql_types::{Array, BigInt, Date, Double, Nullable, Text, Timestamp};
    let lite = match conn {
        DbConn::Sqlite(lite) => lite,
        DbConn::Pg(pg) => {
            // Values in the order they appear. The card's creation is the first visit; a
            // card met at a point already on it is rewritten unchanged, so the answer still
            // reads the latest card.
            let q = crate::fixed!(
                "WITH ok AS (SELECT 1 FROM visitors v WHERE v.id = ? AND v.banned_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM points p WHERE p.id = ? AND p.retired_at IS NOT NULL)), \
                 card AS (INSERT INTO stamp_cards AS s (visitor_id, campaign_id, points) \
                 SELECT ?, ?, ARRAY[?::text] FROM ok \
                 WHERE NOT (1 = ANY(?) AND NOT EXISTS (SELECT 1 FROM stamp_cards e \
                 WHERE e.visitor_id = ? AND e.campaign_id = ?)) \
                 ON CONFLICT (visitor_id, campaign_id) DO UPDATE SET points = CASE \
                 WHEN excluded.points[1] = ANY(s.points) THEN s.points \
                 ELSE s.points || excluded.points END \
                 WHERE excluded.points[1] = ANY(s.points) \
                 OR NOT (cardinality(s.points) + 1 = ANY(?)) \
                 RETURNING cardinality(s.points)::bigint AS stamps, (s.xmax = 0) AS first_visit), \
                 ins AS (INSERT INTO checkins (id, visitor_id, point_id, campaign_id, method, day, \
                 scanned_at, received_at, lat, lng, nonce, ref, first_visit) \
                 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, card.first_visit FROM card) \
                 SELECT EXISTS (SELECT 1 FROM ok) AS allowed, \
                 (SELECT first_visit FROM card) AS first_visit, \
                 (SELECT stamps FROM card) AS stamps, \
                 EXISTS (SELECT 1 FROM visitor_addresses a WHERE a.visitor_id = ?) AS verified, \
                 (SELECT string_agg(h.offer_id || ' ' || h.n, ',') FROM (SELECT offer_id, \
                 COUNT(*) AS n FROM coupons WHERE visitor_id = ? AND campaign_id = ? \
                 GROUP BY offer_id) h) AS held"
            )
            .bind::<Text, _>(&c.visitor_id)
            .bind::<Text, _>(&c.point_id)
            .bind::<Text, _>(&c.visitor_id)
            .bind::<Text, _>(&c.campaign_id)
            .bind::<Text, _>(&c.point_id)
            .bind::<Array<BigInt>, _>(stop_at)
            .bind::<Text, _>(&c.visitor_id)
            .bind::<Text, _>(&c.campaign_id)
            .bind::<Array<BigInt>, _>(stop_at);
            let q = bind_row!(q, c)
                .bind::<Text, _>(&c.visitor_id)
                .bind::<Text, _>(&c.visitor_id)
                .bind::<Text, _>(&c.campaign_id);
            let r: AtOnce = q.get_result(pg)?;
            return Ok(match (r.allowed, r.first_visit, r.stamps) {
                (false, _, _) => Record::NotAllowed,
                (true, Some(first_visit), Some(stamps)) => Record::Written(Recorded {
                    first_visit,
                    stamps,
                    holding: Holding::read(r.verified, r.held.as_deref()),
                }),
                (true, _, _) => Record::AtThreshold,
            });
        }
    };
    // Values in the order they appear (the visitor, campaign and point more than once). The
    // held coupons are found by the visitor's index: `+campaign_id` keeps SQLite from walking
    // the campaign's, every coupon of the campaign.
    let q = crate::fixed!(
        "INSERT INTO checkins (id, visitor_id, point_id, campaign_id, method, day, \
         scanned_at, received_at, lat, lng, nonce, ref, first_visit) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
         NOT EXISTS (SELECT 1 FROM checkins e WHERE e.visitor_id = ? AND e.campaign_id = ?) \
         FROM visitors v WHERE v.id = ? AND v.banned_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM points p WHERE p.id = ? AND p.retired_at IS NOT NULL) \
         RETURNING first_visit, 1 + (SELECT COUNT(DISTINCT e.point_id) FROM checkins e \
         WHERE e.visitor_id = ? AND e.campaign_id = ? AND e.point_id <> ?) AS stamps, \
         EXISTS (SELECT 1 FROM visitor_addresses a WHERE a.visitor_id = ?) AS verified, \
         (SELECT group_concat(h.offer_id || ' ' || h.n, ',') FROM (SELECT offer_id, \
         COUNT(*) AS n FROM coupons WHERE visitor_id = ? AND +campaign_id = ? \
         GROUP BY offer_id) h) AS held"
    );
    let q = bind_row!(q, c)
        .bind::<Text, _>(&c.visitor_id)
        .bind::<Text, _>(&c.campaign_id)
        .bind::<Text, _>(&c.visitor_id)
        .bind::<Text, _>(&c.point_id)
        .bind::<Text, _>(&c.visitor_id)
        .bind::<Text, _>(&c.campaign_id)
        .bind::<Text, _>(&c.point_id)
        .bind::<Text, _>(&c.visitor_id)
        .bind::<Text, _>(&c.visitor_id)
        .bind::<Text, _>(&c.campaign_id);
    let rows: Vec<Counted> = q.load(lite)?;
    Ok(match rows.into_iter().next() {
        Some(r) => Record::Written(Recorded {
            first_visit: r.first_visit,
            stamps: r.stamps,
            holding: Holding::read(r.verified, r.held.as_deref()),
        }),
        None => Record::NotAllowed,
    })
}

/// PostgreSQL, before check-ins move from one visitor to another (a wallet join): takes the
/// row locks of the cards the move will rebuild, creating the receiving visitor's card where
/// it has none yet. A check-in holds its card while it inserts its row, so a move that locked
/// the cards only when recounting them could wait for that check-in while the check-in waits
/// for a row the move had already given the same point and day: a deadlock. Taking the cards
/// first orders the two (and the move then reads the receiver's check-ins with every check-in
/// that held a card committed). SQLite's one writer needs nothing.
pub fn hold_cards(conn: &mut DbConn, from: &VisitorId, into: &VisitorId) -> Result<(), AppError> {
    use diesel::sql_types::Text;
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    diesel::sql_query(
        "INSERT INTO stamp_cards (visitor_id, campaign_id, points) \
         SELECT DISTINCT $2, campaign_id, CAST('{}' AS text[]) FROM checkins WHERE visitor_id = $1 \
         ON CONFLICT (visitor_id, campaign_id) DO UPDATE SET points = stamp_cards.points",
    )
    .bind::<Text, _>(from)
    .bind::<Text, _>(into)
    .execute(pg)?;
    diesel::sql_query(
        "SELECT visitor_id FROM stamp_cards WHERE visitor_id = $1 ORDER BY campaign_id FOR UPDATE",
    )
    .bind::<Text, _>(from)
    .execute(pg)?;
    Ok(())
}

/// Rebuilds the stamp cards of PostgreSQL from the check-ins: one visitor's after check-ins
/// moved to or from it, or every visitor's after check-ins were bulk-loaded. SQLite keeps no
/// cards.
pub fn recount_cards(conn: &mut DbConn, visitor: Option<&VisitorId>) -> Result<(), AppError> {
    use diesel::sql_types::{Nullable, Text};
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    // No visitor: every card.
    diesel::sql_query("DELETE FROM stamp_cards WHERE $1::text IS NULL OR visitor_id = $1")
        .bind::<Nullable<Text>, _>(visitor)
        .execute(pg)?;
    diesel::sql_query(
        "INSERT INTO stamp_cards (visitor_id, campaign_id, points) \
         SELECT visitor_id, campaign_id, array_agg(DISTINCT point_id) FROM checkins \
         WHERE $1::text IS NULL OR visitor_id = $1 GROUP BY visitor_id, campaign_id",
    )
    .bind::<Nullable<Text>, _>(visitor)
    .execute(pg)?;
    Ok(())
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
