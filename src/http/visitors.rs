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
use crate::db::{catalog, issuance, models::Visitor, staff};
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

    /// Forgets keys whose quota is full again (their state says nothing), and gives the
    /// memory back: without this, every visitor, address and username ever seen stays.
    pub fn housekeep(&self) -> usize {
        fn prune<K: std::hash::Hash + Eq + Clone>(l: &Keyed<K>) -> usize {
            l.retain_recent();
            l.shrink_to_fit();
            l.len()
        }
        prune(&self.checkins)
            + prune(&self.claims)
            + prune(&self.login_account)
            + prune(&self.login_ip)
            + prune(&self.signup_ip)
            + prune(&self.pageviews_ip)
    }

    pub fn check<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: &Keyed<K>,
        key: &K,
    ) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let verdict = limiter.check_key(key);
        crate::memory::prune_if_crowded(limiter);
        verdict.map_err(|not_until| {
            let wait =
                not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

/// The client's address (behind trusted proxies, the forwarded one): see `client_addr`.
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    super::client_addr::client_ip(req)
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
    #[schema(min_length = 1, max_length = 100)]
    pub username: String,
    #[schema(min_length = 1, max_length = 200)]
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginBody,
    responses((status = 200, description = "{token, role, expires_at, must_change_password}"), (status = 401, description = "invalid_credentials"),
        (status = 429, description = "rate_limited: too many attempts, or the account is locked after repeated wrong passwords")))]
pub async fn login(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    state
        .limits
        .check(&state.limits.login_ip, &client_ip(&req))?;
    let username = body.username.clone();
    let (user, locked) = state
        .db(move |c| {
            let u = catalog::find_user_by_name(c, &username)?;
            let locked = match &u {
                Some(u) => staff::locked_for(c, &u.id)?,
                None => None,
            };
            Ok((u, locked))
        })
        .await?;
    // A locked account says for how long, whatever the in-memory limits below say.
    if let Some(secs) = locked {
        tracing::info!(username = %body.username, "login refused: account locked");
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    state
        .limits
        .check(&state.limits.login_account, &body.username.to_lowercase())?;
    // Each attempt on an existing account is counted in the database before the password is
    // checked: repeated wrong passwords lock it for a while on every process at once.
    if let Some(u) = &user {
        let id = u.id.clone();
        if let staff::Attempt::Locked(secs) =
            state.db(move |c| staff::begin_attempt(c, &id)).await?
        {
            tracing::info!(username = %body.username, "login refused: account locked");
            return Err(AppError::RateLimited {
                retry_after_secs: secs,
            });
        }
    }
    let user_id = user.as_ref().map(|u| u.id.clone());
    let password = body.password;
    let verified = web::block(move || match user {
        Some(u) if passwords::verify(&password, &u.password_hash) => Some(u),
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
        if let Some(id) = user_id {
            state.db(move |c| staff::attempt_failed(c, &id)).await?;
        }
        tracing::info!(username = %body.username, "login refused");
        return Err(AppError::InvalidCredentials);
    };
    let id = u.id.clone();
    let standing = state
        .db(move |c| {
            staff::attempt_succeeded(c, &id)?;
            staff::standing(c, &id)
        })
        .await?;
    let Some((true, must_change_password)) = standing else {
        tracing::info!(username = %body.username, "login refused: account disabled");
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
        "username": u.username,
        "merchant_id": u.merchant_id,
        "merchant_role": u.merchant_role,
        "staff_role": staff::api_role(&u.role, u.merchant_role.as_deref()),
        "must_change_password": must_change_password,
    })))
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
    address_hash_of(state, req, client_ip(req))
}

/// [`address_hash`] for a client address already known (the address is written into the
/// hash from the stack, not a new string).
pub fn address_hash_of(state: &State, req: &HttpRequest, ip: IpAddr) -> String {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let mut text = [0u8; 48];
    let len = {
        let mut w = &mut text[..];
        let _ = write!(w, "{ip}");
        48 - w.len()
    };
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut h = Sha256::new();
    h.update(state.settings.jwt_secrets[0].expose().as_bytes());
    h.update(&text[..len]);
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
    let svg = super::points::qr_svg(&state.qr.coupon(&coupon.code))?;
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
