//! The till: redeem (retry-safe), undo within ten minutes, and the merchant's history.

use actix_web::{http::StatusCode, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::auth::{MerchantOwner, MerchantUser};
use super::state::{csv_response, ok, to_csv, State};
use super::csv_out::ShapeQuery;
use crate::db::redemptions::{self, Filter, RedeemRequest};
use crate::domain::codes;
use crate::domain::money::mop;
use crate::domain::time::to_rfc3339;
use crate::error::{AppError, FieldError};
use crate::views;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/redemptions", web::post().to(redeem))
        .route("/redemptions/preview", web::post().to(preview))
        .route("/redemptions/{id}/void", web::post().to(void))
        .route("/merchant/redemptions", web::get().to(list))
        .route("/merchant/redemptions.csv", web::get().to(list_csv));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RedeemBody {
    /// The scanned QR text or the typed code.
    #[schema(min_length = 1, max_length = 256)]
    pub coupon: String,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub spend_avos: i64,
    #[schema(min_length = 1, max_length = 100)]
    pub idempotency_key: String,
}

#[utoipa::path(post, path = "/api/v1/redemptions", tag = "merchant", request_body = RedeemBody,
    responses((status = 201, description = "{redemption, discount_avos, coupon}"), (status = 409, description = "already_redeemed"),
        (status = 410, description = "coupon_expired"), (status = 403, description = "merchant_not_eligible"), (status = 422, description = "min_spend_not_met")))]
pub async fn redeem(
    state: State,
    who: MerchantUser,
    body: web::Json<RedeemBody>,
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
    if b.coupon.trim().is_empty() || b.coupon.len() > 256 {
        errs.push(FieldError {
            field: "coupon".into(),
            message: "the scanned QR text or the typed code".into(),
        });
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let req = RedeemRequest {
        merchant_id: who.merchant_id,
        user_id: who.user_id,
        coupon: b.coupon,
        spend_avos: b.spend_avos,
        idempotency_key: key,
    };
    let qr = state.qr.clone();
    let caches = state.caches.clone();
    let (status, body) = state
        .db(move |c| redemptions::redeem(c, &qr, &caches, req))
        .await?;
    Ok(HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED)).json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreviewBody {
    /// The scanned QR text or the typed code.
    pub coupon: String,
    pub spend_avos: i64,
}

#[utoipa::path(post, path = "/api/v1/redemptions/preview", tag = "merchant", request_body = PreviewBody,
    responses((status = 200, description = "{coupon, spend_avos, discount_avos, ecash_avos, to_pay_avos}: nothing is redeemed"),
        (status = 409, description = "already_redeemed"), (status = 410, description = "coupon_expired"),
        (status = 403, description = "merchant_not_eligible"), (status = 422, description = "min_spend_not_met")))]
pub async fn preview(
    state: State,
    who: MerchantUser,
    body: web::Json<PreviewBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    if !(0..=10_000_000_000).contains(&b.spend_avos) {
        return Err(AppError::field("spend_avos", "0 to 10,000,000,000"));
    }
    let (qr, caches) = (state.qr.clone(), state.caches.clone());
    let out = state
        .db(move |c| {
            redemptions::preview(c, &qr, &caches, &who.merchant_id, &b.coupon, b.spend_avos)
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/redemptions/{id}/void", tag = "merchant", params(("id" = String, Path)),
    responses((status = 200, description = "{redemption, coupon}"), (status = 409, description = "void_window_passed")))]
pub async fn void(
    state: State,
    who: MerchantUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let qr = state.qr.clone();
    let body = state
        .db(move |c| redemptions::void(c, &id, &who.merchant_id, &qr))
        .await?;
    Ok(ok(&body))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub campaign: Option<String>,
    /// From 0 to 100000.
    #[param(minimum = 0, maximum = 100000)]
    pub page: Option<i64>,
    /// From 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
}

fn filter(q: ListQuery, owner: bool, max: i64) -> Result<Filter, AppError> {
    use super::input;
    let mut f = Filter {
        from: q.from.map(|d| input::day("from", d)).transpose()?,
        to: q.to.map(|d| input::day("to", d)).transpose()?,
        campaign_id: q.campaign,
        page: input::bounded("page", q.page.unwrap_or(0), 0, MAX_PAGE)?,
        per_page: input::bounded("per_page", q.per_page.unwrap_or(50), 1, max)?,
    };
    if !owner {
        // Cashiers see today's list only.
        let today = crate::domain::time::macau_day(crate::domain::time::now());
        f.from = Some(today);
        f.to = Some(today);
    }
    Ok(f)
}

/// The last page a list may ask for (pages start at 0).
pub const MAX_PAGE: i64 = 100_000;

#[utoipa::path(get, path = "/api/v1/merchant/redemptions", tag = "merchant", params(ListQuery),
    responses((status = 200, description = "{items (newest first, with coupon_code, offer_name and day), total, page (from 0), per_page, pages, days (totals of the days on this page), today_count, today_discount_avos, today_spend_avos}")))]
pub async fn list(
    state: State,
    who: MerchantUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let f = filter(q.into_inner(), who.owner, 500)?;
    let mid = who.merchant_id.clone();
    let (page, per_page) = (f.page, f.per_page);
    let ((rows, total), today, days) = state
        .db(move |c| {
            let (rows, total) = redemptions::list_for_merchant(c, &mid, &f)?;
            let mut on_page: Vec<NaiveDate> = rows.iter().map(|r| r.0.day).collect();
            on_page.dedup();
            let days = redemptions::day_totals(c, &mid, f.campaign_id.as_deref(), &on_page)?;
            Ok(((rows, total), redemptions::today_totals(c, &mid)?, days))
        })
        .await?;
    let items: Vec<_> = rows
        .iter()
        .map(|(r, code, offer)| {
            let mut v = views::redemption(r);
            v["coupon_code"] = json!(codes::display(code));
            v["offer_name"] = json!(crate::domain::names::Names::from_json(offer));
            v["day"] = json!(r.day.to_string());
            v
        })
        .collect();
    let days: Vec<_> = days
        .iter()
        .map(|(d, n, disc, spend)| json!({"day": d.to_string(), "count": n, "discount_avos": disc, "spend_avos": spend}))
        .collect();
    // `page` counts from 0; `pages` says how many there are.
    let pages = (total + per_page - 1) / per_page;
    Ok(ok(&json!({
        "items": items, "total": total, "page": page, "per_page": per_page, "pages": pages,
        "days": days,
        "today_count": today.0, "today_discount_avos": today.1, "today_spend_avos": today.2,
    })))
}

#[utoipa::path(get, path = "/api/v1/merchant/redemptions.csv", tag = "merchant", params(ListQuery, ShapeQuery),
    responses((status = 200, description = "CSV, one line per redemption (`sheet`: Macau times, the offer's name, MOP, a total line over the redeemed ones)", content_type = "text/csv")))]
pub async fn list_csv(
    state: State,
    who: MerchantOwner,
    q: web::Query<ListQuery>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let mut f = filter(q.into_inner(), true, 1_000_000)?;
    f.per_page = 1_000_000;
    let mid = who.0.merchant_id.clone();
    let (rows, _) = state
        .db(move |c| redemptions::list_for_merchant(c, &mid, &f))
        .await?;
    if shape.sheet() {
        use super::csv_out::sheet::macau_time;
        let status = |s: &str| match s {
            "done" => "Redeemed".to_string(),
            "void" => "Void".to_string(),
            other => other.to_string(),
        };
        let mut lines: Vec<Vec<String>> = rows
            .iter()
            .map(|(r, code, offer)| {
                vec![
                    macau_time(r.created_at),
                    codes::display(code),
                    crate::domain::names::Names::from_json(offer).zh_hant,
                    status(&r.status),
                    mop(r.spend_avos),
                    mop(r.discount_avos),
                    mop(r.ecash_avos),
                ]
            })
            .collect();
        let kept: Vec<_> = rows.iter().filter(|(r, _, _)| r.status == "done").collect();
        lines.push(vec![
            "Total".into(),
            format!("{} redemptions", kept.len()),
            String::new(),
            String::new(),
            mop(kept.iter().map(|(r, _, _)| r.spend_avos).sum()),
            mop(kept.iter().map(|(r, _, _)| r.discount_avos).sum()),
            mop(kept.iter().map(|(r, _, _)| r.ecash_avos).sum()),
        ]);
        let body = to_csv(
            &[
                "Redeemed at",
                "Coupon",
                "Offer",
                "Status",
                "Spend (MOP)",
                "Discount (MOP)",
                "E-cash (MOP)",
            ],
            lines,
        )?;
        return Ok(csv_response("redemptions-sheet.csv", body));
    }
    let body = to_csv(
        &[
            "redemption_id",
            "created_at",
            "campaign_id",
            "coupon_code",
            "status",
            "spend_mop",
            "discount_mop",
            "ecash_mop",
            "settlement_id",
        ],
        rows.iter().map(|(r, code, _)| {
            vec![
                r.id.clone(),
                to_rfc3339(r.created_at),
                r.campaign_id.clone(),
                codes::display(code),
                r.status.clone(),
                mop(r.spend_avos),
                mop(r.discount_avos),
                mop(r.ecash_avos),
                r.settlement_id.clone().unwrap_or_default(),
            ]
        }),
    )?;
    Ok(csv_response("redemptions.csv", body))
}
