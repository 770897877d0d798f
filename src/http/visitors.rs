//! Sign-in for staff, anonymous visitor sign-up, the visitor's own wallet and check-ins,
//! and the rate limits that protect them.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;

use super::auth::{self, passwords, VisitorAuth};
use super::{created, ok, views, State};
use crate::db::{catalog, issuance, models::Visitor};
use crate::domain::time::{now, to_rfc3339};
use crate::error::AppError;

type Keyed<K> = Arc<RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>>;

/// Per-key rate limits (in memory, per process).
#[derive(Clone)]
pub struct Limits {
    pub enabled: bool,
    pub checkins: Keyed<String>,
    pub claims: Keyed<String>,
    pub login_account: Keyed<String>,
    pub login_ip: Keyed<IpAddr>,
    pub signup_ip: Keyed<IpAddr>,
    pub pageviews_ip: Keyed<IpAddr>,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap())
        .allow_burst(NonZeroU32::new(burst).unwrap())
}

impl Limits {
    pub fn new(enabled: bool) -> Limits {
        Limits {
            enabled,
            checkins: Arc::new(RateLimiter::keyed(quota(20, 10))),
            claims: Arc::new(RateLimiter::keyed(quota(30, 10))),
            login_account: Arc::new(RateLimiter::keyed(quota(10, 5))),
            login_ip: Arc::new(RateLimiter::keyed(quota(60, 20))),
            signup_ip: Arc::new(RateLimiter::keyed(quota(120, 60))),
            pageviews_ip: Arc::new(RateLimiter::keyed(quota(600, 200))),
        }
    }

    pub fn check<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: &Keyed<K>,
        key: &K,
    ) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait =
                not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

pub fn client_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/visitors", web::post().to(sign_up))
        .route("/me/coupons", web::get().to(my_coupons))
        .route("/me/checkins", web::get().to(my_checkins))
        .route("/coupons/{id}/qr.svg", web::get().to(coupon_qr));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "{token, role, expires_at}"), (status = 401, description = "invalid_credentials")))]
pub async fn login(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    state
        .limits
        .check(&state.limits.login_ip, &client_ip(&req))?;
    state
        .limits
        .check(&state.limits.login_account, &body.username.to_lowercase())?;
    let username = body.username.clone();
    let user = state
        .db(move |c| catalog::find_user_by_name(c, &username))
        .await?;
    let password = body.password;
    let verified = web::block(move || match user {
        Some(u) if u.active && passwords::verify(&password, &u.password_hash) => Some(u),
        Some(_) => None,
        None => {
            // Same work for unknown users, so timing does not reveal who exists.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let _ = passwords::verify(
                &password,
                DUMMY.get_or_init(|| passwords::hash("not-a-user")),
            );
            None
        }
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let Some(u) = verified else {
        tracing::info!(username = %body.username, "login refused");
        return Err(AppError::InvalidCredentials);
    };
    let claims = auth::staff_claims(
        &u.id,
        &u.role,
        u.merchant_id.clone(),
        u.merchant_role.clone(),
    );
    let (token, exp) = state
        .jwt
        .issue(claims, Duration::hours(state.settings.staff_token_hours));
    Ok(ok(&json!({
        "token": token,
        "role": u.role,
        "expires_at": to_rfc3339(exp.naive_utc()),
        "user_id": u.id,
        "merchant_id": u.merchant_id,
        "merchant_role": u.merchant_role,
    })))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct SignUpBody {
    pub locale: Option<String>,
    #[serde(rename = "ref")]
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

#[utoipa::path(post, path = "/api/v1/visitors", tag = "visitors", request_body = SignUpBody,
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
    let ref_ = body
        .ref_
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if ref_.as_ref().is_some_and(|r| r.chars().count() > 64) {
        return Err(AppError::field("ref", "at most 64 characters"));
    }
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
    let svg = super::points::qr_svg(&state.qr.coupon(&coupon.code))?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}
