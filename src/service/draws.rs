//! Fair draws on the visitor's side: entering, checking a draw, and the visitor's entries.
//! How winners are chosen is `domain::draw`; finishing a draw exactly once is `db::draws`.

use serde_json::json;

use crate::db::catalog;
use crate::db::draws::{self, Entry};
use crate::db::{coupons, visitors, write_tx, DbConn};
use crate::domain::draw;
use crate::domain::payload::KeyRing;
use crate::domain::time::{now, to_rfc3339};
use crate::error::{AppError, Code};
use crate::types::{
    CampaignStatus, DrawEntryId, DrawOutcome, DrawStatus, OfferId, TriggerType, VisitorId,
};
use crate::views::coupons::{Coupon, OfferBrief};
use crate::views::draws::{Entries, Entry as EntryView, PublicDraw, ALGORITHM};

/// Whom "once per person" counts: the visitor's wallet (a verified person has one wallet: a
/// new device joins it, and its entries move with it).
fn person_of(visitor_id: &VisitorId) -> String {
    visitor_id.to_string()
}

/// Enters a visitor in an offer's draw, once per person (`POST /offers/{id}/entries`).
pub fn enter(
    conn: &mut DbConn,
    offer_id: &OfferId,
    visitor_id: &VisitorId,
) -> Result<EntryView, AppError> {
    let t = now();
    let offer = catalog::find_offer(conn, offer_id)
        .map_err(|_| AppError::NotFound("no such offer".into()))?;
    if offer.trigger_type != TriggerType::Draw {
        return Err(AppError::rule(Code::NotOpen, "This offer is not a draw."));
    }
    let campaign = catalog::find_campaign(conn, &offer.campaign_id)?;
    if campaign.status != CampaignStatus::Published
        || t < campaign.starts_at
        || t >= campaign.ends_at
    {
        return Err(AppError::rule(
            Code::CampaignNotActive,
            "This campaign is not running at the moment.",
        ));
    }
    if offer.requires_verified && !visitors::is_verified(conn, visitor_id)? {
        return Err(AppError::rule(
            Code::VerificationRequired,
            "Confirm your phone number or e-mail first: this draw is one entry per person.",
        ));
    }
    let d = draws::find(conn, offer_id)?.ok_or_else(draws::not_a_draw)?;
    let closed = || {
        AppError::rule_with(
            Code::EntriesClosed,
            "Entries to this draw have closed.",
            json!({"entries_close_at": to_rfc3339(d.entries_close_at)}),
        )
    };
    if t >= d.entries_close_at || d.status != DrawStatus::Open {
        return Err(closed());
    }
    let entry = Entry {
        id: DrawEntryId::generate(),
        offer_id: offer_id.clone(),
        visitor_id: visitor_id.clone(),
        person: person_of(visitor_id),
        created_at: t,
        outcome: DrawOutcome::Pending,
        coupon_id: None,
        note: None,
    };
    let already = || AppError::rule(Code::AlreadyEntered, "You have already entered this draw.");
    let result = write_tx(conn, |conn| {
        visitors::lock(conn, visitor_id)?;
        if draws::entries_of_person(conn, offer_id, &entry.person)? > 0 {
            return Err(already());
        }
        if !draws::add_entry(conn, &entry, t)? {
            return Err(closed());
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(EntryView::of(&entry, &d)),
        Err(AppError::Conflict(_)) => Err(already()),
        Err(e) => Err(e),
    }
}

/// What anyone may check (`GET /offers/{id}/draw`). A due draw is run first (lazily, in case
/// no background job has yet).
pub fn public(conn: &mut DbConn, offer_id: &OfferId) -> Result<PublicDraw, AppError> {
    let mut d = draws::find(conn, offer_id)?.ok_or_else(draws::not_a_draw)?;
    if d.status == DrawStatus::Open && d.draw_at <= now() {
        draws::run(conn, offer_id)?;
        d = draws::find(conn, offer_id)?.ok_or_else(draws::not_a_draw)?;
    }
    let offer = catalog::find_offer(conn, offer_id)?;
    let entries = if d.status == DrawStatus::Done || d.entries_close_at <= now() {
        let mut ids = draws::entry_ids(conn, offer_id)?;
        ids.sort();
        Entries::Ids(ids)
    } else {
        Entries::Count(d.entry_count)
    };
    let done = d.status == DrawStatus::Done;
    let winners = if done {
        Some(draw::winners(
            &d.seed,
            &draws::entry_ids(conn, offer_id)?,
            offer.stock.max(0) as usize,
        ))
    } else {
        None
    };
    Ok(PublicDraw {
        offer_id: d.offer_id.clone(),
        status: d.status,
        commitment: d.commitment.clone(),
        entry_count: d.entry_count,
        stock: offer.stock,
        entries_close_at: to_rfc3339(d.entries_close_at),
        draw_at: to_rfc3339(d.draw_at),
        algorithm: ALGORITHM.into(),
        entries,
        seed: done.then(|| d.seed.clone()),
        winners,
        drawn_at: done.then(|| d.drawn_at.map(to_rfc3339)),
    })
}

/// The visitor's entries with their outcomes and a winner's coupon (`GET /me/draws`); due
/// draws are run first.
pub fn of_visitor(
    conn: &mut DbConn,
    keys: &KeyRing,
    visitor_id: &VisitorId,
) -> Result<Vec<EntryView>, AppError> {
    for id in draws::due_of_visitor(conn, visitor_id, now())? {
        draws::run(conn, &id)?;
    }
    let rows = draws::entries_of_visitor(conn, visitor_id)?;
    let t = now();
    let mut out = Vec::new();
    for (e, d, o) in rows {
        let mut v = EntryView::of(&e, &d);
        if let Some(cid) = &e.coupon_id {
            let c = coupons::find(conn, cid)?;
            v.coupon = Some(Coupon::of(&c, Some(&o), keys.coupon(&c.code), t));
        }
        v.offer = Some(OfferBrief::of(&o));
        out.push(v);
    }
    Ok(out)
}
