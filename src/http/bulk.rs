//! Work in bulk: importing the bureau's merchant spreadsheet, deciding many enrolments, and
//! approving or paying many statements. The rules live in `service::bulk`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Official;
use super::state::{ok, State};
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::service::bulk as uc;
use crate::types::{EnrolmentId, SettlementId};
use crate::views::bulk::{EnrolmentOutcome, ImportResult, SettlementOutcome};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/merchants/import")
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .route(web::post().to(import_merchants)),
    )
    .route("/enrolments/decide", web::post().to(decide_enrolments))
    .route("/settlements/approve", web::post().to(approve_settlements))
    .route("/settlements/pay", web::post().to(pay_settlements));
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `true` checks every row and creates nothing.
    pub dry_run: Option<bool>,
}

#[utoipa::path(post, path = "/api/v1/merchants/import", tag = "operations", params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "username,password,name_zh_hant,name_zh_hans,name_pt,name_en,category,address,lat,lng,m_mark"),
    responses((status = 200, description = "{created, errors: []} (with dry_run, what would be created)", body = ImportResult), (status = 422, description = "import_invalid with errors: [{row, field, message}]; nothing created")))]
pub async fn import_merchants(
    state: State,
    who: Official,
    q: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let rows = state.db(move |c| uc::check_import(c, &body)).await?;
    if q.dry_run.unwrap_or(false) {
        return Ok(ok(&uc::dry_run(&rows)));
    }
    let hashed = web::block(move || uc::hash_passwords(rows))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let actor = Actor::official(&who.user_id);
    let out = state.db(move |c| uc::import(c, &actor, hashed)).await?;
    Ok(ok(&out))
}

/// Many enrolments decided at once.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecideBody {
    /// At most 1000.
    #[schema(max_items = 1000)]
    pub ids: Vec<String>,
    /// `approve` or `reject`.
    pub decision: String,
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/enrolments/decide", tag = "operations", request_body = DecideBody,
    responses((status = 200, description = "[{id, status} or {id, code}], one per id", body = [EnrolmentOutcome])))]
pub async fn decide_enrolments(
    state: State,
    who: Official,
    body: web::Json<DecideBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let out = state
        .db(move |c| {
            let ids: Vec<EnrolmentId> = b.ids.iter().map(EnrolmentId::from).collect();
            uc::decide_enrolments(c, &who.user_id, &ids, &b.decision, b.reason)
        })
        .await?;
    Ok(ok(&out))
}

/// Many statements at once.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct IdsBody {
    /// At most 1000.
    #[schema(max_items = 1000)]
    pub ids: Vec<String>,
}

async fn advance_all(
    state: State,
    who: Official,
    ids: Vec<String>,
    action: &'static str,
) -> Result<HttpResponse, AppError> {
    let ids: Vec<SettlementId> = ids.into_iter().map(SettlementId::from).collect();
    let out = state
        .db(move |c| uc::advance_settlements(c, &who.user_id, &ids, action))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/settlements/approve", tag = "operations", request_body = IdsBody,
    responses((status = 200, description = "[{id, status} or {id, code}]; four-eyes per statement", body = [SettlementOutcome])))]
pub async fn approve_settlements(
    state: State,
    who: Official,
    body: web::Json<IdsBody>,
) -> Result<HttpResponse, AppError> {
    advance_all(state, who, body.into_inner().ids, "approve").await
}

#[utoipa::path(post, path = "/api/v1/settlements/pay", tag = "operations", request_body = IdsBody,
    responses((status = 200, description = "[{id, status} or {id, code}]", body = [SettlementOutcome])))]
pub async fn pay_settlements(
    state: State,
    who: Official,
    body: web::Json<IdsBody>,
) -> Result<HttpResponse, AppError> {
    advance_all(state, who, body.into_inner().ids, "pay").await
}
