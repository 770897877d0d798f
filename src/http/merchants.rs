//! Merchants: created by officials with their first login; the owner's own view, its
//! cashiers, and the post-campaign survey. The rules live in `service::merchants`.

use actix_web::{web, HttpResponse};

use super::auth::{MerchantOwner, MerchantUser, Official};
use super::state::{created, ok, State};
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::service::merchants::{self as uc, CashierBody, MerchantBody, SurveyBody};
use crate::service::passwords;
use crate::views::merchants::{
    CashierAdded, LoginDisabled, MerchantLogin, MerchantView, SurveyAnswerSaved,
};
use crate::views::shop::MerchantMe;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/merchants", web::post().to(create))
        .route("/merchants", web::get().to(list))
        .route("/merchant/me", web::get().to(me))
        .route("/merchant/users", web::get().to(list_users))
        .route("/merchant/users", web::post().to(add_cashier))
        .route(
            "/merchant/users/{id}/disable",
            web::post().to(disable_cashier),
        )
        .route("/campaigns/{id}/survey", web::post().to(survey));
}

/// Hashes a password on the blocking pool, holding no database connection meanwhile.
async fn hash_off_pool(password: String) -> Result<String, AppError> {
    web::block(move || passwords::hash(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

#[utoipa::path(post, path = "/api/v1/merchants", tag = "merchants", request_body = MerchantBody,
    responses((status = 201, description = "merchant with its first login's `username`", body = MerchantView),
        (status = 409, description = "username_taken"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    body: web::Json<MerchantBody>,
) -> Result<HttpResponse, AppError> {
    let mut checked = uc::check_merchant(body.into_inner())?;
    let hash = hash_off_pool(std::mem::take(&mut checked.password)).await?;
    let actor = Actor::official(&who.user_id);
    let out = state
        .db(move |c| uc::create(c, &actor, checked, hash))
        .await?;
    Ok(created(&out))
}

#[utoipa::path(get, path = "/api/v1/merchants", tag = "merchants",
    responses((status = 200, description = "all merchants with their suspension state", body = [MerchantView])))]
pub async fn list(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let out = state.db(uc::list).await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/merchant/me", tag = "merchant", responses((status = 200, description = "the merchant, its enrolments and today's totals", body = MerchantMe)))]
pub async fn me(state: State, who: MerchantUser) -> Result<HttpResponse, AppError> {
    let (mid, owner) = (who.merchant_id.clone(), who.owner);
    let out = state.db(move |c| uc::me(c, &mid, owner)).await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/merchant/users", tag = "merchant", responses((status = 200, description = "the merchant's logins", body = [MerchantLogin])))]
pub async fn list_users(state: State, who: MerchantOwner) -> Result<HttpResponse, AppError> {
    let mid = who.0.merchant_id.clone();
    let out = state.db(move |c| uc::users(c, &mid)).await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/merchant/users", tag = "merchant", request_body = CashierBody, responses((status = 201, description = "a cashier login", body = CashierAdded)))]
pub async fn add_cashier(
    state: State,
    who: MerchantOwner,
    body: web::Json<CashierBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    uc::check_cashier(&b)?;
    let hash = hash_off_pool(b.password).await?;
    let m = who.0;
    let out = state
        .db(move |c| uc::add_cashier(c, &m.user_id, &m.merchant_id, b.username, hash))
        .await?;
    Ok(created(&out))
}

#[utoipa::path(post, path = "/api/v1/merchant/users/{id}/disable", tag = "merchant", params(("id" = String, Path)), responses((status = 200, description = "disabled", body = LoginDisabled)))]
pub async fn disable_cashier(
    state: State,
    who: MerchantOwner,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = crate::types::UserId::from(path.into_inner());
    let m = who.0;
    let out = state
        .db(move |c| uc::disable_cashier(c, &m.user_id, &m.merchant_id, &id))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/survey", tag = "merchant", request_body = SurveyBody, params(("id" = String, Path)),
    responses((status = 201, description = "answer recorded", body = SurveyAnswerSaved), (status = 200, description = "answer updated", body = SurveyAnswerSaved)))]
pub async fn survey(
    state: State,
    who: MerchantOwner,
    path: web::Path<String>,
    body: web::Json<SurveyBody>,
) -> Result<HttpResponse, AppError> {
    let (key, b, m) = (path.into_inner(), body.into_inner(), who.0);
    let (out, new) = state
        .db(move |c| uc::survey(c, &m.user_id, &m.merchant_id, &key, b))
        .await?;
    Ok(if new { created(&out) } else { ok(&out) })
}
