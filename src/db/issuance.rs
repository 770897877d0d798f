//! Visitors, check-ins, stamps and coupon issuance. Every coupon is issued inside the same
//! transaction as what earned it; stock and per-visitor limits hold in the database itself:
//! stock by a conditional `UPDATE … WHERE issued < stock`, limits by locking the visitor's row
//! and by `UNIQUE(offer_id, visitor_id, seq)`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::cache::Caches;
use super::catalog::new_id;
use super::models::*;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::checkin::{self, CampaignWindow, PointRules, Refusal, Scan};
use crate::domain::payload::{KeyRing, Payload};
use crate::domain::time::{macau_day, now};
use crate::domain::{codes, payload::PayloadError};
use crate::error::{AppError, Code};

pub fn insert_visitor(conn: &mut DbConn, v: &Visitor) -> Result<Vec<(Coupon, Offer)>, AppError> {
    write_tx(conn, |conn| {
        diesel::insert_into(visitors::table)
            .values(v)
            .execute(conn)?;
        let t = v.created_at;
        let active: Vec<String> = campaigns::table
            .filter(campaigns::status.eq("published"))
            .filter(campaigns::starts_at.le(t))
            .filter(campaigns::ends_at.gt(t))
            .select(campaigns::id)
            .load(conn)?;
        let mut out = Vec::new();
        for c in active {
            let offers = super::catalog::offers_of(conn, &c)?;
            out.extend(issue_earned(
                conn,
                &offers,
                &v.id,
                0,
                None,
                v.ref_.as_deref(),
                t,
                false,
            )?);
        }
        Ok(out)
    })
}

/// Locks the visitor's row for the rest of the transaction (serialises one visitor's issuance)
/// and refuses a banned visitor.
pub(crate) fn lock_visitor(conn: &mut DbConn, visitor_id: &str) -> Result<(), AppError> {
    let found: Vec<Option<NaiveDateTime>> = match conn {
        DbConn::Pg(c) => visitors::table
            .find(visitor_id)
            .select(visitors::banned_at)
            .for_update()
            .load(c)?,
        // `BEGIN IMMEDIATE` already lets one writer in at a time.
        DbConn::Sqlite(c) => visitors::table
            .find(visitor_id)
            .select(visitors::banned_at)
            .load(c)?,
    };
    match found.first() {
        None => Err(AppError::Unauthorized(
            "unknown visitor; sign up again".into(),
        )),
        Some(Some(_)) => Err(visitor_banned()),
        Some(None) => Ok(()),
    }
}

pub fn visitor_banned() -> AppError {
    AppError::rule(
        Code::VisitorBanned,
        "This wallet has been suspended by the campaign's organisers.",
    )
}

/// Why an offer gave no coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotIssued {
    SoldOut,
    Paused,
    BudgetExhausted,
}

impl NotIssued {
    pub fn error(self) -> AppError {
        match self {
            NotIssued::SoldOut => AppError::rule(
                Code::SoldOut,
                "All coupons of this offer have been claimed.",
            ),
            NotIssued::Paused => {
                AppError::rule(Code::OfferPaused, "This offer is paused for the moment.")
            }
            NotIssued::BudgetExhausted => AppError::rule(
                Code::BudgetExhausted,
                "This campaign's budget for e-cash coupons is used up.",
            ),
        }
    }
}

/// Issues one coupon of an offer if the campaign's budget, the offer's stock and its state
/// allow; the budget rule (`budget::commit`) and the stock's conditional update both hold in
/// this transaction.
fn issue_one(
    conn: &mut DbConn,
    offer: &Offer,
    visitor_id: &str,
    seq: i32,
    t: NaiveDateTime,
    checkin_id: Option<&str>,
    visitor_ref: Option<&str>,
) -> Result<Result<Coupon, NotIssued>, AppError> {
    let amount = if offer.kind == "ecash" {
        offer.face_value_avos
    } else {
        0
    };
    let day = macau_day(t);
    if !super::budget::commit(conn, &offer.campaign_id, day, amount)? {
        return Ok(Err(NotIssued::BudgetExhausted));
    }
    let taken = diesel::update(
        offers::table
            .find(&offer.id)
            .filter(offers::issued.lt(offers::stock))
            .filter(offers::paused.eq(false)),
    )
    .set(offers::issued.eq(offers::issued + 1))
    .execute(conn)?;
    if taken == 0 {
        super::budget::release(conn, &offer.campaign_id, day, amount)?;
        let paused: bool = offers::table
            .find(&offer.id)
            .select(offers::paused)
            .first(conn)?;
        return Ok(Err(if paused {
            NotIssued::Paused
        } else {
            NotIssued::SoldOut
        }));
    }
    let expires_at = offer.coupon_expiry(t);
    let coupon = Coupon {
        id: new_id(),
        code: codes::generate(),
        offer_id: offer.id.clone(),
        campaign_id: offer.campaign_id.clone(),
        visitor_id: visitor_id.into(),
        seq,
        status: "issued".into(),
        issued_at: t,
        expires_at,
        day: macau_day(t),
        checkin_id: checkin_id.map(str::to_string),
        ref_: visitor_ref.map(str::to_string),
    };
    diesel::insert_into(coupons::table)
        .values(&coupon)
        .execute(conn)?;
    super::ledger::append(
        conn,
        &offer.campaign_id,
        crate::types::LedgerKind::Issue,
        super::ledger::Refs {
            offer: Some(&offer.id),
            coupon: Some(&coupon.id),
            ..Default::default()
        },
        if offer.kind == "ecash" {
            offer.face_value_avos
        } else {
            0
        },
        t,
    )?;
    Ok(Ok(coupon))
}

fn coupons_held(conn: &mut DbConn, offer_id: &str, visitor_id: &str) -> Result<i64, AppError> {
    Ok(coupons::table
        .filter(coupons::offer_id.eq(offer_id))
        .filter(coupons::visitor_id.eq(visitor_id))
        .count()
        .get_result(conn)?)
}

/// Issues what a visitor has earned in a campaign (sign-up and check-in offers) and not yet
/// received. Must run inside a transaction that holds the visitor's lock. Offers that need a
/// verified visitor are held back until `verified` (they are issued at verification).
#[allow(clippy::too_many_arguments)]
pub(crate) fn issue_earned(
    conn: &mut DbConn,
    offers: &[Offer],
    visitor_id: &str,
    distinct_points: i64,
    checkin_id: Option<&str>,
    visitor_ref: Option<&str>,
    t: NaiveDateTime,
    verified: bool,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    let due: Vec<(&Offer, i64)> = offers
        .iter()
        .filter(|o| o.valid_until > t && o.issued < o.stock)
        .filter(|o| verified || !o.requires_verified)
        .filter_map(|o| {
            let entitled = match o.trigger_type.as_str() {
                "signup" => 1,
                "checkins" => checkin::entitled_by_checkins(
                    distinct_points,
                    i64::from(o.trigger_count.unwrap_or(1)),
                    i64::from(o.per_visitor_limit),
                ),
                _ => 0,
            };
            (entitled > 0).then_some((o, entitled))
        })
        .collect();
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let held: std::collections::HashMap<String, i64> = coupons::table
        .filter(coupons::visitor_id.eq(visitor_id))
        .filter(coupons::offer_id.eq_any(due.iter().map(|(o, _)| o.id.clone()).collect::<Vec<_>>()))
        .group_by(coupons::offer_id)
        .select((coupons::offer_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for (offer, entitled) in due {
        let mut have = held.get(&offer.id).copied().unwrap_or(0);
        while have < entitled {
            match issue_one(
                conn,
                offer,
                visitor_id,
                (have + 1) as i32,
                t,
                checkin_id,
                visitor_ref,
            )? {
                Ok(c) => out.push((c, offer.clone())),
                Err(_) => break,
            }
            have += 1;
        }
    }
    Ok(out)
}

pub struct CheckinRequest {
    pub visitor_id: String,
    pub payload: String,
    pub method: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub scanned_at: Option<NaiveDateTime>,
    pub nonce: Option<String>,
    /// The visitor's traffic source, from its token.
    pub visitor_ref: Option<String>,
}

pub struct CheckinOutcome {
    pub checkin: Checkin,
    pub stamps: i64,
    pub next_reward_at: Option<i64>,
    pub coupons: Vec<(Coupon, Offer)>,
}

fn refuse(
    conn: &mut DbConn,
    req: &CheckinRequest,
    point: Option<&Point>,
    code: &'static str,
) -> Result<(), AppError> {
    let t = now();
    diesel::insert_into(checkin_refusals::table)
        .values(CheckinRefusal {
            id: new_id(),
            visitor_id: Some(req.visitor_id.clone()),
            point_id: point.map(|p| p.id.clone()),
            campaign_id: point.map(|p| p.campaign_id.clone()),
            reason: code.into(),
            method: req.method.clone(),
            lat: req.lat,
            lng: req.lng,
            day: macau_day(t),
            created_at: t,
        })
        .execute(conn)?;
    Ok(())
}

fn refusal_error(r: Refusal) -> AppError {
    if r == Refusal::LateOfflineScan {
        return AppError::rule_with(
            Code::PayloadExpired,
            "This point's code changes every few seconds, so a scan saved offline cannot be sent later; scan the code on the screen again while online.",
            serde_json::json!({"reason": "offline_scan_too_late"}),
        );
    }
    let (code, detail) = match r {
        Refusal::InvalidPayload => (
            Code::InvalidPayload,
            "This code is not a valid check-in code.",
        ),
        Refusal::PayloadExpired => (
            Code::PayloadExpired,
            "This code has expired; scan the code shown now.",
        ),
        Refusal::LateOfflineScan => unreachable!("answered above"),
        Refusal::OutsideGeofence => (
            Code::OutsideGeofence,
            "You are too far from this check-in point.",
        ),
        Refusal::LocationRequired => (
            Code::LocationRequired,
            "This check-in point needs your location.",
        ),
        Refusal::CampaignNotActive => (
            Code::CampaignNotActive,
            "This campaign is not running at the moment.",
        ),
    };
    AppError::rule(code, detail)
}

pub(crate) fn stamps(
    conn: &mut DbConn,
    visitor_id: &str,
    campaign_id: &str,
) -> Result<i64, AppError> {
    let pts: Vec<String> = checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::campaign_id.eq(campaign_id))
        .select(checkins::point_id)
        .distinct()
        .load(conn)?;
    Ok(pts.len() as i64)
}

/// The thresholds (distinct points) at which check-in offers of a campaign pay out.
fn thresholds(offers: &[Offer]) -> Vec<i64> {
    offers
        .iter()
        .filter(|o| o.trigger_type == "checkins" && o.issued < o.stock)
        .flat_map(|o| {
            let n = i64::from(o.trigger_count.unwrap_or(1));
            (1..=i64::from(o.per_visitor_limit)).map(move |k| k * n)
        })
        .collect()
}

fn outcome_of(
    conn: &mut DbConn,
    caches: &Caches,
    c: Checkin,
    coupons: Vec<(Coupon, Offer)>,
) -> Result<CheckinOutcome, AppError> {
    let count = stamps(conn, &c.visitor_id, &c.campaign_id)?;
    let next = checkin::next_reward_at(count, &thresholds(&caches.offers(conn, &c.campaign_id)?));
    Ok(CheckinOutcome {
        checkin: c,
        stamps: count,
        next_reward_at: next,
        coupons,
    })
}

/// The earlier answer to a check-in sent again with the same nonce.
fn replay(
    conn: &mut DbConn,
    caches: &Caches,
    visitor_id: &str,
    nonce: &str,
) -> Result<Option<CheckinOutcome>, AppError> {
    let Some(c) = checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .filter(checkins::nonce.eq(nonce))
        .select(Checkin::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let coupons: Vec<(Coupon, Offer)> = coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::checkin_id.eq(&c.id))
        .select((Coupon::as_select(), Offer::as_select()))
        .load(conn)?;
    outcome_of(conn, caches, c, coupons).map(Some)
}

/// A nonce sent again answers as before, but only with the same code: a nonce reused with
/// another point's code (or a code that is not one) is refused.
fn same_nonce(
    prev: CheckinOutcome,
    payload: &Result<Payload, PayloadError>,
) -> Result<CheckinOutcome, AppError> {
    let point = match payload {
        Ok(Payload::StaticPoint { point_id }) | Ok(Payload::RotatingPoint { point_id, .. }) => {
            Some(point_id.to_string())
        }
        _ => None,
    };
    if point.as_deref() == Some(prev.checkin.point_id.as_str()) {
        Ok(prev)
    } else {
        Err(AppError::rule(
            Code::NonceReused,
            "This check-in's nonce was already used with another code.",
        ))
    }
}

/// Accepts or refuses a scan; see `domain::checkin::judge` for the rules.
pub fn check_in(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: CheckinRequest,
) -> Result<(CheckinOutcome, bool), AppError> {
    let received_at = now();
    // A short code typed from the poster names a static point as its QR does.
    let typed_point = match crate::domain::short_code::normalise(&req.payload) {
        Some(code) => super::short_codes::point_of(conn, &code)?,
        None => None,
    };
    let verified = match &typed_point {
        Some(id) => uuid::Uuid::parse_str(id)
            .map(|point_id| Payload::StaticPoint { point_id })
            .map_err(|_| PayloadError::Invalid),
        None => keys.verify(&req.payload),
    };
    if let Some(nonce) = &req.nonce {
        if let Some(prev) = replay(conn, caches, &req.visitor_id, nonce)? {
            return same_nonce(prev, &verified).map(|p| (p, true));
        }
    }
    let (point_id, counter) = match verified {
        Ok(Payload::StaticPoint { point_id }) => (point_id.to_string(), None),
        Ok(Payload::RotatingPoint { point_id, counter }) => (point_id.to_string(), Some(counter)),
        Ok(Payload::DevicePoint {
            point_id,
            device_id,
            counter,
        }) => {
            // A display's own code counts only while that display is active at that point.
            if !super::operations::device_valid(
                conn,
                &device_id.to_string(),
                &point_id.to_string(),
            )? {
                refuse(conn, &req, None, Refusal::InvalidPayload.code())?;
                return Err(refusal_error(Refusal::InvalidPayload));
            }
            (point_id.to_string(), Some(counter))
        }
        Ok(Payload::Coupon { .. }) | Err(PayloadError::Invalid) | Err(PayloadError::Expired) => {
            refuse(conn, &req, None, Refusal::InvalidPayload.code())?;
            return Err(refusal_error(Refusal::InvalidPayload));
        }
    };
    let found = caches.point(conn, &point_id)?;
    let Some((point, campaign)) = found.as_deref() else {
        refuse(conn, &req, None, Refusal::InvalidPayload.code())?;
        return Err(refusal_error(Refusal::InvalidPayload));
    };
    if super::operations::point_retired(conn, &point.id)? {
        refuse(conn, &req, Some(point), "point_retired")?;
        return Err(AppError::rule(
            Code::PointRetired,
            "This check-in point has been retired.",
        ));
    }
    // A typed short code names the point whatever mode the scan screen was in: the check-in
    // is recorded with the point's own kind. A rotating point has no short code that counts.
    let mut req = req;
    if typed_point.is_some() {
        if point.rotating {
            refuse(conn, &req, Some(point), Refusal::InvalidPayload.code())?;
            return Err(refusal_error(Refusal::InvalidPayload));
        }
        req.method = point.kind.clone();
    }
    if point.kind == "qr" && req.method == "ar" {
        // An AR check-in needs an AR marker; a plain QR stand only takes QR scans.
        refuse(conn, &req, Some(point), Refusal::InvalidPayload.code())?;
        return Err(refusal_error(Refusal::InvalidPayload));
    }
    let offers = caches.offers(conn, &point.campaign_id)?;
    let rules = PointRules {
        lat: point.lat,
        lng: point.lng,
        radius_m: point.radius_m,
        require_location: point.require_location,
        rotating: point.rotating,
        rotate_seconds: point.rotate_seconds,
    };
    let window = CampaignWindow {
        published: campaign.status == "published",
        starts_at: campaign.starts_at,
        ends_at: campaign.ends_at,
    };
    let location = match (req.lat, req.lng) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let scan = Scan {
        counter,
        received_at,
        claimed_scan_at: req.scanned_at,
        location,
    };
    let scanned_at = match checkin::judge(&rules, &window, &scan) {
        Ok(t) => t,
        Err(r) => {
            refuse(conn, &req, Some(point), r.code())?;
            return Err(refusal_error(r));
        }
    };
    let row = Checkin {
        id: new_id(),
        visitor_id: req.visitor_id.clone(),
        point_id: point.id.clone(),
        campaign_id: point.campaign_id.clone(),
        method: req.method.clone(),
        day: macau_day(scanned_at),
        scanned_at,
        received_at,
        lat: req.lat,
        lng: req.lng,
        nonce: req.nonce.clone(),
        ref_: req.visitor_ref.clone(),
        first_visit: false,
    };
    let result = write_tx(conn, |conn| {
        lock_visitor(conn, &row.visitor_id)?;
        let earlier: Vec<String> = checkins::table
            .filter(checkins::visitor_id.eq(&row.visitor_id))
            .filter(checkins::campaign_id.eq(&row.campaign_id))
            .select(checkins::point_id)
            .load(conn)?;
        let mut row = row.clone();
        row.first_visit = earlier.is_empty();
        diesel::insert_into(checkins::table)
            .values(&row)
            .execute(conn)?;
        let mut distinct: std::collections::HashSet<&str> =
            earlier.iter().map(String::as_str).collect();
        distinct.insert(&row.point_id);
        let count = distinct.len() as i64;
        let verified = offers
            .iter()
            .any(|o| o.requires_verified && o.trigger_type == "checkins")
            && super::verification::is_verified(conn, &row.visitor_id)?;
        let coupons = issue_earned(
            conn,
            &offers,
            &row.visitor_id,
            count,
            Some(&row.id),
            row.ref_.as_deref(),
            received_at,
            verified,
        )?;
        Ok((row, count, coupons))
    });
    match result {
        Ok((row, count, coupons)) => {
            crate::telemetry::count("bairro_checkins_total", 1);
            let next = checkin::next_reward_at(count, &thresholds(&offers));
            Ok((
                CheckinOutcome {
                    checkin: row,
                    stamps: count,
                    next_reward_at: next,
                    coupons,
                },
                false,
            ))
        }
        Err(AppError::Conflict(_)) => {
            if let Some(nonce) = &req.nonce {
                if let Some(prev) = replay(conn, caches, &req.visitor_id, nonce)? {
                    return same_nonce(prev, &keys.verify(&req.payload)).map(|p| (p, true));
                }
            }
            refuse(conn, &req, Some(point), "already_checked_in")?;
            Err(AppError::rule(
                Code::AlreadyCheckedIn,
                "You have already checked in here today; come back tomorrow.",
            ))
        }
        Err(e) => Err(e),
    }
}

/// First come, first served: claims a coupon of a `claim` offer.
pub fn claim(
    conn: &mut DbConn,
    caches: &Caches,
    offer_id: &str,
    visitor_id: &str,
    visitor_ref: Option<&str>,
) -> Result<(Coupon, Offer), AppError> {
    let t = now();
    let found = caches.offer(conn, offer_id)?;
    let (offer, campaign) = found
        .as_deref()
        .ok_or_else(|| AppError::NotFound("no such offer".into()))?;
    if offer.trigger_type != "claim" {
        return Err(AppError::rule(
            Code::NotOpen,
            "This offer is earned, not claimed.",
        ));
    }
    if campaign.status != "published" || t < campaign.starts_at || t >= campaign.ends_at {
        return Err(AppError::rule(
            Code::CampaignNotActive,
            "This campaign is not running at the moment.",
        ));
    }
    if let Some(opens) = offer.opens_at {
        if t < opens {
            return Err(AppError::rule_with(
                Code::NotOpen,
                "This offer is not open yet.",
                serde_json::json!({"opens_at": crate::domain::time::to_rfc3339(opens)}),
            ));
        }
    }
    if offer.valid_until <= t {
        return Err(AppError::rule(Code::SoldOut, "This offer has closed."));
    }
    if offer.requires_verified && !super::verification::is_verified(conn, visitor_id)? {
        return Err(AppError::rule(
            Code::VerificationRequired,
            "Confirm your phone number or e-mail first: this coupon is one per person.",
        ));
    }
    let limit = i64::from(offer.per_visitor_limit);
    if offer.issued >= offer.stock {
        // Sold out: answer without a write transaction (the storm's fast path).
        if coupons_held(conn, &offer.id, visitor_id)? >= limit {
            return Err(AppError::rule(
                Code::LimitReached,
                "You already hold as many of these coupons as allowed.",
            ));
        }
        return Err(AppError::rule(
            Code::SoldOut,
            "All coupons of this offer have been claimed.",
        ));
    }
    let result = write_tx(conn, |conn| {
        lock_visitor(conn, visitor_id)?;
        let held = coupons_held(conn, &offer.id, visitor_id)?;
        if held >= limit {
            return Err(AppError::rule(
                Code::LimitReached,
                "You already hold as many of these coupons as allowed.",
            ));
        }
        match issue_one(
            conn,
            offer,
            visitor_id,
            (held + 1) as i32,
            t,
            None,
            visitor_ref,
        )? {
            Ok(c) => Ok(c),
            Err(why) => Err(why.error()),
        }
    });
    match result {
        Ok(c) => {
            crate::telemetry::count("bairro_coupons_claimed_total", 1);
            Ok((c, offer.clone()))
        }
        Err(AppError::Conflict(_)) => Err(AppError::rule(
            Code::LimitReached,
            "You already hold as many of these coupons as allowed.",
        )),
        Err(e) => Err(e),
    }
}

pub fn my_coupons(conn: &mut DbConn, visitor_id: &str) -> Result<Vec<(Coupon, Offer)>, AppError> {
    Ok(coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::visitor_id.eq(visitor_id))
        .order(coupons::issued_at.desc())
        .select((Coupon::as_select(), Offer::as_select()))
        .load(conn)?)
}

pub fn my_checkins(conn: &mut DbConn, visitor_id: &str) -> Result<Vec<Checkin>, AppError> {
    Ok(checkins::table
        .filter(checkins::visitor_id.eq(visitor_id))
        .order(checkins::scanned_at.desc())
        .select(Checkin::as_select())
        .load(conn)?)
}

pub fn find_coupon(conn: &mut DbConn, id: &str) -> Result<Coupon, AppError> {
    coupons::table
        .find(id)
        .select(Coupon::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such coupon".into()))
}

/// Marks issued coupons past their expiry as expired, with a ledger entry each.
pub fn sweep_expired(conn: &mut DbConn, limit: i64) -> Result<usize, AppError> {
    let t = now();
    let due: Vec<(String, String, String, String, i64)> = coupons::table
        .inner_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(coupons::status.eq("issued"))
        .filter(coupons::expires_at.le(t))
        .select((
            coupons::id,
            coupons::campaign_id,
            coupons::offer_id,
            offers::kind,
            offers::face_value_avos,
        ))
        .limit(limit)
        .load(conn)?;
    let mut n = 0;
    for (id, campaign, offer, kind, face) in due {
        let done = write_tx(conn, |conn| {
            let changed = diesel::update(
                coupons::table
                    .find(&id)
                    .filter(coupons::status.eq("issued")),
            )
            .set(coupons::status.eq("expired"))
            .execute(conn)?;
            if changed == 1 {
                super::ledger::append(
                    conn,
                    &campaign,
                    crate::types::LedgerKind::Expire,
                    super::ledger::Refs {
                        offer: Some(&offer),
                        coupon: Some(&id),
                        ..Default::default()
                    },
                    if kind == "ecash" { face } else { 0 },
                    t,
                )?;
            }
            Ok(changed)
        })?;
        n += done;
    }
    Ok(n)
}

pub fn insert_device_setup(
    conn: &mut DbConn,
    hash: &str,
    point_id: &str,
    by: &str,
    expires_at: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(device_setups::table)
        .values((
            device_setups::code_hash.eq(hash),
            device_setups::point_id.eq(point_id),
            device_setups::created_by.eq(by),
            device_setups::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Exchanges a one-time setup code for a device; the code cannot be used twice.
pub fn activate_device(conn: &mut DbConn, hash: &str) -> Result<(String, Point), AppError> {
    let t = now();
    write_tx(conn, |conn| {
        let n = diesel::update(
            device_setups::table
                .find(hash)
                .filter(device_setups::used_at.is_null())
                .filter(device_setups::expires_at.gt(t)),
        )
        .set(device_setups::used_at.eq(Some(t)))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::Unauthorized(
                "this setup code is unknown, used or expired".into(),
            ));
        }
        let point_id: String = device_setups::table
            .find(hash)
            .select(device_setups::point_id)
            .first(conn)?;
        let id = new_id();
        diesel::insert_into(devices::table)
            .values((
                devices::id.eq(&id),
                devices::point_id.eq(&point_id),
                devices::created_at.eq(t),
            ))
            .execute(conn)?;
        let p = super::catalog::find_point(conn, &point_id)?;
        Ok((id, p))
    })
}

pub fn device_active(conn: &mut DbConn, id: &str) -> Result<bool, AppError> {
    Ok(devices::table
        .find(id)
        .filter(devices::revoked_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        == 1)
}

pub fn revoke_device(conn: &mut DbConn, id: &str) -> Result<bool, AppError> {
    Ok(diesel::update(
        devices::table
            .find(id)
            .filter(devices::revoked_at.is_null()),
    )
    .set(devices::revoked_at.eq(Some(now())))
    .execute(conn)?
        == 1)
}

/// The coupons a trigger issued, and why it stopped short (if it did).
pub(crate) type Entitled = (Vec<(Coupon, Offer)>, Option<NotIssued>);

/// Issues coupons of one offer to a visitor up to `entitled` in all, through the same rule as
/// every other trigger (`issue_one`: stock, and whatever else that rule holds). Used by the
/// purchase-stamp trigger and by draws. Must run inside a transaction that holds the
/// visitor's lock (`lock_visitor_for_trigger`).
pub(crate) fn issue_entitled(
    conn: &mut DbConn,
    offer: &Offer,
    visitor_id: &str,
    entitled: i64,
    t: NaiveDateTime,
    visitor_ref: Option<&str>,
) -> Result<Entitled, AppError> {
    let mut out = Vec::new();
    if offer.valid_until <= t {
        return Ok((out, Some(NotIssued::SoldOut)));
    }
    let mut have = coupons_held(conn, &offer.id, visitor_id)?;
    while have < entitled.min(i64::from(offer.per_visitor_limit)) {
        match issue_one(
            conn,
            offer,
            visitor_id,
            (have + 1) as i32,
            t,
            None,
            visitor_ref,
        )? {
            Ok(c) => out.push((c, offer.clone())),
            Err(why) => return Ok((out, Some(why))),
        }
        have += 1;
    }
    Ok((out, None))
}

/// `lock_visitor` for the purchase and draw triggers.
pub(crate) fn lock_visitor_for_trigger(
    conn: &mut DbConn,
    visitor_id: &str,
) -> Result<(), AppError> {
    lock_visitor(conn, visitor_id)
}
