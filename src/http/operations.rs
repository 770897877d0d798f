//! Running a live campaign: changing offers, points and merchants, pausing, retiring,
//! suspending, withdrawing, voiding coupons and banning visitors. The rules and the audit
//! live in `service::operations`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Official;
use super::state::{ok, State};
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::service::operations::{self as uc, MerchantPatch, OfferPatch, PointPatch};
use crate::views::campaigns::{EnrolmentView, OfferView, PointView};
use crate::views::merchants::MerchantView;
use crate::views::operations::{BanView, DeviceView};

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

fn actor(who: &Official) -> Actor {
    Actor::official(&who.user_id)
}

/// An official's reason for an operation.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ReasonBody {
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

fn reason(body: Option<web::Json<ReasonBody>>) -> Option<String> {
    body.and_then(|b| b.into_inner().reason)
}

// ---- offers ----

#[utoipa::path(patch, path = "/api/v1/offers/{id}", tag = "operations", request_body = OfferPatch, params(("id" = String, Path)),
    responses((status = 200, description = "offer with `paused`", body = OfferView), (status = 404, description = "not_found"),
        (status = 409, description = "campaign_ended"), (status = 422, description = "stock_below_issued (with `issued`) or validation_failed")))]
pub async fn edit_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<OfferPatch>,
) -> Result<HttpResponse, AppError> {
    let (id, b, actor) = (path.into_inner(), body.into_inner(), actor(&who));
    let out = state
        .db(move |c| uc::edit_offer(c, &actor, &id.into(), b))
        .await?;
    Ok(ok(&out))
}

async fn set_paused(
    state: State,
    who: Official,
    id: String,
    paused: bool,
) -> Result<HttpResponse, AppError> {
    let actor = actor(&who);
    let out = state
        .db(move |c| uc::set_paused(c, &actor, &id.into(), paused))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/pause", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "offer, paused", body = OfferView), (status = 404, description = "not_found"), (status = 409, description = "campaign_ended")))]
pub async fn pause_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_paused(state, who, path.into_inner(), true).await
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/resume", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "offer, running again", body = OfferView), (status = 404, description = "not_found"), (status = 409, description = "campaign_ended")))]
pub async fn resume_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_paused(state, who, path.into_inner(), false).await
}

// ---- points ----

#[utoipa::path(patch, path = "/api/v1/points/{id}", tag = "operations", request_body = PointPatch, params(("id" = String, Path)),
    responses((status = 200, description = "point with `retired` and `retired_at`", body = PointView), (status = 404, description = "not_found"),
        (status = 409, description = "campaign_ended"), (status = 422, description = "validation_failed")))]
pub async fn edit_point(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<PointPatch>,
) -> Result<HttpResponse, AppError> {
    let (id, b, actor) = (path.into_inner(), body.into_inner(), actor(&who));
    let out = state
        .db(move |c| uc::edit_point(c, &actor, &id.into(), b))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/points/{id}/retire", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "point, retired: check-ins there answer 410 point_retired", body = PointView), (status = 404, description = "not_found")))]
pub async fn retire_point(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (path.into_inner(), actor(&who));
    let out = state
        .db(move |c| uc::retire_point(c, &actor, &id.into()))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/points/{id}/devices", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "the point's display devices", body = [DeviceView]), (status = 404, description = "not_found")))]
pub async fn list_devices(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let out = state.db(move |c| uc::devices(c, &id.into())).await?;
    Ok(ok(&out))
}

// ---- merchants ----

#[utoipa::path(patch, path = "/api/v1/merchants/{id}", tag = "operations", request_body = MerchantPatch, params(("id" = String, Path)),
    responses((status = 200, description = "merchant with its suspension state", body = MerchantView), (status = 404, description = "not_found"), (status = 422, description = "validation_failed")))]
pub async fn edit_merchant(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<MerchantPatch>,
) -> Result<HttpResponse, AppError> {
    let (id, b, actor) = (path.into_inner(), body.into_inner(), actor(&who));
    let out = state
        .db(move |c| uc::edit_merchant(c, &actor, &id.into(), b))
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
    let actor = actor(&who);
    let out = state
        .db(move |c| uc::set_suspended(c, &actor, &id.into(), reason, suspend))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/suspend", tag = "operations", request_body(content = Option<ReasonBody>), params(("id" = String, Path)),
    responses((status = 200, description = "merchant, suspended: its redemptions answer 403 merchant_suspended", body = MerchantView), (status = 404, description = "not_found"),
        (status = 422, description = "validation_failed: a reason is required")))]
pub async fn suspend_merchant(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    set_suspended(state, who, path.into_inner(), reason(body), true).await
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/reinstate", tag = "operations", request_body(content = Option<ReasonBody>), params(("id" = String, Path)),
    responses((status = 200, description = "merchant, reinstated", body = MerchantView), (status = 404, description = "not_found"), (status = 422, description = "validation_failed")))]
pub async fn reinstate_merchant(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    set_suspended(state, who, path.into_inner(), reason(body), false).await
}

// ---- enrolments ----

#[utoipa::path(post, path = "/api/v1/enrolments/{id}/withdraw", tag = "operations", request_body(content = Option<ReasonBody>), params(("id" = String, Path)),
    responses((status = 200, description = "enrolment, withdrawn", body = EnrolmentView), (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state: a rejected enrolment cannot be withdrawn"), (status = 422, description = "validation_failed: a reason is required")))]
pub async fn withdraw_enrolment(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let (id, r) = (path.into_inner(), reason(body));
    let out = state
        .db(move |c| uc::withdraw_enrolment(c, &who.user_id, &id.into(), r))
        .await?;
    Ok(ok(&out))
}

// ---- fraud actions ----

#[utoipa::path(post, path = "/api/v1/coupons/{id}/void", tag = "operations", request_body(content = Option<ReasonBody>), params(("id" = String, Path)),
    responses((status = 200, description = "coupon, void, with `visitor_id`", body = crate::views::coupons::VoidedCoupon), (status = 404, description = "not_found"),
        (status = 409, description = "coupon_not_voidable: a redeemed coupon"), (status = 422, description = "validation_failed: a reason is required")))]
pub async fn void_coupon(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let (id, r) = (path.into_inner(), reason(body));
    let keys = state.qr.clone();
    let out = state
        .db(move |c| uc::void_coupon(c, &keys, &who.user_id, &id.into(), r))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/visitors/{id}/ban", tag = "operations", request_body(content = Option<ReasonBody>), params(("id" = String, Path)),
    responses((status = 200, description = "visitor, banned, with `voided_coupons`: its issued coupons are void; check-ins and claims answer 403 visitor_banned", body = BanView),
        (status = 404, description = "not_found"), (status = 422, description = "validation_failed: a reason is required")))]
pub async fn ban_visitor(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let (id, r) = (path.into_inner(), reason(body));
    let out = state
        .db(move |c| uc::ban_visitor(c, &who.user_id, &id.into(), r))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/visitors/{id}/unban", tag = "operations", request_body(content = Option<ReasonBody>), params(("id" = String, Path)),
    responses((status = 200, description = "visitor, no longer banned (voided coupons stay void)", body = BanView), (status = 404, description = "not_found"), (status = 422, description = "validation_failed")))]
pub async fn unban_visitor(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, AppError> {
    let (id, r) = (path.into_inner(), reason(body));
    let out = state
        .db(move |c| uc::unban_visitor(c, &who.user_id, &id.into(), r))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/visitors/{id}", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, description = "a visitor's ban state and its `coupons`", body = BanView), (status = 404, description = "not_found")))]
pub async fn get_visitor(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let out = state.db(move |c| uc::visitor(c, &id.into())).await?;
    Ok(ok(&out))
}
