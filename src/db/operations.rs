//! Changes to a running campaign: pausing offers, changing stock, retiring points, suspending
//! merchants, withdrawing enrolments, voiding coupons and banning visitors. Each runs in the
//! caller's write transaction; the HTTP layer records the audit entries.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::error::{AppError, Code};
use crate::types::{
    AuditEntity, CampaignId, CouponId, CouponStatus, EnrolmentId, EnrolmentStatus, MerchantId,
    OfferId, OfferKind, PointId, VisitorId,
};

pub fn paused_offers(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
) -> Result<HashSet<String>, AppError> {
    Ok(offers::table
        .filter(offers::campaign_id.eq(campaign_id))
        .filter(offers::paused.eq(true))
        .select(offers::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

pub fn offer_paused(conn: &mut DbConn, offer_id: &OfferId) -> Result<bool, AppError> {
    Ok(offers::table
        .find(offer_id)
        .select(offers::paused)
        .first(conn)
        .optional()?
        .unwrap_or(false))
}

pub fn retired_points(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
) -> Result<HashSet<String>, AppError> {
    Ok(points::table
        .filter(points::campaign_id.eq(campaign_id))
        .filter(points::retired_at.is_not_null())
        .select(points::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

pub fn point_retired(conn: &mut DbConn, point_id: &PointId) -> Result<bool, AppError> {
    Ok(points::table
        .find(point_id)
        .select(points::retired_at)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten()
        .is_some())
}

pub fn set_offer_paused(
    conn: &mut DbConn,
    offer_id: &OfferId,
    paused: bool,
) -> Result<(), AppError> {
    diesel::update(offers::table.find(offer_id))
        .set(offers::paused.eq(paused))
        .execute(conn)?;
    Ok(())
}

/// Changes an offer's name, stock and validity end. The stock never goes below what was
/// issued (a conditional update, so a racing issuance cannot slip under it).
pub fn edit_offer(
    conn: &mut DbConn,
    offer_id: &OfferId,
    name: Option<String>,
    stock: Option<i32>,
    valid_until: Option<NaiveDateTime>,
) -> Result<(), AppError> {
    if let Some(n) = name {
        diesel::update(offers::table.find(offer_id))
            .set(offers::name.eq(n))
            .execute(conn)?;
    }
    if let Some(v) = valid_until {
        diesel::update(offers::table.find(offer_id))
            .set(offers::valid_until.eq(v))
            .execute(conn)?;
    }
    if let Some(s) = stock {
        let n = diesel::update(offers::table.find(offer_id).filter(offers::issued.le(s)))
            .set(offers::stock.eq(s))
            .execute(conn)?;
        if n == 0 {
            let issued: i32 = offers::table
                .find(offer_id)
                .select(offers::issued)
                .first(conn)?;
            return Err(AppError::rule_with(
 Code::StockBelowIssued,
                format!("{issued} coupons of this offer were already issued; the stock cannot be lower."),
                serde_json::json!({"issued": issued}),
            ));
        }
    }
    Ok(())
}

pub fn retire_point(
    conn: &mut DbConn,
    point_id: &PointId,
    t: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        points::table
            .find(point_id)
            .filter(points::retired_at.is_null()),
    )
    .set(points::retired_at.eq(Some(t)))
    .execute(conn)?;
    Ok(())
}

pub fn update_point(conn: &mut DbConn, p: &Point) -> Result<(), AppError> {
    diesel::update(points::table.find(&p.id))
        .set((
            points::name.eq(&p.name),
            points::lat.eq(p.lat),
            points::lng.eq(p.lng),
            points::radius_m.eq(p.radius_m),
            points::rotate_seconds.eq(p.rotate_seconds),
            points::require_location.eq(p.require_location),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update_merchant(conn: &mut DbConn, m: &Merchant) -> Result<(), AppError> {
    diesel::update(merchants::table.find(&m.id))
        .set((
            merchants::name.eq(&m.name),
            merchants::category.eq(&m.category),
            merchants::address.eq(&m.address),
            merchants::lat.eq(m.lat),
            merchants::lng.eq(m.lng),
            merchants::m_mark.eq(m.m_mark),
        ))
        .execute(conn)?;
    Ok(())
}

/// (suspended_at, reason) of a merchant.
pub fn merchant_suspension(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
) -> Result<Option<(NaiveDateTime, Option<String>)>, AppError> {
    Ok(merchants::table
        .find(merchant_id)
        .select((merchants::suspended_at, merchants::suspend_reason))
        .first::<(Option<NaiveDateTime>, Option<String>)>(conn)
        .optional()?
        .and_then(|(t, r)| t.map(|t| (t, r))))
}

/// Suspended merchants: id → (since, reason).
pub fn suspensions(
    conn: &mut DbConn,
) -> Result<std::collections::HashMap<String, (NaiveDateTime, Option<String>)>, AppError> {
    Ok(merchants::table
        .filter(merchants::suspended_at.is_not_null())
        .select((
            merchants::id,
            merchants::suspended_at,
            merchants::suspend_reason,
        ))
        .load::<(String, Option<NaiveDateTime>, Option<String>)>(conn)?
        .into_iter()
        .filter_map(|(id, t, r)| t.map(|t| (id, (t, r))))
        .collect())
}

/// Refuses a redemption by a suspended merchant.
pub fn ensure_not_suspended(conn: &mut DbConn, merchant_id: &MerchantId) -> Result<(), AppError> {
    if merchant_suspension(conn, merchant_id)?.is_some() {
        return Err(merchant_suspended());
    }
    Ok(())
}

/// The refusal of a suspended shop's till.
pub fn merchant_suspended() -> AppError {
    AppError::rule(
        Code::MerchantSuspended,
        "This shop is suspended from the campaign; coupons cannot be redeemed here.",
    )
}

pub fn set_merchant_suspended(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    at: Option<NaiveDateTime>,
    reason: Option<String>,
) -> Result<(), AppError> {
    diesel::update(merchants::table.find(merchant_id))
        .set((
            merchants::suspended_at.eq(at),
            merchants::suspend_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// Withdraws an approved (or pending) enrolment; false when it was neither.
pub fn withdraw_enrolment(
    conn: &mut DbConn,
    id: &EnrolmentId,
    by: &str,
    reason: &str,
    t: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(diesel::update(
        enrolments::table.find(id).filter(
            enrolments::status.eq_any([EnrolmentStatus::Approved, EnrolmentStatus::Pending]),
        ),
    )
    .set((
        enrolments::status.eq(EnrolmentStatus::Withdrawn),
        enrolments::withdrawn_at.eq(Some(t)),
        enrolments::decided_by.eq(Some(by)),
        enrolments::reason.eq(Some(reason)),
    ))
    .execute(conn)?
        == 1)
}

/// Voids an issued coupon: it can no longer be redeemed, its e-cash goes back to the
/// campaign's budget (stock and the visitor's allowance do not), and the ledger records it.
/// False when the coupon was not `issued` (already redeemed, expired or void).
pub fn void_coupon(
    conn: &mut DbConn,
    coupon: &Coupon,
    offer: &Offer,
    by: Option<&str>,
    reason: &str,
    t: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        coupons::table
            .find(&coupon.id)
            .filter(coupons::status.eq(CouponStatus::Issued)),
    )
    .set((
        coupons::status.eq(CouponStatus::Void),
        coupons::void_reason.eq(Some(reason)),
        coupons::voided_by.eq(by),
        coupons::voided_at.eq(Some(t)),
    ))
    .execute(conn)?;
    if n == 0 {
        return Ok(false);
    }
    let amount = if offer.kind == OfferKind::Ecash {
        offer.face_value_avos
    } else {
        0
    };
    super::budget::release(conn, &coupon.campaign_id, coupon.day, amount)?;
    super::ledger::append(
        conn,
        &coupon.campaign_id,
        crate::types::LedgerKind::Void,
        super::ledger::Refs {
            offer: Some(&offer.id),
            coupon: Some(&coupon.id),
            ..Default::default()
        },
        amount,
        t,
    )?;
    Ok(true)
}

/// The coupon and its offer.
pub fn coupon_with_offer(conn: &mut DbConn, id: &CouponId) -> Result<(Coupon, Offer), AppError> {
    coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::id.eq(id))
        .select((Coupon::as_select(), Offer::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such coupon".into()))
}

/// (banned_at, reason, by) of a visitor; NotFound for an unknown one.
pub type Ban = (Option<NaiveDateTime>, Option<String>, Option<String>);

pub fn visitor_ban(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<Ban, AppError> {
    visitors::table
        .find(visitor_id)
        .select((
            visitors::banned_at,
            visitors::ban_reason,
            visitors::banned_by,
        ))
        .first::<Ban>(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such visitor".into()))
}

/// Bans a visitor and voids every coupon it holds unspent; returns the voided coupons' ids.
pub fn ban_visitor(
    conn: &mut DbConn,
    visitor_id: &VisitorId,
    by: &str,
    reason: &str,
    t: NaiveDateTime,
) -> Result<Vec<CouponId>, AppError> {
    diesel::update(visitors::table.find(visitor_id))
        .set((
            visitors::banned_at.eq(Some(t)),
            visitors::ban_reason.eq(Some(reason)),
            visitors::banned_by.eq(Some(by)),
        ))
        .execute(conn)?;
    let held: Vec<(Coupon, Offer)> = coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::visitor_id.eq(visitor_id))
        .filter(coupons::status.eq(CouponStatus::Issued))
        .select((Coupon::as_select(), Offer::as_select()))
        .load(conn)?;
    let mut voided = Vec::new();
    let why = format!("visitor banned: {reason}");
    for (c, o) in held {
        if void_coupon(conn, &c, &o, Some(by), &why, t)? {
            voided.push(c.id);
        }
    }
    Ok(voided)
}

pub fn unban_visitor(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<(), AppError> {
    diesel::update(visitors::table.find(visitor_id))
        .set((
            visitors::banned_at.eq(None::<NaiveDateTime>),
            visitors::ban_reason.eq(None::<String>),
            visitors::banned_by.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// (id, created_at, revoked_at) of a point's display devices, newest first.
pub fn devices_of(
    conn: &mut DbConn,
    point_id: &PointId,
) -> Result<Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>, AppError> {
    Ok(devices::table
        .filter(devices::point_id.eq(point_id))
        .order(devices::created_at.desc())
        .select((devices::id, devices::created_at, devices::revoked_at))
        .load(conn)?)
}

/// Whether a display device is active and belongs to the point.
pub fn device_valid(
    conn: &mut DbConn,
    device_id: &str,
    point_id: &PointId,
) -> Result<bool, AppError> {
    Ok(devices::table
        .find(device_id)
        .filter(devices::point_id.eq(point_id))
        .filter(devices::revoked_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        == 1)
}

/// entity, entity id, action, actor, after, when.
type AuditFacts = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

/// An action an official took on a visitor, merchant or coupon a fraud signal names.
#[derive(Debug, Clone)]
pub struct SignalAction {
    /// `ban`, `unban`, `suspend`, `reinstate` or `void`.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// The official's id.
    pub by: Option<String>,
    pub by_username: Option<String>,
    pub at: NaiveDateTime,
    pub reason: Option<String>,
}

/// For each fraud signal (in order), the actions officials took on the visitors, merchants and
/// coupons it names (ban, unban, suspend, reinstate, void), newest first, with who took them.
/// None when no signal names a visitor or a merchant.
pub fn signal_actions(
    conn: &mut DbConn,
    signals: &[super::signals::Signal],
) -> Result<Option<Vec<Vec<SignalAction>>>, AppError> {
    use std::collections::HashMap;
    let list = signals;
    /// Audit rows name their entity by its id as text.
    fn ids_of<T: std::fmt::Display>(one: &Option<T>, many: &Option<Vec<T>>) -> Vec<String> {
        one.iter()
            .chain(many.iter().flatten())
            .map(T::to_string)
            .collect()
    }
    let visitors_of =
        |sg: &super::signals::Signal| ids_of(&sg.visitor_id, &sg.evidence.visitor_ids);
    let merchants_of =
        |sg: &super::signals::Signal| ids_of(&sg.merchant_id, &sg.evidence.merchant_ids);
    let mut vids: HashSet<String> = HashSet::new();
    let mut mids: HashSet<String> = HashSet::new();
    for sg in list.iter() {
        vids.extend(visitors_of(sg));
        mids.extend(merchants_of(sg));
    }
    if vids.is_empty() && mids.is_empty() {
        return Ok(None);
    }
    let vids: Vec<String> = vids.into_iter().collect();
    let mids: Vec<String> = mids.into_iter().collect();
    // Coupons of those visitors that were voided, to find their audit entries.
    let voided: Vec<(String, String)> = coupons::table
        .filter(coupons::visitor_id.eq_any(&vids))
        .filter(coupons::status.eq(CouponStatus::Void))
        .filter(coupons::voided_at.is_not_null())
        .select((coupons::id, coupons::visitor_id))
        .load(conn)?;
    let coupon_owner: HashMap<String, String> = voided.into_iter().collect();
    let coupon_ids: Vec<String> = coupon_owner.keys().cloned().collect();
    let rows: Vec<AuditFacts> = audit_log::table
        .filter(
            audit_log::entity
                .eq(AuditEntity::Visitor.as_str())
                .and(audit_log::entity_id.eq_any(&vids))
                .and(audit_log::action.eq_any(["ban", "unban"]))
                .or(audit_log::entity
                    .eq(AuditEntity::Merchant.as_str())
                    .and(audit_log::entity_id.eq_any(&mids))
                    .and(audit_log::action.eq_any(["suspend", "reinstate"])))
                .or(audit_log::entity
                    .eq(AuditEntity::Coupon.as_str())
                    .and(audit_log::entity_id.eq_any(&coupon_ids))
                    .and(audit_log::action.eq("void"))),
        )
        .order(audit_log::id.desc())
        .limit(2000)
        .select((
            audit_log::entity,
            audit_log::entity_id,
            audit_log::action,
            audit_log::actor_id,
            audit_log::after,
            audit_log::created_at,
        ))
        .load(conn)?;
    let actors: Vec<String> = rows.iter().filter_map(|r| r.3.clone()).collect();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&actors))
        .select((users::id, users::username))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut out = Vec::with_capacity(list.len());
    for sg in list.iter() {
        let v: HashSet<String> = visitors_of(sg).into_iter().collect();
        let m: HashSet<String> = merchants_of(sg).into_iter().collect();
        let actions: Vec<SignalAction> = rows
            .iter()
            .filter(|(entity, id, ..)| match AuditEntity::parse(entity) {
                Some(AuditEntity::Visitor) => v.contains(id),
                Some(AuditEntity::Merchant) => m.contains(id),
                _ => coupon_owner.get(id).is_some_and(|o| v.contains(o)),
            })
            .map(|(entity, id, action, actor, after, at)| {
                let after: serde_json::Value = after
                    .as_deref()
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or_default();
                let reason = after["reason"]
                    .as_str()
                    .or(after["ban_reason"].as_str())
                    .or(after["suspend_reason"].as_str())
                    .map(str::to_string);
                SignalAction {
                    action: action.clone(),
                    entity: entity.clone(),
                    entity_id: id.clone(),
                    by: actor.clone(),
                    by_username: actor.as_ref().and_then(|a| names.get(a)).cloned(),
                    at: *at,
                    reason,
                }
            })
            .collect();
        out.push(actions);
    }
    Ok(Some(out))
}

/// When a point was retired (None while it is in use).
pub fn point_retired_at(
    conn: &mut DbConn,
    point_id: &PointId,
) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(points::table
        .find(point_id)
        .select(points::retired_at)
        .first(conn)?)
}
