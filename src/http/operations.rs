//! Running a live campaign: changing offers, points and merchants, pausing, retiring,
//! suspending, withdrawing, voiding coupons and banning visitors. Every change is in the
//! audit log with its before and after.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Official;
use super::state::{ok, State};
use crate::db::audit::{self, Actor};
use crate::db::models::*;
use crate::db::{catalog, operations as ops, write_tx, DbConn};
use crate::domain::names::Names;
use crate::domain::time::{now, opt_rfc3339, parse_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::views;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/offers/{id}", web::patch().to(edit_offer))
        .route("/offers/{id}/pause", web::post().to(pause_offer))
        .route("/offers/{id}/resume", web::post().to(resume_offer))
        .route("/points/{id}", web::patch().to(edit_point))
        .route("/points/{id}/retire", web::post().to(retire_point))
        .route("/points/{id}/devices", web::get().to(list_devices))
        .route("/merchants/{id}", web::patch().to(edit_merchant))
        .route("/merchants/{id}/suspend", web::post().to(suspend_merchant))
        .route(
            "/merchants/{id}/reinstate",
            web::post().to(reinstate_merchant),
        )
        .route(
            "/enrolments/{id}/withdraw",
            web::post().to(withdraw_enrolment),
        )
        .route("/coupons/{id}/void", web::post().to(void_coupon))
        .route("/visitors/{id}/ban", web::post().to(ban_visitor))
        .route("/visitors/{id}/unban", web::post().to(unban_visitor))
        .route("/visitors/{id}", web::get().to(get_visitor));
}

fn campaign_ended() -> AppError {
    AppError::rule(
        Code::CampaignEnded,
        "This campaign has ended; it can no longer be changed.",
    )
}

fn ensure_running(c: &Campaign) -> Result<(), AppError> {
    if c.status == "ended" || (c.status == "published" && c.ends_at <= now()) {
        return Err(campaign_ended());
    }
    Ok(())
}

fn actor(who: &Official) -> Actor {
    Actor::official(&who.user_id)
}

/// A reason typed by an official: required, at most 1000 characters.
fn reason_of(r: Option<String>, required: bool) -> Result<Option<String>, AppError> {
    let r = r.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    match &r {
        None if required => Err(AppError::field("reason", "required")),
        Some(s) if s.chars().count() > 1000 => {
            Err(AppError::field("reason", "at most 1000 characters"))
        }
        _ => Ok(r),
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ReasonBody {
    pub reason: Option<String>,
}

fn offer_view(o: &Offer, paused: bool) -> Value {
    let mut v = views::offer(o);
    v["paused"] = json!(paused);
    v
}

// ---- offers ----

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OfferPatch {
    pub name: Option<Names>,
    pub stock: Option<i64>,
    /// The hard end of validity (RFC 3339).
    pub valid_until: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/offers/{id}", tag = "operations", request_body = OfferPatch, params(("id" = String, Path)),
    responses((status = 200, description = "offer"), (status = 409, description = "campaign_ended"), (status = 422, description = "stock_below_issued or validation_failed")))]
pub async fn edit_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<OfferPatch>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let b = body.into_inner();
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
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let before = catalog::find_offer(c, &id)?;
                let camp = catalog::find_campaign(c, &before.campaign_id)?;
                ensure_running(&camp)?;
                let paused = ops::offer_paused(c, &id)?;
                ops::edit_offer(
                    c,
                    &id,
                    name.map(|n| n.to_json()),
                    b.stock.map(|s| s as i32),
                    valid_until,
                )?;
                let after = catalog::find_offer(c, &id)?;
                let (bv, av) = (offer_view(&before, paused), offer_view(&after, paused));
                audit::record(c, &actor(&who), "edit", "offer", &id, Some(&bv), Some(&av))?;
                Ok(av)
            })
        })
        .await?;
    Ok(ok(&out))
}

async fn set_paused(
    state: State,
    who: Official,
    id: String,
    paused: bool,
) -> Result<HttpResponse, AppError> {
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let o = catalog::find_offer(c, &id)?;
                let camp = catalog::find_campaign(c, &o.campaign_id)?;
                ensure_running(&camp)?;
                let was = ops::offer_paused(c, &id)?;
                if was != paused {
                    ops::set_offer_paused(c, &id, paused)?;
                    audit::record(
                        c,
                        &actor(&who),
                        if paused { "pause" } else { "resume" },
                        "offer",
                        &id,
                        Some(&json!({"paused": was})),
                        Some(&json!({"paused": paused})),
                    )?;
                }
                Ok(offer_view(&o, paused))
            })
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/pause", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "offer, paused"), (status = 409, description = "campaign_ended")))]
pub async fn pause_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_paused(state, who, path.into_inner(), true).await
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/resume", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "offer, running again"), (status = 409, description = "campaign_ended")))]
pub async fn resume_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_paused(state, who, path.into_inner(), false).await
}

// ---- points ----

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PointPatch {
    pub name: Option<Names>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub radius_m: Option<i64>,
    pub rotate_seconds: Option<i64>,
    pub require_location: Option<bool>,
}

fn point_view(p: &Point, retired: Option<chrono::NaiveDateTime>) -> Value {
    let mut v = views::point(p, None);
    v["retired"] = json!(retired.is_some());
    v["retired_at"] = json!(opt_rfc3339(retired));
    v
}

fn retired_at(c: &mut DbConn, id: &str) -> Result<Option<chrono::NaiveDateTime>, AppError> {
    use crate::db::schema::points;
    use diesel::prelude::*;
    Ok(points::table.find(id).select(points::retired_at).first(c)?)
}

#[utoipa::path(patch, path = "/api/v1/points/{id}", tag = "operations", request_body = PointPatch, params(("id" = String, Path)),
    responses((status = 200, description = "point"), (status = 409, description = "campaign_ended"), (status = 422, description = "validation_failed")))]
pub async fn edit_point(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<PointPatch>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let before = catalog::find_point(c, &id)?;
                let camp = catalog::find_campaign(c, &before.campaign_id)?;
                ensure_running(&camp)?;
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
                let r = retired_at(c, &id)?;
                let (bv, av) = (point_view(&before, r), point_view(&after, r));
                audit::record(c, &actor(&who), "edit", "point", &id, Some(&bv), Some(&av))?;
                Ok(av)
            })
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/points/{id}/retire", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "point, retired: check-ins there answer 410 point_retired")))]
pub async fn retire_point(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let p = catalog::find_point(c, &id)?;
                let was = retired_at(c, &id)?;
                if was.is_none() {
                    ops::retire_point(c, &id, now())?;
                }
                let r = retired_at(c, &id)?;
                let (bv, av) = (point_view(&p, was), point_view(&p, r));
                if was.is_none() {
                    audit::record(
                        c,
                        &actor(&who),
                        "retire",
                        "point",
                        &id,
                        Some(&bv),
                        Some(&av),
                    )?;
                }
                Ok(av)
            })
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/points/{id}/devices", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "the point's display devices")))]
pub async fn list_devices(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let rows = state
        .db(move |c| {
            catalog::find_point(c, &id)?;
            ops::devices_of(c, &id)
        })
        .await?;
    Ok(ok(&rows
        .iter()
        .map(|(id, created, revoked)| {
            json!({
                "id": id,
                "created_at": crate::domain::time::to_rfc3339(*created),
                "revoked_at": opt_rfc3339(*revoked),
                "active": revoked.is_none(),
            })
        })
        .collect::<Vec<_>>()))
}

// ---- merchants ----

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MerchantPatch {
    pub name: Option<Names>,
    pub category: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub m_mark: Option<bool>,
}

pub fn merchant_view(
    m: &Merchant,
    suspension: Option<&(chrono::NaiveDateTime, Option<String>)>,
) -> Value {
    let mut v = views::merchant(m);
    v["suspended"] = json!(suspension.is_some());
    v["suspended_at"] = json!(suspension.map(|s| crate::domain::time::to_rfc3339(s.0)));
    v["suspend_reason"] = json!(suspension.and_then(|s| s.1.clone()));
    v
}

#[utoipa::path(patch, path = "/api/v1/merchants/{id}", tag = "operations", request_body = MerchantPatch, params(("id" = String, Path)),
    responses((status = 200, description = "merchant"), (status = 422, description = "validation_failed")))]
pub async fn edit_merchant(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<MerchantPatch>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let before = catalog::find_merchant(c, &id)?;
                let mut after = before.clone();
                let mut errs = Vec::new();
                if let Some(n) = b.name.map(|n| n.trimmed()) {
                    errs.extend(n.problems("name"));
                    after.name = n.to_json();
                }
                if let Some(cat) = b.category {
                    if !super::merchants::CATEGORIES.contains(&cat.as_str()) {
                        errs.push(FieldError {
                            field: "category".into(),
                            message: format!("one of {}", super::merchants::CATEGORIES.join(", ")),
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
                let s = ops::merchant_suspension(c, &id)?;
                let (bv, av) = (
                    merchant_view(&before, s.as_ref()),
                    merchant_view(&after, s.as_ref()),
                );
                audit::record(
                    c,
                    &actor(&who),
                    "edit",
                    "merchant",
                    &id,
                    Some(&bv),
                    Some(&av),
                )?;
                Ok(av)
            })
        })
        .await?;
    Ok(ok(&out))
}

async fn set_suspended(
    state: State,
    who: Official,
    id: String,
    reason: Option<String>,
    suspend: bool,
) -> Result<HttpResponse, AppError> {
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let m = catalog::find_merchant(c, &id)?;
                let was = ops::merchant_suspension(c, &id)?;
                if was.is_some() == suspend {
                    return Ok(merchant_view(&m, was.as_ref()));
                }
                let t = now();
                if suspend {
                    ops::set_merchant_suspended(c, &id, Some(t), reason.clone())?;
                } else {
                    ops::set_merchant_suspended(c, &id, None, None)?;
                }
                let is = ops::merchant_suspension(c, &id)?;
                let (bv, mut av) = (
                    merchant_view(&m, was.as_ref()),
                    merchant_view(&m, is.as_ref()),
                );
                if !suspend {
                    av["reason"] = json!(reason);
                }
                audit::record(
                    c,
                    &actor(&who),
                    if suspend { "suspend" } else { "reinstate" },
                    "merchant",
                    &id,
                    Some(&bv),
                    Some(&av),
                )?;
                Ok(merchant_view(&m, is.as_ref()))
            })
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/suspend", tag = "operations", request_body = ReasonBody, params(("id" = String, Path)),
    responses((status = 200, description = "merchant, suspended: its redemptions answer 403 merchant_suspended"), (status = 422, description = "reason required")))]
pub async fn suspend_merchant(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let reason = reason_of(body.and_then(|b| b.into_inner().reason), true)?;
    set_suspended(state, who, path.into_inner(), reason, true).await
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/reinstate", tag = "operations", request_body = ReasonBody, params(("id" = String, Path)),
    responses((status = 200, description = "merchant, reinstated")))]
pub async fn reinstate_merchant(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let reason = reason_of(body.and_then(|b| b.into_inner().reason), false)?;
    set_suspended(state, who, path.into_inner(), reason, false).await
}

// ---- enrolments ----

#[utoipa::path(post, path = "/api/v1/enrolments/{id}/withdraw", tag = "operations", request_body = ReasonBody, params(("id" = String, Path)),
    responses((status = 200, description = "enrolment, withdrawn"), (status = 409, description = "invalid_state")))]
pub async fn withdraw_enrolment(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = reason_of(body.and_then(|b| b.into_inner().reason), true)?.unwrap_or_default();
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let before = catalog::find_enrolment(c, &id)?;
                if before.status == "withdrawn" {
                    return Ok(views::enrolment(&before, None));
                }
                if !ops::withdraw_enrolment(c, &id, &who.user_id, &reason, now())? {
                    return Err(AppError::rule(
                        Code::InvalidState,
                        format!("A {} enrolment cannot be withdrawn.", before.status),
                    ));
                }
                let after = catalog::find_enrolment(c, &id)?;
                let (bv, av) = (
                    views::enrolment(&before, None),
                    views::enrolment(&after, None),
                );
                audit::record(
                    c,
                    &actor(&who),
                    "withdraw",
                    "enrolment",
                    &id,
                    Some(&bv),
                    Some(&av),
                )?;
                Ok(av)
            })
        })
        .await?;
    Ok(ok(&out))
}

// ---- fraud actions ----

#[utoipa::path(post, path = "/api/v1/coupons/{id}/void", tag = "operations", request_body = ReasonBody, params(("id" = String, Path)),
    responses((status = 200, description = "coupon, void"), (status = 409, description = "coupon_not_voidable"), (status = 422, description = "reason required")))]
pub async fn void_coupon(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = reason_of(body.and_then(|b| b.into_inner().reason), true)?.unwrap_or_default();
    let keys = state.qr.clone();
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let (coupon, offer) = ops::coupon_with_offer(c, &id)?;
                let t = now();
                if coupon.status == "void" {
                    return Ok((coupon, offer));
                }
                if !ops::void_coupon(c, &coupon, &offer, Some(&who.user_id), &reason, t)? {
                    return Err(AppError::rule(
 Code::CouponNotVoidable,
                        format!("A {} coupon cannot be voided.", coupon.status),
                    ));
                }
                let (after, _) = ops::coupon_with_offer(c, &id)?;
                audit::record(
                    c,
                    &actor(&who),
                    "void",
                    "coupon",
                    &id,
                    Some(&json!({"status": coupon.status})),
                    Some(&json!({"status": "void", "reason": reason, "visitor_id": coupon.visitor_id})),
                )?;
                Ok((after, offer))
            })
        })
        .await?;
    let (coupon, offer) = out;
    let mut v = views::coupon(&coupon, Some(&offer), keys.coupon(&coupon.code), now());
    v["visitor_id"] = json!(coupon.visitor_id);
    Ok(ok(&v))
}

fn ban_view(id: &str, b: &ops::Ban) -> Value {
    json!({
        "id": id,
        "banned": b.0.is_some(),
        "banned_at": opt_rfc3339(b.0),
        "ban_reason": b.1,
        "banned_by": b.2,
    })
}

#[utoipa::path(post, path = "/api/v1/visitors/{id}/ban", tag = "operations", request_body = ReasonBody, params(("id" = String, Path)),
    responses((status = 200, description = "visitor, banned: its issued coupons are void; check-ins and claims answer 403 visitor_banned")))]
pub async fn ban_visitor(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = reason_of(body.and_then(|b| b.into_inner().reason), true)?.unwrap_or_default();
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let before = ops::visitor_ban(c, &id)?;
                if before.0.is_some() {
                    let mut v = ban_view(&id, &before);
                    v["voided_coupons"] = json!([]);
                    return Ok(v);
                }
                let voided = ops::ban_visitor(c, &id, &who.user_id, &reason, now())?;
                let after = ops::visitor_ban(c, &id)?;
                let mut av = ban_view(&id, &after);
                av["voided_coupons"] = json!(voided);
                audit::record(
                    c,
                    &actor(&who),
                    "ban",
                    "visitor",
                    &id,
                    Some(&ban_view(&id, &before)),
                    Some(&av),
                )?;
                Ok(av)
            })
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/visitors/{id}/unban", tag = "operations", request_body = ReasonBody, params(("id" = String, Path)),
    responses((status = 200, description = "visitor, no longer banned (voided coupons stay void)")))]
pub async fn unban_visitor(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = reason_of(body.and_then(|b| b.into_inner().reason), false)?;
    let out = state
        .db(move |c| {
            write_tx(c, |c| {
                let before = ops::visitor_ban(c, &id)?;
                if before.0.is_none() {
                    return Ok(ban_view(&id, &before));
                }
                ops::unban_visitor(c, &id)?;
                let after = ops::visitor_ban(c, &id)?;
                let mut av = ban_view(&id, &after);
                av["reason"] = json!(reason);
                audit::record(
                    c,
                    &actor(&who),
                    "unban",
                    "visitor",
                    &id,
                    Some(&ban_view(&id, &before)),
                    Some(&av),
                )?;
                Ok(ban_view(&id, &after))
            })
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/visitors/{id}", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "a visitor's ban state and coupons"), (status = 404, description = "not_found")))]
pub async fn get_visitor(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (id, b, coupons) = state
        .db(move |c| {
            let b = ops::visitor_ban(c, &id)?;
            let coupons = crate::db::coupons::of_visitor(c, &id)?;
            Ok((id, b, coupons))
        })
        .await?;
    let t = now();
    let mut v = ban_view(&id, &b);
    // Its coupons, so an official can void one from a fraud signal.
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
            "issued_at": crate::domain::time::to_rfc3339(k.issued_at),
        }))
        .collect::<Vec<_>>());
    Ok(ok(&v))
}
