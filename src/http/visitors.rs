//! Sign-in for staff, anonymous visitor sign-up, the visitor's own wallet and check-ins,
//! and the rate limits that protect them.

use std::net::IpAddr;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::auth::{self, VisitorAuth};
use super::state::{created, ok, State};
use crate::db::{catalog, issuance, models::Visitor};
use crate::domain::time::{now, to_rfc3339};
use crate::error::AppError;
use crate::views;

pub use super::limits::Limits;

/// The client's address (behind trusted proxies, the forwarded one): see `client_addr`.
pub fn client_ip(req: &HttpRequest) -> IpAddr {
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

/// A short keyed hash of the caller's address: visitors from one device or address can be
/// counted without storing the address.
pub fn address_hash(state: &State, req: &HttpRequest) -> String {
    use sha2::{Digest, Sha256};
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut h = Sha256::new();
    h.update(state.settings.jwt_secrets[0].expose().as_bytes());
    h.update(client_ip(req).to_string().as_bytes());
    h.update(b"|");
    h.update(ua.as_bytes());
    data_encoding::HEXLOWER.encode(&h.finalize()[..12])
}

#[utoipa::path(post, path = "/api/v1/visitors", tag = "visitors", security(()), request_body = SignUpBody,
    responses((status = 201, description = "{visitor_id, token, coupons}")))]
pub async fn sign_up(
    state: State,
    req: HttpRequest,
    body: Result<web::Json<SignUpBody>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    state
        .limits
        .check(&state.limits.signup_ip, &client_ip(&req))?;
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
        id: catalog::new_id(),
        locale,
        ref_,
        device_hash: Some(address_hash(&state, &req)),
        created_at: t,
        last_seen_at: t,
    };
    let id = v.id.clone();
    let mut visitor_token_claims = auth::visitor_claims(&id);
    visitor_token_claims.rf = v.ref_.clone();
    let coupons = state.db(move |c| issuance::insert_visitor(c, &v)).await?;
    let (token, exp) = state.jwt.issue(
        visitor_token_claims,
        Duration::days(state.settings.visitor_token_days),
    );
    let coupons: Vec<_> = coupons
        .iter()
        .map(|(c, o)| views::coupon(c, Some(o), state.qr.coupon(&c.code), t))
        .collect();
    Ok(created(
        &json!({"visitor_id": id, "token": token, "expires_at": to_rfc3339(exp.naive_utc()), "coupons": coupons}),
    ))
}

#[utoipa::path(get, path = "/api/v1/me/coupons", tag = "visitors", responses((status = 200, description = "the visitor's coupons")))]
pub async fn my_coupons(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let (rows, spent) = state
        .db(move |c| {
            let rows = issuance::my_coupons(c, &who.visitor_id)?;
            let ids: Vec<String> = rows
                .iter()
                .filter(|(c, _)| c.status == "redeemed")
                .map(|(c, _)| c.id.clone())
                .collect();
            Ok((rows, crate::db::walk::spent(c, &ids)?))
        })
        .await?;
    let t = now();
    let mut out: Vec<_> = rows
        .iter()
        .map(|(c, o)| views::coupon(c, Some(o), state.qr.coupon(&c.code), t))
        .collect();
    super::walk::add_spent(&mut out, &spent);
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/me/checkins", tag = "visitors", responses((status = 200, description = "the visitor's check-ins")))]
pub async fn my_checkins(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let rows = state
        .db(move |c| issuance::my_checkins(c, &who.visitor_id))
        .await?;
    Ok(ok(&rows.iter().map(views::checkin).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/coupons/{id}/qr.svg", tag = "visitors", params(("id" = String, Path)),
    responses((status = 200, description = "SVG"), (status = 404, description = "not the visitor's coupon")))]
pub async fn coupon_qr(
    state: State,
    who: VisitorAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let coupon = state.db(move |c| issuance::find_coupon(c, &id)).await?;
    if coupon.visitor_id != who.visitor_id {
        return Err(AppError::NotFound("no such coupon".into()));
    }
    let svg = crate::views::qr::svg(&state.qr.coupon(&coupon.code))?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_state_is_pruned() {
        let l = Limits::new(true);
        for i in 0..20_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            l.check(&l.pageviews_ip, &ip).unwrap();
        }
        assert_eq!(l.pageviews_ip.len(), 20_000);
        // One page view uses a tenth of a second of quota: the keys are idle again soon.
        let t = std::time::Instant::now();
        while l.housekeep() > 0 {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(10),
                "keys pruned"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(l.pageviews_ip.len(), 0);
    }
}
