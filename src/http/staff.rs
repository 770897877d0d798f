//! Staff accounts: signing in; officials list and create logins (officials, viewers,
//! merchants' owners and cashiers), disable and enable them, and reset a forgotten password
//! to a temporary one; every staff login changes its own password.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Deserialize;

use super::auth::{self, Official, StaffAccount};
use super::state::{created, ok, State};
use crate::domain::time::to_rfc3339;
use crate::error::AppError;
use crate::service::staff as use_case;
use crate::types::{UserId, UserRole};
use crate::views::staff::{LoginAnswer, StaffAccount as AccountView, TemporaryPassword};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/staff", web::get().to(list))
        .route("/staff", web::post().to(create))
        .route("/staff/{id}/disable", web::post().to(disable))
        .route("/staff/{id}/enable", web::post().to(enable))
        .route("/staff/{id}/reset-password", web::post().to(reset_password))
        .route("/me/password", web::post().to(change_password));
}

/// Runs a use case that hashes passwords on the blocking thread pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    web::block(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    #[schema(min_length = 1, max_length = 100)]
    pub username: String,
    #[schema(min_length = 1, max_length = 200)]
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginBody,
    responses((status = 200, description = "the token and who it names", body = LoginAnswer), (status = 401, description = "invalid_credentials"),
        (status = 422, description = "validation_failed"),
        (status = 429, description = "rate_limited: too many attempts, or the account is locked after repeated wrong passwords")))]
pub async fn login(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    state
        .limits
        .check(&state.limits.login_ip, &super::visitors::client_ip(&req))?;
    let (pool, limits) = (state.pool.clone(), state.limits.clone());
    let account_key = body.username.to_lowercase();
    let signed_in = blocking(move || {
        use_case::login(&pool, &body.username, &body.password, || {
            limits.check(&limits.login_account, &account_key)
        })
    })
    .await?;
    let u = signed_in.user;
    let claims = auth::staff_claims(
        &u.id,
        u.role.as_str(),
        u.merchant_id.clone().map(String::from),
        u.merchant_role.map(|r| r.as_str().to_string()),
        signed_in.token_version,
    );
    let (token, exp) = state
        .jwt
        .issue(claims, Duration::hours(state.settings.staff_token_hours));
    Ok(ok(&LoginAnswer {
        token,
        role: u.role,
        expires_at: to_rfc3339(exp.naive_utc()),
        staff_role: use_case::api_role(&u),
        user_id: u.id,
        username: u.username,
        merchant_id: u.merchant_id,
        merchant_role: u.merchant_role,
        must_change_password: signed_in.must_change_password,
    }))
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff",
    responses((status = 200, description = "every login, officials first, then viewers, merchants' owners and cashiers; by name within each", body = [AccountView])))]
pub async fn list(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    Ok(ok(&state.db(use_case::list).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StaffBody {
    /// 3–64 letters, digits, `-`, `_` or `.`; compared without regard to case.
    #[schema(pattern = r"^\s*[A-Za-z0-9._-]{3,64}\s*$")]
    pub username: String,
    pub password: String,
    /// `official`, `viewer`, `merchant_owner` or `merchant_cashier`.
    pub role: String,
    /// Required for the merchant roles, refused for the others.
    pub merchant_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = StaffBody,
    responses((status = 201, description = "the account", body = AccountView), (status = 409, description = "username_taken"),
        (status = 422, description = "validation_failed or weak_password")))]
pub async fn create(
    state: State,
    who: Official,
    body: web::Json<StaffBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let pool = state.pool.clone();
    let actor = who.user_id;
    let out = blocking(move || {
        use_case::create(
            &pool,
            &actor,
            &b.username,
            &b.password,
            &b.role,
            b.merchant_id,
        )
    })
    .await?;
    Ok(created(&out))
}

async fn set_active(
    state: State,
    who: Official,
    id: String,
    active: bool,
) -> Result<HttpResponse, AppError> {
    let (actor, id) = (who.user_id, UserId::from(id));
    let out = state
        .db(move |c| use_case::set_active(c, &actor, &id, active))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/staff/{id}/disable", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, description = "the account, disabled: its tokens are refused (401) at its next request on every process", body = AccountView),
        (status = 404, description = "not_found"), (status = 409, description = "cannot_disable_self")))]
pub async fn disable(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_active(state, who, path.into_inner(), false).await
}

#[utoipa::path(post, path = "/api/v1/staff/{id}/enable", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, description = "the account, enabled (and any lockout lifted)", body = AccountView),
        (status = 404, description = "not_found")))]
pub async fn enable(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_active(state, who, path.into_inner(), true).await
}

#[utoipa::path(post, path = "/api/v1/staff/{id}/reset-password", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, description = "the temporary password, shown once; the account must change it before anything else", body = TemporaryPassword),
        (status = 404, description = "not_found")))]
pub async fn reset_password(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (pool, actor, id) = (
        state.pool.clone(),
        who.user_id,
        UserId::from(path.into_inner()),
    );
    let out = blocking(move || use_case::reset_password(&pool, &actor, &id)).await?;
    Ok(ok(&out))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordBody {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "staff", request_body = PasswordBody,
    responses((status = 204, description = "changed"), (status = 401, description = "invalid_credentials"),
        (status = 422, description = "weak_password"), (status = 429, description = "rate_limited (locked after repeated wrong passwords)")))]
pub async fn change_password(
    state: State,
    who: StaffAccount,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let pool = state.pool.clone();
    let id = who.user_id;
    let role = UserRole::parse(&who.role).unwrap_or(UserRole::Merchant);
    let token_id = who.token_id;
    blocking(move || {
        use_case::change_password(
            &pool,
            &id,
            role,
            token_id.as_deref(),
            &b.current_password,
            &b.new_password,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
