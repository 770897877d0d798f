//! Sign-in for staff, anonymous visitor sign-up, and the visitor's own wallet and check-ins.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;

use super::auth::{self, VisitorAuth};
use super::state::{created, ok, State};
use crate::db::models::Visitor;
use crate::domain::time::{now, to_rfc3339};
use crate::error::AppError;
use crate::service::{self};
use crate::types::VisitorId;
use crate::views::visitors::SignedUp;

pub use super::limits::Limits;

/// The client's address (behind trusted proxies, the forwarded one): see `client_addr`.
pub fn client_ip(req: &HttpRequest) -> std::net::IpAddr {
    super::client_addr::client_ip(req)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/visitors", web::post().to(sign_up))
        .route("/me/coupons", web::get().to(my_coupons))
        .route("/me/checkins", web::get().to(my_checkins))
        .route("/coupons/{id}/qr.svg", web::get().to(coupon_qr));
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct SignUpBody {
    #[schema(pattern = "^(zh-Hant|zh-Hans|pt|en)$")]
    pub locale: Option<String>,
    /// Traffic source: letters, digits, `-_.~` or non-ASCII symbols, starting with a letter or digit.
    #[serde(rename = "ref")]
    #[schema(
        max_length = 64,
        pattern = r"^[\p{L}\p{N}\P{ASCII}][\p{L}\p{N}\-_.~\P{ASCII}]{0,63}$"
    )]
    pub ref_: Option<String>,
}

pub const LOCALES: [&str; 4] = ["zh-Hant", "zh-Hans", "pt", "en"];

#[utoipa::path(post, path = "/api/v1/visitors", tag = "visitors", security(()), request_body = SignUpBody,
    responses((status = 201, description = "The new wallet's token and the coupons given at sign-up", body = SignedUp),
        (status = 422, description = "validation_failed"), (status = 429, description = "rate_limited")))]
pub async fn sign_up(
    state: State,
    req: HttpRequest,
    body: Result<web::Json<SignUpBody>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    state.limits.check(
        &state.limits.signup_ip,
        &super::client_addr::client_ip(&req),
    )?;
    // No body signs up with the defaults; a body that cannot be read is refused, not ignored.
    let has_body = ["content-length", "transfer-encoding"]
        .iter()
        .any(|h| req.headers().get(*h).is_some_and(|v| v != "0"));
    let body = match body {
        Ok(b) => b.into_inner(),
        Err(_) if !has_body => SignUpBody::default(),
        Err(e) => return Ok(e.error_response()),
    };
    let locale = body.locale.unwrap_or_else(|| "zh-Hant".into());
    if !LOCALES.contains(&locale.as_str()) {
        return Err(AppError::field("locale", "one of zh-Hant, zh-Hans, pt, en"));
    }
    let ref_ = super::input::traffic_ref("ref", body.ref_)?;
    let t = now();
    let v = Visitor {
        id: VisitorId::generate(),
        locale,
        ref_,
        device_hash: Some(super::client_addr::address_hash(&state, &req)),
        created_at: t,
        last_seen_at: t,
    };
    let id = v.id.clone();
    let mut visitor_token_claims = auth::visitor_claims(&id);
    visitor_token_claims.rf = v.ref_.clone();
    let qr = state.qr.clone();
    let coupons = state
        .db(move |c| service::visitors::sign_up(c, &qr, &v))
        .await?;
    let (token, exp) = state.jwt.issue(
        visitor_token_claims,
        Duration::days(state.settings.visitor_token_days),
    );
    Ok(created(&SignedUp {
        visitor_id: id,
        token,
        expires_at: to_rfc3339(exp.naive_utc()),
        coupons,
    }))
}

#[utoipa::path(get, path = "/api/v1/me/coupons", tag = "visitors",
    responses((status = 200, description = "The visitor's coupons, latest first; a spent one says where it was spent", body = [crate::views::coupons::Coupon]),
        (status = 401, description = "unauthorized")))]
pub async fn my_coupons(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let qr = state.qr.clone();
    let out = state
        .db(move |c| service::coupons::wallet(c, &qr, &who.visitor_id))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/me/checkins", tag = "visitors",
    responses((status = 200, description = "The visitor's check-ins, latest first", body = [crate::views::checkins::Checkin]),
        (status = 401, description = "unauthorized")))]
pub async fn my_checkins(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let out = state
        .db(move |c| service::checkins::of_visitor(c, &who.visitor_id))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/coupons/{id}/qr.svg", tag = "visitors", params(("id" = String, Path)),
    responses((status = 200, description = "SVG", content_type = "image/svg+xml", body = String), (status = 404, description = "not_found: not the visitor's coupon"),
        (status = 401, description = "unauthorized")))]
pub async fn coupon_qr(
    state: State,
    who: VisitorAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let qr = state.qr.clone();
    let payload = state
        .db(move |c| service::coupons::qr_payload(c, &qr, &id.into(), &who.visitor_id))
        .await?;
    let svg = crate::views::qr::svg(&payload)?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}
