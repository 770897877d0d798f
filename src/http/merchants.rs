//! Merchants: created by officials with their first login; the owner's own view, its
//! cashiers, and the post-campaign survey.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::{MerchantOwner, MerchantUser, Official};
use super::state::{created, ok, State};
use crate::db::audit::{self, Actor};
use crate::db::catalog::{self, new_id};
use crate::db::models::*;
use crate::domain::names::Names;
use crate::domain::time::{now, to_rfc3339};
use crate::error::{AppError, Code, FieldError};
use crate::service::passwords;
use crate::views;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/merchants", web::post().to(create))
        .route("/merchants", web::get().to(list))
        .route("/merchant/me", web::get().to(me))
        .route("/merchant/users", web::get().to(list_users))
        .route("/merchant/users", web::post().to(add_cashier))
        .route(
            "/merchant/users/{id}/disable",
            web::post().to(disable_cashier),
        )
        .route("/campaigns/{id}/survey", web::post().to(survey));
}

pub const CATEGORIES: [&str; 6] = ["food", "retail", "services", "culture", "lodging", "other"];

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MerchantBody {
    pub name: Option<Names>,
    pub category: String,
    pub address: String,
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
    #[serde(default)]
    pub m_mark: bool,
    pub username: String,
    pub password: String,
}

pub fn check_login(username: &str, password: &str, errs: &mut Vec<FieldError>) {
    if !(3..=64).contains(&username.len())
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        errs.push(FieldError {
            field: "username".into(),
            message: "3–64 letters, digits, '-', '_' or '.'".into(),
        });
    }
    if password.chars().count() < 10 || password.len() > 256 {
        errs.push(FieldError {
            field: "password".into(),
            message: "10 to 256 characters".into(),
        });
    }
}

#[utoipa::path(post, path = "/api/v1/merchants", tag = "merchants", request_body = MerchantBody,
    responses((status = 201, description = "merchant with its first login"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    body: web::Json<MerchantBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut errs = Vec::new();
    let name = b.name.map(|n| n.trimmed());
    match &name {
        None => errs.push(FieldError {
            field: "name".into(),
            message: "required: {zh-Hant, pt, en}".into(),
        }),
        Some(n) => errs.extend(n.problems("name")),
    }
    if !CATEGORIES.contains(&b.category.as_str()) {
        errs.push(FieldError {
            field: "category".into(),
            message: format!("one of {}", CATEGORIES.join(", ")),
        });
    }
    if b.address.trim().is_empty() || b.address.chars().count() > 300 {
        errs.push(FieldError {
            field: "address".into(),
            message: "required, at most 300 characters".into(),
        });
    }
    if !crate::domain::geo::valid_coordinates(b.lat, b.lng) {
        errs.push(FieldError {
            field: "lat".into(),
            message: "latitude −90..90 and longitude −180..180".into(),
        });
    }
    check_login(&b.username, &b.password, &mut errs);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let t = now();
    let m = Merchant {
        id: new_id(),
        name: name.expect("checked").to_json(),
        category: b.category,
        address: b.address.trim().into(),
        lat: b.lat,
        lng: b.lng,
        m_mark: b.m_mark,
        created_at: t,
    };
    let password = b.password;
    let hash = web::block(move || passwords::hash(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let owner = User {
        id: new_id().into(),
        username: b.username.clone(),
        password_hash: hash,
        role: crate::types::UserRole::Merchant,
        merchant_id: Some(m.id.clone().into()),
        merchant_role: Some(crate::types::MerchantRole::Owner),
        active: true,
        created_at: t,
    };
    let mut out = views::merchant(&m);
    out["username"] = json!(owner.username);
    let after = out.clone();
    state
        .db(move |c| {
            crate::db::write_tx(c, |c| {
                catalog::insert_merchant_with_owner(c, &m, &owner)?;
                audit::record(
                    c,
                    &Actor::official(&who.user_id),
                    "create",
                    "merchant",
                    &m.id,
                    None,
                    Some(&after),
                )
            })
        })
        .await?;
    Ok(created(&out))
}

#[utoipa::path(get, path = "/api/v1/merchants", tag = "merchants", responses((status = 200, description = "all merchants")))]
pub async fn list(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let (rows, suspended) = state
        .db(|c| {
            Ok((
                catalog::list_merchants(c)?,
                crate::db::operations::suspensions(c)?,
            ))
        })
        .await?;
    Ok(ok(&rows
        .iter()
        .map(|m| super::operations::merchant_view(m, suspended.get(&m.id)))
        .collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/merchant/me", tag = "merchant", responses((status = 200, description = "the merchant, its enrolments and today's totals")))]
pub async fn me(state: State, who: MerchantUser) -> Result<HttpResponse, AppError> {
    let mid = who.merchant_id.clone();
    let (m, enrolments, today) = state
        .db(move |c| {
            Ok((
                catalog::find_merchant(c, &mid)?,
                catalog::list_enrolments(c, None, None, Some(&mid))?,
                crate::db::redemptions::today_totals(c, &mid)?,
            ))
        })
        .await?;
    Ok(ok(&json!({
        "merchant": views::merchant(&m),
        "role": if who.owner { "owner" } else { "cashier" },
        "enrolments": enrolments.iter().map(|(e, _)| views::enrolment(e, None)).collect::<Vec<_>>(),
        "today": {"count": today.0, "discount_avos": today.1, "spend_avos": today.2},
    })))
}

#[utoipa::path(get, path = "/api/v1/merchant/users", tag = "merchant", responses((status = 200, description = "the merchant's logins")))]
pub async fn list_users(state: State, who: MerchantOwner) -> Result<HttpResponse, AppError> {
    let mid = who.0.merchant_id.clone();
    let users = state
        .db(move |c| catalog::users_of_merchant(c, &mid))
        .await?;
    Ok(ok(&users
        .iter()
        .map(|u| json!({"id": u.id, "username": u.username, "role": u.merchant_role, "active": u.active, "created_at": to_rfc3339(u.created_at)}))
        .collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CashierBody {
    pub username: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/merchant/users", tag = "merchant", request_body = CashierBody, responses((status = 201, description = "a cashier login")))]
pub async fn add_cashier(
    state: State,
    who: MerchantOwner,
    body: web::Json<CashierBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut errs = Vec::new();
    check_login(&b.username, &b.password, &mut errs);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let password = b.password;
    let hash = web::block(move || passwords::hash(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let u = User {
        id: new_id().into(),
        username: b.username,
        password_hash: hash,
        role: crate::types::UserRole::Merchant,
        merchant_id: Some(who.0.merchant_id.clone().into()),
        merchant_role: Some(crate::types::MerchantRole::Cashier),
        active: true,
        created_at: now(),
    };
    let out = json!({"id": u.id, "username": u.username, "role": "cashier", "active": true});
    let after = out.clone();
    state
        .db(move |c| {
            catalog::insert_user(c, &u)?;
            audit::record(
                c,
                &Actor::merchant(&who.0.user_id),
                "create",
                "user",
                &u.id,
                None,
                Some(&after),
            )
        })
        .await?;
    Ok(created(&out))
}

#[utoipa::path(post, path = "/api/v1/merchant/users/{id}/disable", tag = "merchant", params(("id" = String, Path)), responses((status = 200, description = "disabled")))]
pub async fn disable_cashier(
    state: State,
    who: MerchantOwner,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let uid = id.clone();
    state
        .db(move |c| {
            if !catalog::set_user_active(c, &uid, &who.0.merchant_id, false)? {
                return Err(AppError::NotFound("no such cashier".into()));
            }
            audit::record(
                c,
                &Actor::merchant(&who.0.user_id),
                "disable",
                "user",
                &uid,
                None,
                None,
            )
        })
        .await?;
    Ok(ok(&json!({"id": id, "active": false})))
}

/// Answers may be given or changed until the campaign's report closes, 30 days after its end.
pub const SURVEY_OPEN_AFTER_END: chrono::Duration = chrono::Duration::days(30);

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SurveyBody {
    pub came_because_of_campaign: bool,
    #[schema(minimum = 0, maximum = 100)]
    pub estimate_pct: Option<i32>,
    /// Line breaks allowed; no other control characters.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/survey", tag = "merchant", request_body = SurveyBody, params(("id" = String, Path)),
    responses((status = 201, description = "answer recorded"), (status = 200, description = "answer updated")))]
pub async fn survey(
    state: State,
    who: MerchantOwner,
    path: web::Path<String>,
    body: web::Json<SurveyBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    if b.estimate_pct.is_some_and(|p| !(0..=100).contains(&p)) {
        return Err(AppError::field("estimate_pct", "0 to 100"));
    }
    if b.comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
        return Err(AppError::field("comment", "at most 2000 characters"));
    }
    let key = path.into_inner();
    let m = who.0;
    let (answer, new) = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            if now() > camp.ends_at + SURVEY_OPEN_AFTER_END {
                return Err(AppError::rule(
 Code::SurveyClosed,
                    "The campaign's report has closed; answers can no longer change.",
                ));
            }
            if catalog::enrolment_status(c, &camp.id, &m.merchant_id)?.as_deref() != Some("approved") {
                return Err(AppError::rule(
 Code::MerchantNotEligible, "Only participating merchants answer this survey."));
            }
            let t = now();
            let a = SurveyAnswer {
                campaign_id: camp.id.into(),
                merchant_id: m.merchant_id.clone().into(),
                came_because_of_campaign: b.came_because_of_campaign,
                estimate_pct: b.estimate_pct,
                comment: b.comment.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
                created_at: t,
                updated_at: t,
            };
            let new = crate::db::traffic::put_survey(c, &a)?;
            let after = json!({"came_because_of_campaign": a.came_because_of_campaign, "estimate_pct": a.estimate_pct});
            audit::record(c, &Actor::merchant(&m.user_id), "answer", "survey", &a.campaign_id, None, Some(&after))?;
            Ok((a, new))
        })
        .await?;
    let out = json!({
        "campaign_id": answer.campaign_id,
        "merchant_id": answer.merchant_id,
        "came_because_of_campaign": answer.came_because_of_campaign,
        "estimate_pct": answer.estimate_pct,
        "comment": answer.comment,
        "updated_at": to_rfc3339(answer.updated_at),
    });
    Ok(if new { created(&out) } else { ok(&out) })
}
