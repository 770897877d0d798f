//! Staff accounts: officials list and create logins (officials, viewers, merchants' owners and
//! cashiers), disable and enable them, and reset a forgotten password to a temporary one;
//! every staff login changes its own password.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{Official, StaffAccount};
use super::state::{created, ok, State};
use crate::db::audit::{self, Actor};
use crate::db::catalog::{self, new_id};
use crate::db::models::User;
use crate::db::staff::{self, Account, Attempt};
use crate::domain::password_rules;
use crate::domain::time::{now, opt_rfc3339, to_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::service::passwords;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff", web::get().to(list))
        .route("/staff", web::post().to(create))
        .route("/staff/{id}/disable", web::post().to(disable))
        .route("/staff/{id}/enable", web::post().to(enable))
        .route("/staff/{id}/reset-password", web::post().to(reset_password))
        .route("/me/password", web::post().to(change_password));
}

pub fn weak_password(field: &str, message: String) -> AppError {
    AppError::rule_with(
        Code::WeakPassword,
        message.clone(),
        json!({"errors": [{"field": field, "message": message}]}),
    )
}

fn view(a: &Account, merchant_name: Option<&str>) -> Value {
    json!({
        "id": a.id,
        "username": a.username,
        "role": a.api_role(),
        "merchant_id": a.merchant_id,
        "merchant_name": merchant_name.and_then(|n| serde_json::from_str::<Value>(n).ok()),
        "disabled": !a.active,
        "must_change_password": a.must_change_password,
        "locked_until": opt_rfc3339(a.locked_until.filter(|_| a.locked())),
        "created_at": to_rfc3339(a.created_at),
    })
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff",
    responses((status = 200, description = "[{id, username, role, merchant_id?, disabled, must_change_password}]")))]
pub async fn list(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let rows = state.db(staff::list).await?;
    Ok(ok(&rows
        .iter()
        .map(|(a, n)| view(a, n.as_deref()))
        .collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StaffBody {
    pub username: String,
    pub password: String,
    /// `official`, `viewer`, `merchant_owner` or `merchant_cashier`.
    pub role: String,
    /// Required for the merchant roles, refused for the others.
    pub merchant_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = StaffBody,
    responses((status = 201, description = "the account"), (status = 409, description = "username_taken"),
        (status = 422, description = "validation_failed or weak_password")))]
pub async fn create(
    state: State,
    who: Official,
    body: web::Json<StaffBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let username = b.username.trim().to_string();
    let mut errs = Vec::new();
    if !staff::valid_username(&username) {
        errs.push(FieldError {
            field: "username".into(),
            message: "3–64 letters, digits, '-', '_' or '.'".into(),
        });
    }
    let stored = staff::stored_role(&b.role);
    let merchant_id = b
        .merchant_id
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    match (stored, &merchant_id) {
        (None, _) => errs.push(FieldError {
            field: "role".into(),
            message: format!("one of {}", staff::ROLES.join(", ")),
        }),
        (Some(("merchant", _)), None) => errs.push(FieldError {
            field: "merchant_id".into(),
            message: "required for a merchant's owner or cashier".into(),
        }),
        (Some((r, _)), Some(_)) if r != "merchant" => errs.push(FieldError {
            field: "merchant_id".into(),
            message: "only merchant logins belong to a merchant".into(),
        }),
        _ => {}
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    password_rules::check(&b.password, &username).map_err(|m| weak_password("password", m))?;
    let (role, merchant_role) = stored.expect("checked");
    let password = b.password;
    let hash = web::block(move || passwords::hash(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let u = User {
        id: new_id(),
        username,
        password_hash: hash,
        role: role.into(),
        merchant_id,
        merchant_role: merchant_role.map(Into::into),
        active: true,
        created_at: now(),
    };
    let out = state
        .db(move |c| {
            crate::db::write_tx(c, |c| {
                if let Some(m) = &u.merchant_id {
                    if !staff::merchant_exists(c, m)? {
                        return Err(AppError::field("merchant_id", "no such merchant"));
                    }
                }
                catalog::insert_user(c, &u)?;
                let a = staff::find(c, &u.id)?;
                let out = view(&a, None);
                audit::record(
                    c,
                    &Actor::official(&who.user_id),
                    "create",
                    "staff",
                    &u.id,
                    None,
                    Some(&out),
                )?;
                Ok(out)
            })
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
    if !active && id == who.user_id {
        return Err(AppError::rule(
            Code::CannotDisableSelf,
            "An official cannot disable their own account; ask another official.",
        ));
    }
    let out = state
        .db(move |c| {
            crate::db::write_tx(c, |c| {
                let before = view(&staff::find(c, &id)?, None);
                staff::set_active(c, &id, active)?;
                let after = view(&staff::find(c, &id)?, None);
                audit::record(
                    c,
                    &Actor::official(&who.user_id),
                    if active { "enable" } else { "disable" },
                    "staff",
                    &id,
                    Some(&before),
                    Some(&after),
                )?;
                Ok(after)
            })
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/staff/{id}/disable", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, description = "the account, disabled: its tokens are refused (401) at its next request on every process"),
        (status = 409, description = "cannot_disable_self")))]
pub async fn disable(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_active(state, who, path.into_inner(), false).await
}

#[utoipa::path(post, path = "/api/v1/staff/{id}/enable", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, description = "the account, enabled (and any lockout lifted)")))]
pub async fn enable(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_active(state, who, path.into_inner(), true).await
}

#[utoipa::path(post, path = "/api/v1/staff/{id}/reset-password", tag = "staff", params(("id" = String, Path)),
    responses((status = 200, description = "{temporary_password}: shown once; the account must change it before anything else")))]
pub async fn reset_password(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let temporary = password_rules::temporary();
    let t = temporary.clone();
    let hash = web::block(move || passwords::hash(&t))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let account = state
        .db(move |c| {
            crate::db::write_tx(c, |c| {
                let a = staff::find(c, &id)?;
                staff::set_password(c, &id, &hash, true)?;
                audit::record(
                    c,
                    &Actor::official(&who.user_id),
                    "reset_password",
                    "staff",
                    &id,
                    None,
                    Some(&json!({"must_change_password": true})),
                )?;
                Ok(a)
            })
        })
        .await?;
    Ok(ok(&json!({
        "id": account.id,
        "username": account.username,
        "temporary_password": temporary,
        "must_change_password": true,
    })))
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
    let id = who.user_id.clone();
    let (hash, account) = state
        .db(move |c| Ok((staff::password_hash(c, &id)?, staff::find(c, &id)?)))
        .await?;
    password_rules::check(&b.new_password, &account.username)
        .map_err(|m| weak_password("new_password", m))?;
    if b.new_password == b.current_password {
        return Err(weak_password(
            "new_password",
            "The new password must differ from the current one.".into(),
        ));
    }
    let id = who.user_id.clone();
    if let Attempt::Locked(secs) = state.db(move |c| staff::begin_attempt(c, &id)).await? {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    let current = b.current_password;
    let new = b.new_password;
    let checked =
        web::block(move || passwords::verify(&current, &hash).then(|| passwords::hash(&new)))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let Some(new_hash) = checked else {
        let id = who.user_id.clone();
        state.db(move |c| staff::attempt_failed(c, &id)).await?;
        return Err(AppError::InvalidCredentials);
    };
    let id = who.user_id.clone();
    let role = match who.role.as_str() {
        "official" => "official",
        "viewer" => "viewer",
        _ => "merchant",
    };
    state
        .db(move |c| {
            crate::db::write_tx(c, |c| {
                staff::set_password(c, &id, &new_hash, false)?;
                audit::record(
                    c,
                    &Actor {
                        id: Some(id.clone()),
                        role,
                    },
                    "change_password",
                    "staff",
                    &id,
                    None,
                    None,
                )
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
