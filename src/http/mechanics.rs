//! Later campaign mechanics: the visitor's wallet card and consumption stamps (purchases
//! recorded at the till), and fair draws.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::{MerchantUser, VisitorAuth};
use super::state::{created, ok, State};
use crate::db::{draws, purchases};
use crate::error::{AppError, FieldError};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/card", web::get().to(my_card))
        .route("/me/card/qr.svg", web::get().to(my_card_qr))
        .route("/me/stamps", web::get().to(my_stamps))
        .route("/me/draws", web::get().to(my_draws))
        .route("/purchases", web::post().to(record_purchase))
        .route("/purchases/preview", web::post().to(preview_purchase))
        .route("/merchant/purchases", web::get().to(merchant_purchases))
        .route("/offers/{id}/entries", web::post().to(enter_draw))
        .route("/offers/{id}/draw", web::get().to(get_draw));
}

fn card_of(state: &State, visitor_id: &str) -> Result<String, AppError> {
    let id = uuid::Uuid::parse_str(visitor_id)
        .map_err(|_| AppError::Unauthorized("the token is not valid".into()))?;
    Ok(state.qr.visitor_card(id))
}

#[utoipa::path(get, path = "/api/v1/me/card", tag = "visitors",
    responses((status = 200, description = "{payload}: the text of the visitor's wallet QR, scanned at the till to record a purchase")))]
pub async fn my_card(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let payload = card_of(&state, &who.visitor_id)?;
    Ok(ok(
        &json!({"payload": payload, "visitor_id": who.visitor_id}),
    ))
}

#[utoipa::path(get, path = "/api/v1/me/card/qr.svg", tag = "visitors", responses((status = 200, description = "SVG of the wallet QR")))]
pub async fn my_card_qr(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let svg = crate::views::qr::svg(&card_of(&state, &who.visitor_id)?)?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

#[utoipa::path(get, path = "/api/v1/me/stamps", tag = "visitors",
    responses((status = 200, description = "[{campaign, count, stamps, offers}]: the visitor's purchase stamp cards")))]
pub async fn my_stamps(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let out = state
        .db(move |c| purchases::my_cards(c, &who.visitor_id))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/me/draws", tag = "visitors",
    responses((status = 200, description = "[entry]: the visitor's draw entries with their outcome (pending, won, lost) and a winner's coupon")))]
pub async fn my_draws(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let qr = state.qr.clone();
    let out = state
        .db(move |c| draws::my_entries(c, &qr, &who.visitor_id))
        .await?;
    Ok(ok(&out))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PurchaseBody {
    /// The scanned text of the visitor's wallet QR.
    pub visitor: String,
    pub spend_avos: i64,
    pub idempotency_key: String,
    /// The campaign (id or slug) when the shop takes part in several running ones.
    pub campaign: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/purchases", tag = "merchant", request_body = PurchaseBody,
    responses((status = 201, description = "{purchase, stamps: {count}, coupons}; the same key again → the same answer"),
        (status = 422, description = "invalid_card, validation_failed, idempotency_conflict"),
        (status = 403, description = "merchant_not_eligible")))]
pub async fn record_purchase(
    state: State,
    who: MerchantUser,
    body: web::Json<PurchaseBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut errs = Vec::new();
    if !(0..=10_000_000_000).contains(&b.spend_avos) {
        errs.push(FieldError {
            field: "spend_avos".into(),
            message: "0 to 10,000,000,000".into(),
        });
    }
    let key = b.idempotency_key.trim().to_string();
    if key.is_empty() || key.len() > 100 {
        errs.push(FieldError {
            field: "idempotency_key".into(),
            message: "1 to 100 characters, required".into(),
        });
    }
    if b.visitor.trim().is_empty() || b.visitor.len() > 256 {
        errs.push(FieldError {
            field: "visitor".into(),
            message: "the scanned wallet QR text".into(),
        });
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let req = purchases::PurchaseRequest {
        merchant_id: who.merchant_id,
        user_id: who.user_id,
        visitor: b.visitor,
        spend_avos: b.spend_avos,
        idempotency_key: key,
        campaign: b.campaign,
    };
    let (qr, caches) = (state.qr.clone(), state.caches.clone());
    let (status, body) = state
        .db(move |c| purchases::record(c, &qr, &caches, req))
        .await?;
    Ok(HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED)).json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CardBody {
    /// The scanned text of the visitor's wallet QR.
    pub visitor: String,
}

#[utoipa::path(post, path = "/api/v1/purchases/preview", tag = "merchant", request_body = CardBody,
    responses((status = 200, description = "{campaign_id, stamps: {count}, stamped_here_today}: nothing is recorded"),
        (status = 422, description = "invalid_card")))]
pub async fn preview_purchase(
    state: State,
    who: MerchantUser,
    body: web::Json<CardBody>,
) -> Result<HttpResponse, AppError> {
    let qr = state.qr.clone();
    let text = body.into_inner().visitor;
    let out = state
        .db(move |c| purchases::till_view(c, &qr, &who.merchant_id, &text))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/merchant/purchases", tag = "merchant",
    responses((status = 200, description = "[purchase]: the shop's latest purchases")))]
pub async fn merchant_purchases(state: State, who: MerchantUser) -> Result<HttpResponse, AppError> {
    let out = state
        .db(move |c| purchases::list_for_merchant(c, &who.merchant_id, 50))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/entries", tag = "visitors", params(("id" = String, Path)),
    responses((status = 201, description = "entry"), (status = 409, description = "already_entered"),
        (status = 403, description = "entries_closed, campaign_not_active, not_open"), (status = 404, description = "not_found")))]
pub async fn enter_draw(
    state: State,
    who: VisitorAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let out = state
        .db(move |c| draws::enter(c, &id, &who.visitor_id))
        .await?;
    Ok(created(&out))
}

#[utoipa::path(get, path = "/api/v1/offers/{id}/draw", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, description = "{commitment, entries, status} and after the draw {seed, winners}"), (status = 404, description = "not_found")))]
pub async fn get_draw(state: State, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let out = state.db(move |c| draws::public(c, &id)).await?;
    Ok(ok(&out))
}
