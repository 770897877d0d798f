//! Later campaign mechanics: the visitor's wallet card and consumption stamps (purchases
//! recorded at the till), and fair draws.

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::Deserialize;

use super::auth::{Confirmed, MerchantUser, VisitorAuth};
use super::state::{created, ok, State};
use crate::error::{AppError, FieldError};
use crate::service;
use crate::views::draws::{Entry, PublicDraw};
use crate::views::purchases::{Card, Purchase, PurchaseRecorded, StampCard, TillPreview};

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
    responses((status = 200, description = "The text of the visitor's wallet QR, scanned at the till to record a purchase", body = Card),
        (status = 401, description = "unauthorized")))]
pub async fn my_card(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let payload = card_of(&state, &who.visitor_id)?;
    Ok(ok(&Card {
        payload,
        visitor_id: who.visitor_id,
    }))
}

#[utoipa::path(get, path = "/api/v1/me/card/qr.svg", tag = "visitors", responses((status = 200, description = "SVG of the wallet QR", content_type = "image/svg+xml", body = String),
        (status = 401, description = "unauthorized")))]
pub async fn my_card_qr(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let svg = crate::views::qr::svg(&card_of(&state, &who.visitor_id)?)?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

#[utoipa::path(get, path = "/api/v1/me/stamps", tag = "visitors",
    responses((status = 200, description = "The visitor's purchase stamp cards, one per campaign", body = [StampCard]),
        (status = 401, description = "unauthorized")))]
pub async fn my_stamps(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let out = state
        .db(move |c| service::purchases::cards(c, &who.visitor_id))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/me/draws", tag = "visitors",
    responses((status = 200, description = "The visitor's draw entries with their outcome (pending, won, lost) and a winner's coupon", body = [Entry]),
        (status = 401, description = "unauthorized")))]
pub async fn my_draws(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let qr = state.qr.clone();
    let out = state
        .db(move |c| service::draws::of_visitor(c, &qr, &who.visitor_id))
        .await?;
    Ok(ok(&out))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PurchaseBody {
    /// The scanned text of the visitor's wallet QR.
    #[schema(min_length = 1, max_length = 256)]
    pub visitor: String,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub spend_avos: i64,
    /// The same key again (from a retry) answers the same, once recorded.
    #[schema(min_length = 1, max_length = 100)]
    pub idempotency_key: String,
    /// The campaign (id or slug) when the shop takes part in several running ones.
    pub campaign: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/purchases", tag = "merchant", request_body = PurchaseBody,
    responses((status = 201, description = "The purchase, the visitor's stamps and the coupons it issued; the same key again → the same answer", body = PurchaseRecorded),
        (status = 422, description = "invalid_card, validation_failed, idempotency_conflict"),
        (status = 403, description = "merchant_not_eligible, merchant_suspended, visitor_banned, forbidden"), (status = 401, description = "unauthorized")))]
pub async fn record_purchase(
    state: State,
    till: Confirmed<MerchantUser>,
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
    let (qr, caches) = (state.qr.clone(), state.caches.clone());
    let (status, body) = state
        .db(move |c| {
            let who = till.confirm(c)?;
            let req = service::purchases::PurchaseRequest {
                merchant_id: who.merchant_id,
                user_id: who.user_id,
                visitor: b.visitor,
                spend_avos: b.spend_avos,
                idempotency_key: key,
                campaign: b.campaign,
            };
            service::purchases::record(c, &qr, &caches, req)
        })
        .await?;
    Ok(HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED)).json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CardBody {
    /// The scanned text of the visitor's wallet QR.
    pub visitor: String,
}

#[utoipa::path(post, path = "/api/v1/purchases/preview", tag = "merchant", request_body = CardBody,
    responses((status = 200, description = "The visitor's stamps in the shop's running campaign: nothing is recorded", body = TillPreview),
        (status = 422, description = "invalid_card"), (status = 403, description = "merchant_not_eligible, forbidden"), (status = 401, description = "unauthorized")))]
pub async fn preview_purchase(
    state: State,
    till: Confirmed<MerchantUser>,
    body: web::Json<CardBody>,
) -> Result<HttpResponse, AppError> {
    let qr = state.qr.clone();
    let text = body.into_inner().visitor;
    let out = state
        .db(move |c| {
            let who = till.confirm(c)?;
            service::purchases::till_preview(c, &qr, &who.merchant_id, &text)
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/merchant/purchases", tag = "merchant",
    responses((status = 200, description = "The shop's latest purchases", body = [Purchase]),
        (status = 401, description = "unauthorized"), (status = 403, description = "forbidden")))]
pub async fn merchant_purchases(state: State, who: MerchantUser) -> Result<HttpResponse, AppError> {
    let out = state
        .db(move |c| service::purchases::of_merchant(c, &who.merchant_id, 50))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/entries", tag = "visitors", params(("id" = String, Path)),
    responses((status = 201, description = "The entry", body = Entry), (status = 409, description = "already_entered"),
        (status = 403, description = "entries_closed, campaign_not_active, not_open, verification_required, visitor_banned"), (status = 404, description = "not_found"),
        (status = 401, description = "unauthorized")))]
pub async fn enter_draw(
    state: State,
    who: VisitorAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let out = state
        .db(move |c| service::draws::enter(c, &id.into(), &who.visitor_id))
        .await?;
    Ok(created(&out))
}

#[utoipa::path(get, path = "/api/v1/offers/{id}/draw", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, description = "The draw's commitment, entries and status, and after the draw its seed and winners", body = PublicDraw), (status = 404, description = "not_found")))]
pub async fn get_draw(state: State, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let out = state
        .db(move |c| service::draws::public(c, &id.into()))
        .await?;
    Ok(ok(&out))
}
