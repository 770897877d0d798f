//! Check-in use case: a scan is judged by `domain::checkin`, recorded with the coupons it
//! earned (`domain::issuance`, through `db::coupons`) in one transaction, or refused and the
//! refusal kept.

use chrono::NaiveDateTime;

use crate::db::cache::Caches;
use crate::db::checkins::{self, Record, Refused};
use crate::db::models::{Checkin, Coupon, Offer, Point};
use crate::db::{coupons, operations, short_codes, visitors, write_tx, DbConn};
use crate::domain::checkin::{self, CampaignWindow, PointRules, Refusal, Scan};
use crate::domain::issuance;
use crate::domain::payload::{KeyRing, Payload, PayloadError};
use crate::domain::time::{macau_day, now};
use crate::error::{AppError, Code};
use crate::types::{CampaignStatus, CheckinId, CheckinMethod, PointId, TriggerType, VisitorId};
use crate::views::checkins::{CheckedIn, Checkin as CheckinView, CheckinStamps};
use crate::views::coupons::Coupon as CouponView;

pub struct CheckinRequest {
    pub visitor_id: VisitorId,
    pub payload: String,
    pub method: CheckinMethod,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub scanned_at: Option<NaiveDateTime>,
    pub nonce: Option<String>,
    /// The visitor's traffic source, from its token.
    pub visitor_ref: Option<String>,
}

struct Outcome {
    checkin: Checkin,
    stamps: i64,
    next_reward_at: Option<i64>,
    coupons: Vec<(Coupon, Offer)>,
}

impl Outcome {
    fn view(&self, keys: &KeyRing) -> CheckedIn {
        let t = now();
        CheckedIn {
            checkin: CheckinView::of(&self.checkin),
            stamps: CheckinStamps {
                count: self.stamps,
                next_reward_at: self.next_reward_at,
            },
            coupons: self
                .coupons
                .iter()
                .map(|(c, o)| CouponView::of(c, Some(o), keys.coupon(&c.code), t))
                .collect(),
        }
    }
}

/// The thresholds (distinct points) at which check-in offers of a campaign pay out.
fn thresholds(offers: &[Offer]) -> Vec<i64> {
    offers
        .iter()
        .filter(|o| {
            o.trigger_type == TriggerType::Checkins && issuance::in_stock(o.issued, o.stock)
        })
        .flat_map(|o| issuance::thresholds(o.trigger_count.unwrap_or(1), o.per_visitor_limit))
        .collect()
}

/// Records a refusal and answers it. A retry with a nonce already used gets the first answer
/// instead (`answer_again`), and a retired point is refused as such before any other reason
/// about the scan, so neither needs a look-up on the accepted path.
fn refuse(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: &CheckinRequest,
    point: Option<&Point>,
    r: Refusal,
) -> Result<CheckedIn, AppError> {
    if let Some(answer) = answer_again(conn, keys, caches, req)? {
        return answer;
    }
    // The token was not checked against the database before (the accepted path's statement
    // does that): a visitor it does not hold has no refusals kept either.
    if !visitors::exists(conn, &req.visitor_id)? {
        return Err(visitors::unknown());
    }
    let r = match point {
        Some(p) if r != Refusal::PointRetired && operations::point_retired(conn, &p.id)? => {
            Refusal::PointRetired
        }
        _ => r,
    };
    checkins::refuse(
        conn,
        Refused {
            visitor_id: &req.visitor_id,
            point,
            reason: r.code(),
            method: req.method,
            lat: req.lat,
            lng: req.lng,
        },
    )?;
    Err(r.error())
}

/// The earlier answer to a check-in sent again with the same nonce.
fn replay(
    conn: &mut DbConn,
    caches: &Caches,
    visitor_id: &VisitorId,
    nonce: &str,
) -> Result<Option<Outcome>, AppError> {
    let Some(c) = checkins::by_nonce(conn, visitor_id, nonce)? else {
        return Ok(None);
    };
    let coupons = coupons::of_checkin(conn, &c.id)?;
    let count = checkins::stamps(conn, &c.visitor_id, &c.campaign_id)?;
    let next = issuance::next_reward_at(count, &thresholds(&caches.offers(conn, &c.campaign_id)?));
    Ok(Some(Outcome {
        checkin: c,
        stamps: count,
        next_reward_at: next,
        coupons,
    }))
}

/// The first answer to a check-in whose nonce was used before (`None`: not used, or no nonce).
fn answer_again(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: &CheckinRequest,
) -> Result<Option<Result<CheckedIn, AppError>>, AppError> {
    let Some(nonce) = &req.nonce else {
        return Ok(None);
    };
    let Some(prev) = replay(conn, caches, &req.visitor_id, nonce)? else {
        return Ok(None);
    };
    tracing::debug!("check-in answered again for a repeated nonce");
    let payload = match crate::domain::short_code::normalise(&req.payload) {
        Some(code) => match short_codes::point_of(conn, &code)? {
            Some(id) => uuid::Uuid::parse_str(&id)
                .map(|point_id| Payload::StaticPoint { point_id })
                .map_err(|_| PayloadError::Invalid),
            None => keys.verify(&req.payload),
        },
        None => keys.verify(&req.payload),
    };
    Ok(Some(same_nonce(prev, &payload).map(|p| p.view(keys))))
}

/// A nonce sent again answers as before, but only with the same code: a nonce reused with
/// another point's code (or a code that is not one) is refused.
fn same_nonce(prev: Outcome, payload: &Result<Payload, PayloadError>) -> Result<Outcome, AppError> {
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

/// Accepts or refuses a scan (`POST /checkins`); see `domain::checkin` for the rules. A retry
/// with the same nonce gets the first answer again: an accepted scan meets the nonce's unique
/// index, a refused one looks it up before refusing, so a first scan reads nothing for it.
///
/// The write is one statement (`checkins::record`: the insert, the first-visit flag, the stamp
/// count, the ban and retired-point checks): on PostgreSQL committed on its own, one round
/// trip, unless its stamp reaches a threshold; then, and on SQLite, inside the transaction
/// that issues the coupons earned.
pub fn check_in(
    conn: &mut DbConn,
    keys: &KeyRing,
    caches: &Caches,
    req: CheckinRequest,
) -> Result<CheckedIn, AppError> {
    let received_at = now();
    // A short code typed from the poster names a static point as its QR does.
    let typed_point = match crate::domain::short_code::normalise(&req.payload) {
        Some(code) => short_codes::point_of(conn, &code)?,
        None => None,
    };
    let verified = match &typed_point {
        Some(id) => uuid::Uuid::parse_str(id)
            .map(|point_id| Payload::StaticPoint { point_id })
            .map_err(|_| PayloadError::Invalid),
        None => keys.verify(&req.payload),
    };
    let (point_id, counter) = match verified {
        Ok(Payload::StaticPoint { point_id }) => (PointId::from(point_id.to_string()), None),
        Ok(Payload::RotatingPoint { point_id, counter }) => {
            (PointId::from(point_id.to_string()), Some(counter))
        }
        Ok(Payload::DevicePoint {
            point_id,
            device_id,
            counter,
        }) => {
            // A display's own code counts only while that display is active at that point.
            let point_id = PointId::from(point_id.to_string());
            if !operations::device_valid(conn, &device_id.to_string(), &point_id)? {
                return refuse(conn, keys, caches, &req, None, Refusal::InvalidPayload);
            }
            (point_id, Some(counter))
        }
        Ok(Payload::Coupon { .. }) | Err(PayloadError::Invalid) | Err(PayloadError::Expired) => {
            return refuse(conn, keys, caches, &req, None, Refusal::InvalidPayload);
        }
    };
    let found = caches.point(conn, &point_id)?;
    let Some((point, campaign)) = found.as_deref() else {
        return refuse(conn, keys, caches, &req, None, Refusal::InvalidPayload);
    };
    let mut req = req;
    match checkin::scan_method(
        point.kind,
        point.rotating,
        typed_point.is_some(),
        req.method,
    ) {
        Ok(m) => req.method = m,
        Err(r) => return refuse(conn, keys, caches, &req, Some(point), r),
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
        published: campaign.status == CampaignStatus::Published,
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
        Err(r) => return refuse(conn, keys, caches, &req, Some(point), r),
    };
    let row = Checkin {
        id: CheckinId::generate(),
        visitor_id: req.visitor_id.clone(),
        point_id: point.id.clone(),
        campaign_id: point.campaign_id.clone(),
        method: req.method,
        day: macau_day(scanned_at),
        scanned_at,
        received_at,
        lat: req.lat,
        lng: req.lng,
        nonce: req.nonce.clone(),
        ref_: req.visitor_ref.clone(),
        first_visit: false,
    };
    let result = record(conn, &row, &offers, received_at);
    match result {
        Ok(None) => refuse(conn, keys, caches, &req, Some(point), Refusal::PointRetired),
        Ok(Some(outcome)) => {
            crate::telemetry::count("bairro_checkins_total", 1);
            Ok(outcome.view(keys))
        }
        Err(AppError::Conflict(_)) => refuse(
            conn,
            keys,
            caches,
            &req,
            Some(point),
            Refusal::AlreadyCheckedIn,
        ),
        Err(e) => match answer_again(conn, keys, caches, &req)? {
            Some(answer) => answer,
            None => Err(e),
        },
    }
}

/// Records an accepted check-in and issues the coupons it earns: `None` when nothing was
/// written (an unknown or banned visitor, or a retired point). On PostgreSQL the check-in is
/// first tried as one statement on its own, which counts the stamp exactly on the visitor's
/// card and stops at the counts where coupons may be due; only then does it run again inside
/// the transaction that issues them (as on SQLite, where the writer is one and the
/// transaction costs no round trip).
fn record(
    conn: &mut DbConn,
    row: &Checkin,
    offers: &[Offer],
    t: NaiveDateTime,
) -> Result<Option<Outcome>, AppError> {
    let reward_at = thresholds(offers);
    let outcome = |checkin, stamps, coupons| Outcome {
        checkin,
        stamps,
        next_reward_at: issuance::next_reward_at(stamps, &reward_at),
        coupons,
    };
    if matches!(conn, DbConn::Pg(_)) {
        match checkins::record(conn, row, &reward_at)? {
            Record::Written(r) => {
                let mut row = row.clone();
                row.first_visit = r.first_visit;
                // Coupons earned earlier and not held (the offer was out of stock then, or is
                // new since) are issued now, as on every check-in, after the check-in's commit.
                let coupons = if owes(offers, &r, t) {
                    write_tx(conn, |conn| {
                        visitors::lock(conn, &row.visitor_id)?;
                        issue(conn, offers, &row, r.stamps, t)
                    })?
                } else {
                    Vec::new()
                };
                return Ok(Some(outcome(row, r.stamps, coupons)));
            }
            Record::NotAllowed => {
                visitors::lock(conn, &row.visitor_id)?;
                return Ok(None);
            }
            Record::AtThreshold => {}
        }
    }
    write_tx(conn, |conn| {
        // The visitor's check-ins and issuance take turns, so the insert sees every earlier one.
        visitors::serialise(conn, &row.visitor_id)?;
        let recorded = match checkins::record(conn, row, &[])? {
            Record::Written(r) => r,
            // The lock says whether the visitor is unknown or banned; if neither, the point
            // was retired.
            Record::NotAllowed | Record::AtThreshold => {
                visitors::lock(conn, &row.visitor_id)?;
                return Ok(None);
            }
        };
        let mut row = row.clone();
        row.first_visit = recorded.first_visit;
        let coupons = if owes(offers, &recorded, t) {
            issue(conn, offers, &row, recorded.stamps, t)?
        } else {
            Vec::new()
        };
        Ok(Some(outcome(row, recorded.stamps, coupons)))
    })
}

/// Whether the visitor, with the stamps and coupons its check-in's statement read, is owed a
/// coupon it does not hold (`coupons::entitled` says what it has earned).
fn owes(offers: &[Offer], r: &checkins::Recorded, t: NaiveDateTime) -> bool {
    let h = &r.holding;
    coupons::entitled(offers, r.stamps, t, counts_verified(offers, h.verified))
        .iter()
        .any(|(o, n)| h.held.get(o.id.as_str()).copied().unwrap_or(0) < *n)
}

/// Whether a check-in counts the visitor as verified: only for offers triggered by check-ins
/// (sign-up offers that need it are issued at verification).
fn counts_verified(offers: &[Offer], verified: bool) -> bool {
    verified
        && offers
            .iter()
            .any(|o| o.requires_verified && o.trigger_type == TriggerType::Checkins)
}

/// Issues what a visitor with `count` stamps has earned and does not hold, under the visitor's
/// lock, for the check-in `row`.
fn issue(
    conn: &mut DbConn,
    offers: &[Offer],
    row: &Checkin,
    count: i64,
    t: NaiveDateTime,
) -> Result<Vec<(Coupon, Offer)>, AppError> {
    let verified = counts_verified(offers, true) && visitors::is_verified(conn, &row.visitor_id)?;
    coupons::issue_earned(
        conn,
        offers,
        &row.visitor_id,
        count,
        Some(&row.id),
        row.ref_.as_deref(),
        t,
        verified,
    )
}

/// The visitor's check-ins, latest first (`GET /me/checkins`).
pub fn of_visitor(conn: &mut DbConn, visitor_id: &VisitorId) -> Result<Vec<CheckinView>, AppError> {
    Ok(checkins::of_visitor(conn, visitor_id)?
        .iter()
        .map(CheckinView::of)
        .collect())
}
