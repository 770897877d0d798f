//! Campaigns (create, edit while draft, publish, end), their offers, and merchants'
//! enrolments with the officials' decisions. The rules live in `service::campaigns`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::{MaybeOfficial, MerchantOwner, Official};
use super::state::{created, ok, State};
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::service::campaigns::{self as uc, CampaignBody, OfferBody};
use crate::types::{CampaignId, CampaignStatus, EnrolmentId, EnrolmentStatus};
use crate::views::campaigns::{CampaignView, EnrolmentView, OfferView};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns", web::get().to(list))
        .route("/campaigns", web::post().to(create))
        .route("/campaigns/{id}", web::get().to(get))
        .route("/campaigns/{id}", web::patch().to(edit))
        .route("/campaigns/{id}/publish", web::post().to(publish))
        .route("/campaigns/{id}/end", web::post().to(end))
        .route("/campaigns/{id}/offers", web::post().to(create_offer))
        .route("/campaigns/{id}/enrolments", web::post().to(apply))
        .route(
            "/campaigns/{id}/enrolments",
            web::get().to(campaign_enrolments),
        )
        .route("/enrolments", web::get().to(list_enrolments))
        .route("/enrolments/{id}/approve", web::post().to(approve))
        .route("/enrolments/{id}/reject", web::post().to(reject));
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", security((), ("bearer" = [])),
    responses((status = 200, description = "published campaigns, each with its `budget` figures and `cover_url` when it has a cover; officials also see drafts", body = [CampaignView])))]
pub async fn list(state: State, who: MaybeOfficial) -> Result<HttpResponse, AppError> {
    let out = state.db(move |c| uc::list(c, who.0)).await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignBody,
    responses((status = 201, description = "the draft campaign with its `budget` and empty `points`, `offers` and `merchants`", body = CampaignView),
        (status = 409, description = "conflict: the slug is taken"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    body: web::Json<CampaignBody>,
) -> Result<HttpResponse, AppError> {
    let actor = Actor::official(&who.user_id);
    let body = body.into_inner();
    let out = state.db(move |c| uc::create(c, &actor, body)).await?;
    Ok(created(&out))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", security((), ("bearer" = [])), params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, description = "campaign with its `budget`, `points`, `offers` (with `paused`) and `merchants`; drafts only for officials", body = CampaignView),
        (status = 404, description = "not_found")))]
pub async fn get(
    state: State,
    who: MaybeOfficial,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let qr = state.qr.clone();
    let out = state.db(move |c| uc::show(c, &qr, &key, who.0)).await?;
    Ok(ok(&out))
}

#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignBody, params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, description = "the campaign, as GET answers it", body = CampaignView), (status = 404, description = "not_found"),
        (status = 409, description = "campaign_ended: it can no longer change; not_draft: once published only names, description, budgets and a later end change; conflict: the slug is taken"),
        (status = 422, description = "validation_failed")))]
pub async fn edit(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<CampaignBody>,
) -> Result<HttpResponse, AppError> {
    let actor = Actor::official(&who.user_id);
    let (key, body) = (path.into_inner(), body.into_inner());
    let qr = state.qr.clone();
    let out = state
        .db(move |c| {
            let id = uc::edit(c, &actor, &key, body)?;
            uc::show(c, &qr, &id, true)
        })
        .await?;
    Ok(ok(&out))
}

async fn transition(
    state: State,
    who: Official,
    key: String,
    from: &'static [CampaignStatus],
    to: CampaignStatus,
) -> Result<HttpResponse, AppError> {
    let actor = Actor::official(&who.user_id);
    let qr = state.qr.clone();
    let out = state
        .db(move |c| {
            let id = uc::transition(c, &actor, &key, from, to)?;
            uc::show(c, &qr, &id, true)
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/publish", tag = "campaigns", params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, description = "the campaign, published", body = CampaignView), (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state: an ended campaign cannot be published")))]
pub async fn publish(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    transition(
        state,
        who,
        path.into_inner(),
        &[CampaignStatus::Draft],
        CampaignStatus::Published,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/end", tag = "campaigns", params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, description = "the campaign, ended", body = CampaignView), (status = 404, description = "not_found")))]
pub async fn end(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    transition(
        state,
        who,
        path.into_inner(),
        &[CampaignStatus::Published, CampaignStatus::Draft],
        CampaignStatus::Ended,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/offers", tag = "campaigns", request_body = OfferBody, params(("id" = String, Path, description = "id or slug")),
    responses((status = 201, description = "offer", body = OfferView), (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state: the campaign has ended"),
        (status = 422, description = "validation_failed; verification_unavailable: the offer needs verified visitors and no code sender is configured")))]
pub async fn create_offer(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<OfferBody>,
) -> Result<HttpResponse, AppError> {
    let actor = Actor::official(&who.user_id);
    let (key, body) = (path.into_inner(), body.into_inner());
    let can_verify = state.wallets.senders.any();
    let out = state
        .db(move |c| uc::create_offer(c, &actor, &key, body, can_verify))
        .await?;
    Ok(created(&out))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/enrolments", tag = "enrolments", params(("id" = String, Path, description = "id or slug")),
    responses((status = 201, description = "enrolment, pending", body = EnrolmentView), (status = 404, description = "not_found"),
        (status = 409, description = "conflict: already applied; invalid_state: the campaign has ended")))]
pub async fn apply(
    state: State,
    who: MerchantOwner,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let m = who.0;
    let out = state
        .db(move |c| uc::apply(c, &m.user_id, &m.merchant_id, &key))
        .await?;
    Ok(created(&out))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct EnrolmentQuery {
    pub status: Option<String>,
    pub campaign: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/enrolments", tag = "enrolments", params(EnrolmentQuery),
    responses((status = 200, description = "enrolments with `merchant_name`, `merchant_no` and `merchant_address`", body = [EnrolmentView])))]
pub async fn list_enrolments(
    state: State,
    _who: Official,
    q: web::Query<EnrolmentQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let out = state
        .db(move |c| {
            uc::enrolments(
                c,
                q.status.as_deref(),
                q.campaign.map(CampaignId::from).as_ref(),
            )
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/enrolments", tag = "enrolments", params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, description = "enrolments of the campaign with `merchant_name`, `merchant_no` and `merchant_address`", body = [EnrolmentView]), (status = 404, description = "not_found")))]
pub async fn campaign_enrolments(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let out = state.db(move |c| uc::enrolments_of(c, &key)).await?;
    Ok(ok(&out))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct DecisionBody {
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

async fn decide(
    state: State,
    who: Official,
    id: String,
    status: EnrolmentStatus,
    reason: Option<String>,
) -> Result<HttpResponse, AppError> {
    let id = EnrolmentId::from(id);
    let out = state
        .db(move |c| uc::decide(c, &who.user_id, &id, status, reason))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/enrolments/{id}/approve", tag = "enrolments", request_body(content = Option<DecisionBody>), params(("id" = String, Path)),
    responses((status = 200, description = "enrolment, approved", body = EnrolmentView), (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state: already decided otherwise"), (status = 422, description = "validation_failed")))]
pub async fn approve(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<DecisionBody>>,
) -> Result<HttpResponse, AppError> {
    decide(
        state,
        who,
        path.into_inner(),
        EnrolmentStatus::Approved,
        body.and_then(|b| b.into_inner().reason),
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/enrolments/{id}/reject", tag = "enrolments", request_body(content = Option<DecisionBody>), params(("id" = String, Path)),
    responses((status = 200, description = "enrolment, rejected", body = EnrolmentView), (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state: already decided otherwise"), (status = 422, description = "validation_failed")))]
pub async fn reject(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<DecisionBody>>,
) -> Result<HttpResponse, AppError> {
    decide(
        state,
        who,
        path.into_inner(),
        EnrolmentStatus::Rejected,
        body.and_then(|b| b.into_inner().reason),
    )
    .await
}
