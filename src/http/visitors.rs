//! Sign-in for staff, anonymous visitor sign-up, and the visitor's own wallet and check-ins.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::auth::{self, VisitorAuth};
use super::state::{created, ok, State};
use crate::db::{catalog, models::Visitor, staff};
use crate::domain::time::{now, to_rfc3339};
use crate::error::AppError;
use crate::service::{self, passwords};
use crate::views::visitors::SignedUp;

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
        .check(&state.limits.login_ip, &super::client_addr::client_ip(&req))?;
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
        id: catalog::new_id(),
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
        visitor_id: id.into(),
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
        .db(move |c| service::coupons::qr_payload(c, &qr, &id, &who.visitor_id))
        .await?;
    let svg = super::points::qr_svg(&payload)?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}
