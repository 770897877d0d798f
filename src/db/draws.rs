//! Fair draws (see `domain::draw` for how winners are chosen and checked).
//!
//! Exactly once, on any number of processes and across restarts:
//! - a process claims a due draw with one conditional update (`open → drawing`, or a
//!   `drawing` claim older than the lease, left by a process that died);
//! - each winner's entry moves `pending → won` by a conditional update in the same transaction
//!   that issues its coupon, so a winner is paid once whoever finishes the draw;
//! - the losers are marked and the draw moves `drawing → done` last.
//!
//! Entries add to `draws.entry_count` by a conditional update on the draw row while it is
//! `open` and before the close, so no entry can slip in once a draw has been claimed.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::draw;
use crate::domain::issuance::NotIssued;
use crate::domain::time::now;
use crate::error::AppError;
use crate::types::{CouponId, DrawEntryId, DrawOutcome, DrawStatus, OfferId, VisitorId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = draws)]
pub struct Draw {
    pub offer_id: OfferId,
    pub seed: String,
    pub commitment: String,
    pub entries_close_at: NaiveDateTime,
    pub draw_at: NaiveDateTime,
    pub status: DrawStatus,
    pub entry_count: i32,
    pub claimed_at: Option<NaiveDateTime>,
    pub attempts: i32,
    pub drawn_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = draw_entries)]
pub struct Entry {
    pub id: DrawEntryId,
    pub offer_id: OfferId,
    pub visitor_id: VisitorId,
    pub person: String,
    pub created_at: NaiveDateTime,
    pub outcome: DrawOutcome,
    pub coupon_id: Option<CouponId>,
    pub note: Option<String>,
}

/// How long a claim on a draw holds before another process may finish it
/// (`BAIRRO_DRAW_LEASE_SECONDS`, default 60).
pub fn lease() -> Duration {
    let s = std::env::var("BAIRRO_DRAW_LEASE_SECONDS")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(60);
    Duration::seconds(s)
}

/// Creates the draw of a new `draw` offer, with its secret seed and public commitment.
pub fn create(
    conn: &mut DbConn,
    offer_id: &OfferId,
    entries_close_at: NaiveDateTime,
    draw_at: NaiveDateTime,
) -> Result<Draw, AppError> {
    let seed = draw::new_seed();
    let d = Draw {
        offer_id: offer_id.clone(),
        commitment: draw::commitment(&seed),
        seed,
        entries_close_at,
        draw_at,
        status: DrawStatus::Open,
        entry_count: 0,
        claimed_at: None,
        attempts: 0,
        drawn_at: None,
    };
    diesel::insert_into(draws::table).values(&d).execute(conn)?;
    Ok(d)
}

pub fn find(conn: &mut DbConn, offer_id: &OfferId) -> Result<Option<Draw>, AppError> {
    Ok(draws::table
        .find(offer_id)
        .select(Draw::as_select())
        .first(conn)
        .optional()?)
}

pub fn not_a_draw() -> AppError {
    AppError::NotFound("no draw for this offer".into())
}

/// How many entries a person has in an offer's draw.
pub fn entries_of_person(
    conn: &mut DbConn,
    offer_id: &OfferId,
    person: &str,
) -> Result<i64, AppError> {
    Ok(draw_entries::table
        .filter(draw_entries::offer_id.eq(offer_id))
        .filter(draw_entries::person.eq(person))
        .count()
        .get_result(conn)?)
}

/// Adds an entry while the draw is open and before the close (a conditional update of the
/// draw's count). Returns false when entries have closed.
pub fn add_entry(conn: &mut DbConn, entry: &Entry, t: NaiveDateTime) -> Result<bool, AppError> {
    let n = diesel::update(
        draws::table
            .find(&entry.offer_id)
            .filter(draws::status.eq(DrawStatus::Open))
            .filter(draws::entries_close_at.gt(t)),
    )
    .set(draws::entry_count.eq(draws::entry_count + 1))
    .execute(conn)?;
    if n == 0 {
        return Ok(false);
    }
    diesel::insert_into(draw_entries::table)
        .values(entry)
        .execute(conn)?;
    Ok(true)
}

/// Finishes every due draw this process can claim. Returns how many it finished.
pub fn run_due(conn: &mut DbConn) -> Result<usize, AppError> {
    let t = now();
    let stale = t - lease();
    let due: Vec<OfferId> = draws::table
        .filter(
            draws::status
                .eq(DrawStatus::Open)
                .and(draws::draw_at.le(t))
                .or(draws::status
                    .eq(DrawStatus::Drawing)
                    .and(draws::claimed_at.lt(stale))),
        )
        .select(draws::offer_id)
        .limit(50)
        .load(conn)?;
    let mut n = 0;
    for id in due {
        if run(conn, &id)? {
            n += 1;
        }
    }
    Ok(n)
}

/// Claims and finishes one draw if it is due and not being drawn by a live process.
pub fn run(conn: &mut DbConn, offer_id: &OfferId) -> Result<bool, AppError> {
    let t = now();
    // A paused offer's draw waits until the offer is resumed.
    let paused: bool = offers::table
        .find(offer_id)
        .select(offers::paused)
        .first(conn)?;
    if paused {
        return Ok(false);
    }
    let stale = t - lease();
    let claimed = write_tx(conn, |conn| {
        Ok(diesel::update(
            draws::table.find(offer_id).filter(
                draws::status
                    .eq(DrawStatus::Open)
                    .and(draws::draw_at.le(t))
                    .or(draws::status
                        .eq(DrawStatus::Drawing)
                        .and(draws::claimed_at.lt(stale))),
            ),
        )
        .set((
            draws::status.eq(DrawStatus::Drawing),
            draws::claimed_at.eq(Some(t)),
            draws::attempts.eq(draws::attempts + 1),
        ))
        .execute(conn)?)
    })?;
    if claimed == 0 {
        return Ok(false);
    }
    finish(conn, offer_id)?;
    Ok(true)
}

/// Test hook: stall the draw after this many winners (to kill the process mid-draw).
fn stall_after() -> Option<usize> {
    std::env::var("BAIRRO_DRAW_STALL_AFTER")
        .ok()
        .and_then(|v| v.parse().ok())
}

fn finish(conn: &mut DbConn, offer_id: &OfferId) -> Result<(), AppError> {
    let d = find(conn, offer_id)?.ok_or_else(not_a_draw)?;
    let offer = super::catalog::find_offer(conn, offer_id)?;
    let entries: Vec<(DrawEntryId, VisitorId)> = draw_entries::table
        .filter(draw_entries::offer_id.eq(offer_id))
        .select((draw_entries::id, draw_entries::visitor_id))
        .load(conn)?;
    let ids: Vec<DrawEntryId> = entries.iter().map(|e| e.0.clone()).collect();
    let winners = draw::winners(&d.seed, &ids, offer.stock.max(0) as usize);
    let visitor_of: std::collections::HashMap<&DrawEntryId, VisitorId> =
        entries.iter().map(|(e, v)| (e, v.clone())).collect();
    let stall = stall_after();
    for (i, entry_id) in winners.iter().enumerate() {
        if stall == Some(i) {
            tracing::warn!(
                offer = %offer_id,
                "draw stalled on purpose (BAIRRO_DRAW_STALL_AFTER)"
            );
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        let visitor = &visitor_of[entry_id];
        pay_winner(conn, &offer, entry_id, visitor)?;
    }
    let t = now();
    write_tx(conn, |conn| {
        diesel::update(
            draw_entries::table
                .filter(draw_entries::offer_id.eq(offer_id))
                .filter(draw_entries::outcome.eq(DrawOutcome::Pending)),
        )
        .set(draw_entries::outcome.eq(DrawOutcome::Lost))
        .execute(conn)?;
        diesel::update(
            draws::table
                .find(offer_id)
                .filter(draws::status.eq(DrawStatus::Drawing)),
        )
        .set((
            draws::status.eq(DrawStatus::Done),
            draws::drawn_at.eq(Some(t)),
        ))
        .execute(conn)?;
        Ok(())
    })?;
    tracing::info!(offer = %offer_id, winners = winners.len(), "draw done");
    Ok(())
}

/// Marks a winner and issues its coupon exactly like a claim would, once: the entry's
/// `pending → won` update and the coupon are in one transaction. A winner the issuing rule
/// refuses (a banned wallet, for one) keeps `won` with the reason in `note`.
fn pay_winner(
    conn: &mut DbConn,
    offer: &Offer,
    entry_id: &DrawEntryId,
    visitor_id: &VisitorId,
) -> Result<(), AppError> {
    let t = now();
    let mark = |conn: &mut DbConn, note: Option<&str>| -> Result<usize, AppError> {
        Ok(diesel::update(
            draw_entries::table
                .find(entry_id)
                .filter(draw_entries::outcome.eq(DrawOutcome::Pending)),
        )
        .set((
            draw_entries::outcome.eq(DrawOutcome::Won),
            draw_entries::note.eq(note),
        ))
        .execute(conn)?)
    };
    let paid = write_tx(conn, |conn| {
        if mark(conn, None)? == 0 {
            return Ok(());
        }
        super::visitors::lock(conn, visitor_id)?;
        let visitor_ref = super::visitors::traffic_ref(conn, visitor_id)?;
        let (got, why) = super::coupons::issue_entitled(
            conn,
            offer,
            visitor_id,
            i64::from(offer.per_visitor_limit).min(1),
            t,
            visitor_ref.as_deref(),
        )?;
        match got.first() {
            Some((c, _)) => {
                diesel::update(draw_entries::table.find(entry_id))
                    .set(draw_entries::coupon_id.eq(Some(&c.id)))
                    .execute(conn)?;
            }
            None => {
                let note = why.unwrap_or(NotIssued::LimitReached).code().as_str();
                diesel::update(draw_entries::table.find(entry_id))
                    .set(draw_entries::note.eq(Some(note)))
                    .execute(conn)?;
            }
        }
        Ok(())
    });
    match paid {
        Ok(()) => Ok(()),
        Err(AppError::Rule { code, .. }) => {
            write_tx(conn, |conn| mark(conn, Some(code.as_str())))?;
            Ok(())
        }
        Err(AppError::Unauthorized(_)) => {
            write_tx(conn, |conn| mark(conn, Some("unknown_visitor")))?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The ids of a draw's entries.
pub fn entry_ids(conn: &mut DbConn, offer_id: &OfferId) -> Result<Vec<DrawEntryId>, AppError> {
    Ok(draw_entries::table
        .filter(draw_entries::offer_id.eq(offer_id))
        .select(draw_entries::id)
        .load(conn)?)
}

/// The offers of the visitor's draws that are due but not yet drawn.
pub fn due_of_visitor(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    t: NaiveDateTime,
) -> Result<Vec<OfferId>, AppError> {
    Ok(draw_entries::table
        .inner_join(draws::table.on(draws::offer_id.eq(draw_entries::offer_id)))
        .filter(draw_entries::visitor_id.eq(visitor_id))
        .filter(draws::status.eq(DrawStatus::Open))
        .filter(draws::draw_at.le(t))
        .select(draws::offer_id)
        .load(conn)?)
}

/// The visitor's entries with their draw and offer, latest draw first.
pub fn entries_of_visitor(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
) -> Result<Vec<(Entry, Draw, Offer)>, AppError> {
    Ok(draw_entries::table
        .inner_join(draws::table.on(draws::offer_id.eq(draw_entries::offer_id)))
        .inner_join(offers::table.on(offers::id.eq(draw_entries::offer_id)))
        .filter(draw_entries::visitor_id.eq(visitor_id))
        .order(draws::draw_at.desc())
        .select((Entry::as_select(), Draw::as_select(), Offer::as_select()))
        .load(conn)?)
}

/// What an offer with a `draw` or `purchases` trigger adds to its answer: its draw, its
/// minimum spend, and (for officials) the stamps that count towards it.
#[derive(Debug, Clone, Default)]
pub struct OfferExtras {
    pub draw: Option<Draw>,
    pub min_spend_avos: Option<i64>,
    /// Stamps of the offer's campaign at or above its minimum spend (officials only).
    pub stamps: Option<i64>,
}

/// The extras of the given offers (those with a `draw` or `purchases` trigger), by offer id;
/// offers with nothing to add are left out.
pub fn offer_extras(
    conn: &mut DbConn,
    ids: &[OfferId],
    official: bool,
) -> Result<std::collections::HashMap<OfferId, OfferExtras>, AppError> {
    let mut out: std::collections::HashMap<OfferId, OfferExtras> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let ds: Vec<Draw> = draws::table
        .filter(draws::offer_id.eq_any(ids))
        .select(Draw::as_select())
        .load(conn)?;
    for d in ds {
        let id = d.offer_id.clone();
        out.entry(id).or_default().draw = Some(d);
    }
    let mins = super::purchases::min_spends(conn, ids)?;
    for (id, m) in mins {
        let stamps = if official {
            let n: i64 = purchase_stamps::table
                .inner_join(offers::table.on(offers::campaign_id.eq(purchase_stamps::campaign_id)))
                .filter(offers::id.eq(&id))
                .filter(purchase_stamps::spend_avos.ge(m))
                .count()
                .get_result(conn)?;
            Some(n)
        } else {
            None
        };
        let e = out.entry(id).or_default();
        e.min_spend_avos = Some(m);
        e.stamps = stamps;
    }
    Ok(out)
}
