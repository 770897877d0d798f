//! Running a live campaign: changing offers, points and merchants, pausing, retiring,
//! suspending, withdrawing, voiding coupons and banning visitors. Every change is in the
//! audit log with its before and after; the switches (pause/resume, retire,
//! suspend/reinstate, ban/unban) all go through [`switch`].

use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::audit::Actor;
use crate::db::{catalog, coupons, operations as ops, write_tx, DbConn};
use crate::domain::catalog::CATEGORIES;
use crate::domain::names::Names;
use crate::domain::payload::KeyRing;
use crate::domain::time::{now, parse_rfc3339, to_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::types::{
    AuditAction, AuditEntity, CouponId, CouponStatus, EnrolmentId, EnrolmentStatus, MerchantId,
    OfferId, PointId, UserId, VisitorId,
};
use crate::views;
use crate::views::campaigns::{offer_with_paused, point_with_retirement, OfferView, PointView};
use crate::views::coupons::VoidedCoupon;
use crate::views::merchants::with_suspension;

use super::campaigns::ensure_running;

/// A reason typed by an official: required or not, at most 1000 characters.
pub fn reason_of(r: Option<String>, required: bool) -> Result<Option<String>, AppError> {
    let r = r.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    match &r {
        None if required => Err(AppError::field("reason", "required")),
        Some(s) if s.chars().count() > 1000 => {
            Err(AppError::field("reason", "at most 1000 characters"))
        }
        _ => Ok(r),
    }
}

/// The one path of every audited switch (pause/resume, retire, suspend/reinstate,
/// ban/unban), in the caller's transaction: reads the entity's state; when it already is the
/// wanted one (`done`), changes nothing and records nothing. Otherwise applies the change,
/// reads the state again and records both states under `action`, with the change's own note
/// (such as the coupons a ban voided) added to the state after. Returns the state after and,
/// when something changed, the note.
#[allow(clippy::too_many_arguments)]
fn switch<S>(
    c: &mut DbConn,
    actor: &Actor,
    action: AuditAction,
    entity: AuditEntity,
    id: &str,
    read: impl Fn(&mut DbConn) -> Result<S, AppError>,
    done: impl Fn(&S) -> bool,
    apply: impl FnOnce(&mut DbConn) -> Result<Value, AppError>,
    audit_view: impl Fn(&S) -> Value,
) -> Result<(S, Option<Value>), AppError> {
    let before = read(c)?;
    if done(&before) {
        return Ok((before, None));
    }
    let note = apply(c)?;
    let after = read(c)?;
    let mut recorded = audit_view(&after);
    if let (Some(to), Value::Object(extra)) = (recorded.as_object_mut(), &note) {
        for (k, v) in extra {
            to.insert(k.clone(), v.clone());
        }
    }
    super::audit_change(
        c,
        actor,
        action,
        entity,
        id,
        Some(&audit_view(&before)),
        Some(&recorded),
    )?;
    Ok((after, Some(note)))
}

// ---- offers ----

/// An official's change to an offer.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct OfferPatch {
    pub name: Option<Names>,
    /// Never below what was already issued.
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub stock: Option<i64>,
    /// The hard end of validity (RFC 3339), in the future.
    pub valid_until: Option<String>,
}

/// Changes an offer's names, stock or end of validity while its campaign runs.
pub fn edit_offer(
    conn: &mut DbConn,
    actor: &Actor,
    id: &OfferId,
    b: OfferPatch,
) -> Result<OfferView, AppError> {
    let mut errs = Vec::new();
    let name = b.name.map(|n| n.trimmed());
    if let Some(n) = &name {
        errs.extend(n.problems("name"));
    }
    if b.stock.is_some_and(|s| !(1..=10_000_000).contains(&s)) {
        errs.push(FieldError {
            field: "stock".into(),
            message: "1 to 10,000,000".into(),
        });
    }
    let valid_until = match b.valid_until.as_deref() {
        None => None,
        Some(s) => match parse_rfc3339(s) {
            Some(t) if t > now() => Some(t),
            _ => {
                errs.push(FieldError {
                    field: "valid_until".into(),
                    message: "RFC 3339 with offset, in the future".into(),
                });
                None
            }
        },
    };
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    write_tx(conn, |c| {
        let before = catalog::find_offer(c, id)?;
        ensure_running(&catalog::find_campaign(c, &before.campaign_id)?)?;
        let paused = ops::offer_paused(c, id)?;
        ops::edit_offer(
            c,
            id,
            name.map(|n| n.to_json()),
            b.stock.map(|s| s as i32),
            valid_until,
        )?;
        let after = catalog::find_offer(c, id)?;
        let (bv, av) = (
            offer_with_paused(&before, paused),
            offer_with_paused(&after, paused),
        );
        super::audit_change(
            c,
            actor,
            AuditAction::Edit,
            AuditEntity::Offer,
            id,
            Some(&bv),
            Some(&av),
        )?;
        Ok(av)
    })
}

/// Pauses an offer (no new coupons; issued ones stay valid) or resumes it.
pub fn set_paused(
    conn: &mut DbConn,
    actor: &Actor,
    id: &OfferId,
    paused: bool,
) -> Result<OfferView, AppError> {
    write_tx(conn, |c| {
        let o = catalog::find_offer(c, id)?;
        ensure_running(&catalog::find_campaign(c, &o.campaign_id)?)?;
        switch(
            c,
            actor,
            if paused {
                AuditAction::Pause
            } else {
                AuditAction::Resume
            },
            AuditEntity::Offer,
            id,
            |c| ops::offer_paused(c, id),
            |was| *was == paused,
            |c| ops::set_offer_paused(c, id, paused).map(|_| Value::Null),
            |p| json!({ "paused": p }),
        )?;
        Ok(offer_with_paused(&o, paused))
    })
}

// ---- points ----

/// An official's change to a check-in point.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PointPatch {
    pub name: Option<Names>,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: Option<f64>,
    #[schema(minimum = 5, maximum = 10_000)]
    pub radius_m: Option<i64>,
    #[schema(minimum = 10, maximum = 3600)]
    pub rotate_seconds: Option<i64>,
    pub require_location: Option<bool>,
}

/// Changes a point while its campaign runs.
pub fn edit_point(
    conn: &mut DbConn,
    actor: &Actor,
    id: &PointId,
    b: PointPatch,
) -> Result<PointView, AppError> {
    write_tx(conn, |c| {
        let before = catalog::find_point(c, id)?;
        ensure_running(&catalog::find_campaign(c, &before.campaign_id)?)?;
        let mut after = before.clone();
        let mut errs = Vec::new();
        if let Some(n) = b.name.map(|n| n.trimmed()) {
            errs.extend(n.problems("name"));
            after.name = n.to_json();
        }
        after.lat = b.lat.unwrap_or(after.lat);
        after.lng = b.lng.unwrap_or(after.lng);
        if !crate::domain::geo::valid_coordinates(after.lat, after.lng) {
            errs.push(FieldError {
                field: "lat".into(),
                message: "latitude −90..90 and longitude −180..180".into(),
            });
        }
        if let Some(r) = b.radius_m {
            if !(5..=10_000).contains(&r) {
                errs.push(FieldError {
                    field: "radius_m".into(),
                    message: "5 to 10,000 metres".into(),
                });
            }
            after.radius_m = r.clamp(5, 10_000) as i32;
        }
        if let Some(r) = b.rotate_seconds {
            if !(10..=3600).contains(&r) {
                errs.push(FieldError {
                    field: "rotate_seconds".into(),
                    message: "10 to 3600 seconds".into(),
                });
            }
            after.rotate_seconds = r.clamp(10, 3600) as i32;
        }
        after.require_location = b.require_location.unwrap_or(after.require_location);
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        ops::update_point(c, &after)?;
        let r = ops::point_retired_at(c, id)?;
        let (bv, av) = (
            point_with_retirement(&before, r),
            point_with_retirement(&after, r),
        );
        super::audit_change(
            c,
            actor,
            AuditAction::Edit,
            AuditEntity::Point,
            id,
            Some(&bv),
            Some(&av),
        )?;
        Ok(av)
    })
}

/// Retires a point for good: check-ins there answer `point_retired`.
pub fn retire_point(conn: &mut DbConn, actor: &Actor, id: &PointId) -> Result<PointView, AppError> {
    write_tx(conn, |c| {
        let p = catalog::find_point(c, id)?;
        let (r, _) = switch(
            c,
            actor,
            AuditAction::Retire,
            AuditEntity::Point,
            id,
            |c| ops::point_retired_at(c, id),
            Option::is_some,
            |c| ops::retire_point(c, id, now()).map(|_| Value::Null),
            |r| views::value(point_with_retirement(&p, *r)),
        )?;
        Ok(point_with_retirement(&p, r))
    })
}

/// The display devices of a rotating point.
pub fn devices(
    conn: &mut DbConn,
    id: &PointId,
) -> Result<Vec<views::operations::DeviceView>, AppError> {
    catalog::find_point(conn, id)?;
    Ok(ops::devices_of(conn, id)?
        .iter()
        .map(|(id, created, revoked)| views::operations::DeviceView::new(id, *created, *revoked))
        .collect())
}

// ---- merchants ----

/// An official's change to a merchant.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MerchantPatch {
    pub name: Option<Names>,
    /// food, retail, services, culture, lodging or other.
    pub category: Option<String>,
    #[schema(max_length = 300)]
    pub address: Option<String>,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: Option<f64>,
    pub m_mark: Option<bool>,
}

/// Changes a merchant's names, category, address, place or M mark.
pub fn edit_merchant(
    conn: &mut DbConn,
    actor: &Actor,
    id: &MerchantId,
    b: MerchantPatch,
) -> Result<Value, AppError> {
    write_tx(conn, |c| {
        let before = catalog::find_merchant(c, id)?;
        let mut after = before.clone();
        let mut errs = Vec::new();
        if let Some(n) = b.name.map(|n| n.trimmed()) {
            errs.extend(n.problems("name"));
            after.name = n.to_json();
        }
        if let Some(cat) = b.category {
            if !CATEGORIES.contains(&cat.as_str()) {
                errs.push(FieldError {
                    field: "category".into(),
                    message: format!("one of {}", CATEGORIES.join(", ")),
                });
            }
            after.category = cat;
        }
        if let Some(a) = b.address {
            let a = a.trim().to_string();
            if a.is_empty() || a.chars().count() > 300 {
                errs.push(FieldError {
                    field: "address".into(),
                    message: "required, at most 300 characters".into(),
                });
            }
            after.address = a;
        }
        after.lat = b.lat.unwrap_or(after.lat);
        after.lng = b.lng.unwrap_or(after.lng);
        if !crate::domain::geo::valid_coordinates(after.lat, after.lng) {
            errs.push(FieldError {
                field: "lat".into(),
                message: "latitude −90..90 and longitude −180..180".into(),
            });
        }
        after.m_mark = b.m_mark.unwrap_or(after.m_mark);
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        ops::update_merchant(c, &after)?;
        let s = ops::merchant_suspension(c, id)?;
        let (bv, av) = (
            with_suspension(&before, s.as_ref()),
            with_suspension(&after, s.as_ref()),
        );
        super::audit_change(
            c,
            actor,
            AuditAction::Edit,
            AuditEntity::Merchant,
            id,
            Some(&bv),
            Some(&av),
        )?;
        Ok(av)
    })
}

/// Suspends a merchant (a reason is required; its redemptions answer `merchant_suspended`)
/// or reinstates it.
pub fn set_suspended(
    conn: &mut DbConn,
    actor: &Actor,
    id: &MerchantId,
    reason: Option<String>,
    suspend: bool,
) -> Result<Value, AppError> {
    let reason = reason_of(reason, suspend)?;
    write_tx(conn, |c| {
        let m = catalog::find_merchant(c, id)?;
        let (s, _) = switch(
            c,
            actor,
            if suspend {
                AuditAction::Suspend
            } else {
                AuditAction::Reinstate
            },
            AuditEntity::Merchant,
            id,
            |c| ops::merchant_suspension(c, id),
            |s| s.is_some() == suspend,
            |c| {
                if suspend {
                    ops::set_merchant_suspended(c, id, Some(now()), reason.clone())?;
                    Ok(Value::Null)
                } else {
                    ops::set_merchant_suspended(c, id, None, None)?;
                    Ok(json!({ "reason": reason }))
                }
            },
            |s| with_suspension(&m, s.as_ref()),
        )?;
        Ok(with_suspension(&m, s.as_ref()))
    })
}

// ---- enrolments ----

/// Withdraws a merchant from a campaign (a reason is required).
pub fn withdraw_enrolment(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &EnrolmentId,
    reason: Option<String>,
) -> Result<Value, AppError> {
    let reason = reason_of(reason, true)?.unwrap_or_default();
    write_tx(conn, |c| {
        let before = catalog::find_enrolment(c, id)?;
        if before.status == EnrolmentStatus::Withdrawn {
            return Ok(views::enrolment(&before, None));
        }
        if !ops::withdraw_enrolment(c, id, user_id, &reason, now())? {
            return Err(AppError::rule(
                Code::InvalidState,
                format!("A {} enrolment cannot be withdrawn.", before.status),
            ));
        }
        let after = catalog::find_enrolment(c, id)?;
        let (bv, av) = (
            views::enrolment(&before, None),
            views::enrolment(&after, None),
        );
        super::audit_change(
            c,
            &Actor::official(user_id),
            AuditAction::Withdraw,
            AuditEntity::Enrolment,
            id,
            Some(&bv),
            Some(&av),
        )?;
        Ok(av)
    })
}

// ---- fraud actions ----

/// Voids an issued coupon (a reason is required).
pub fn void_coupon(
    conn: &mut DbConn,
    keys: &KeyRing,
    user_id: &UserId,
    id: &CouponId,
    reason: Option<String>,
) -> Result<VoidedCoupon, AppError> {
    let reason = reason_of(reason, true)?.unwrap_or_default();
    let (coupon, offer) = write_tx(conn, |c| {
        let (coupon, offer) = ops::coupon_with_offer(c, id)?;
        if coupon.status == CouponStatus::Void {
            return Ok((coupon, offer));
        }
        if !ops::void_coupon(c, &coupon, &offer, Some(user_id), &reason, now())? {
            return Err(AppError::rule(
                Code::CouponNotVoidable,
                format!("A {} coupon cannot be voided.", coupon.status),
            ));
        }
        let (after, _) = ops::coupon_with_offer(c, id)?;
        super::audit_change(
            c,
            &Actor::official(user_id),
            AuditAction::Void,
            AuditEntity::Coupon,
            id,
            Some(&json!({"status": coupon.status})),
            Some(&json!({"status": "void", "reason": reason, "visitor_id": coupon.visitor_id})),
        )?;
        Ok((after, offer))
    })?;
    Ok(VoidedCoupon {
        coupon: crate::views::coupons::Coupon::of(
            &coupon,
            Some(&offer),
            keys.coupon(&coupon.code),
            now(),
        ),
        visitor_id: coupon.visitor_id.to_string(),
    })
}

/// Bans a visitor (a reason is required): its issued coupons are void; check-ins and claims
/// answer `visitor_banned`.
pub fn ban_visitor(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &VisitorId,
    reason: Option<String>,
) -> Result<Value, AppError> {
    let reason = reason_of(reason, true)?.unwrap_or_default();
    write_tx(conn, |c| {
        let (after, note) = switch(
            c,
            &Actor::official(user_id),
            AuditAction::Ban,
            AuditEntity::Visitor,
            id,
            |c| ops::visitor_ban(c, id),
            |b| b.0.is_some(),
            |c| {
                let voided = ops::ban_visitor(c, id, user_id, &reason, now())?;
                Ok(json!({ "voided_coupons": voided }))
            },
            |b| views::operations::ban(id, b),
        )?;
        let mut v = views::operations::ban(id, &after);
        v["voided_coupons"] = note
            .and_then(|n| n.get("voided_coupons").cloned())
            .unwrap_or_else(|| json!([]));
        Ok(v)
    })
}

/// Lifts a visitor's ban (voided coupons stay void).
pub fn unban_visitor(
    conn: &mut DbConn,
    user_id: &UserId,
    id: &VisitorId,
    reason: Option<String>,
) -> Result<Value, AppError> {
    let reason = reason_of(reason, false)?;
    write_tx(conn, |c| {
        let (after, _) = switch(
            c,
            &Actor::official(user_id),
            AuditAction::Unban,
            AuditEntity::Visitor,
            id,
            |c| ops::visitor_ban(c, id),
            |b| b.0.is_none(),
            |c| ops::unban_visitor(c, id).map(|_| json!({ "reason": reason })),
            |b| views::operations::ban(id, b),
        )?;
        Ok(views::operations::ban(id, &after))
    })
}

/// A visitor's ban state and coupons, so an official can void one from a fraud signal.
pub fn visitor(conn: &mut DbConn, id: &VisitorId) -> Result<Value, AppError> {
    let b = ops::visitor_ban(conn, id)?;
    let coupons = coupons::of_visitor(conn, id)?;
    let t = now();
    let mut v = views::operations::ban(id, &b);
    v["coupons"] = json!(coupons
        .iter()
        .map(|(k, o)| json!({
            "id": k.id,
            "offer_id": k.offer_id,
            "campaign_id": k.campaign_id,
            "offer_name": Names::from_json(&o.name),
            "kind": o.kind,
            "face_value_avos": o.face_value_avos,
            "status": k.effective_status(t),
            "issued_at": to_rfc3339(k.issued_at),
        }))
        .collect::<Vec<_>>());
    Ok(v)
}
