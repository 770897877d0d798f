//! Settlement statements: generated per campaign and period, approved by a second official,
//! marked paid; readable by the merchant they concern.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::{self, MerchantOwner, Official};
use super::csv_out::ShapeQuery;
use super::state::{created, csv_response, ok, to_csv, State};
use crate::db::catalog;
use crate::domain::codes;
use crate::domain::money::mop;
use crate::domain::time::to_rfc3339;
use crate::error::AppError;
use crate::service::settlements::{self, Advance};
use crate::views::settlements::{Statement, StatementWithLines};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/settlements", web::post().to(generate))
        .route("/settlements", web::get().to(list))
        .route("/settlements/{id}.csv", web::get().to(get_csv))
        .route("/settlements/{id}", web::get().to(get))
        .route("/settlements/{id}/print", web::get().to(print))
        .route("/settlements/{id}/approve", web::post().to(approve))
        .route("/settlements/{id}/pay", web::post().to(pay))
        .route("/merchant/settlements", web::get().to(mine));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PeriodBody {
    /// First day, 1970-01-01 to 2999-12-31.
    pub from: NaiveDate,
    /// Last day (not before `from`), 1970-01-01 to 2999-12-31.
    pub to: NaiveDate,
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/settlements", tag = "settlements", request_body = PeriodBody, params(("id" = String, Path)),
    responses((status = 201, description = "statements, one per merchant with unsettled e-cash redemptions", body = [Statement]),
        (status = 404, description = "not_found (no such campaign)"),
        (status = 422, description = "validation_failed")))]
pub async fn generate(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<PeriodBody>,
) -> Result<HttpResponse, AppError> {
    let p = body.into_inner();
    super::input::day("from", p.from)?;
    super::input::day("to", p.to)?;
    if p.to < p.from {
        return Err(AppError::field("to", "must not be before from"));
    }
    let key = path.into_inner();
    let official = who.user_id;
    let rows = state
        .db(move |c| settlements::generate(c, &official, &key, p.from, p.to))
        .await?;
    Ok(created(&rows))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub campaign: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/settlements", tag = "settlements", params(ListQuery), responses((status = 200, description = "statements, newest first", body = [Statement])))]
pub async fn list(
    state: State,
    _who: Official,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let rows = state
        .db(move |c| settlements::list(c, q.campaign.as_deref()))
        .await?;
    Ok(ok(&rows))
}

#[utoipa::path(get, path = "/api/v1/merchant/settlements", tag = "merchant", responses((status = 200, description = "the merchant's own statements", body = [Statement])))]
pub async fn mine(state: State, who: MerchantOwner) -> Result<HttpResponse, AppError> {
    let mid = who.0.merchant_id;
    let rows = state.db(move |c| settlements::of_merchant(c, &mid)).await?;
    Ok(ok(&rows))
}

/// A statement, readable by officials and by the merchant it concerns.
async fn readable(
    state: &State,
    req: &actix_web::HttpRequest,
    id: String,
) -> Result<settlements::Full, AppError> {
    let c = auth::claims(req)?;
    if ["official", "viewer", "merchant"].contains(&c.role.as_str()) {
        auth::ensure_active(
            Some(state.clone()),
            c.sub.clone(),
            auth::TokenStamp::of(&c),
            false,
        )
        .await?;
    }
    let (s, name, lines) = state
        .db(move |conn| settlements::find_full(conn, &id.into()))
        .await?;
    let allowed = match c.role.as_str() {
        "official" | "viewer" => true,
        "merchant" => {
            c.mid.as_deref() == Some(s.merchant_id.as_str())
                && c.mrole.as_deref() != Some("cashier")
        }
        _ => false,
    };
    if !allowed {
        return Err(if c.role == "merchant" {
            AppError::NotFound("no such statement".into())
        } else {
            AppError::Forbidden("not allowed".into())
        });
    }
    Ok((s, name, lines))
}

#[utoipa::path(get, path = "/api/v1/settlements/{id}", tag = "settlements", params(("id" = String, Path)),
    responses((status = 200, description = "statement with its lines", body = StatementWithLines),
        (status = 404, description = "not_found (also for another merchant's statement)")))]
pub async fn get(
    state: State,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let full = readable(&state, &req, path.into_inner()).await?;
    Ok(ok(&settlements::with_lines(&full)))
}

#[utoipa::path(get, path = "/api/v1/settlements/{id}.csv", tag = "settlements", params(("id" = String, Path), ShapeQuery),
    responses((status = 200, description = "CSV, one line per redemption with the shop's name, number and address (`sheet`: Macau times, MOP, a total line)", content_type = "text/csv")))]
pub async fn get_csv(
    state: State,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let (s, name, lines) = readable(&state, &req, path.into_inner()).await?;
    let mid = s.merchant_id.clone();
    let address = state
        .db(move |c| Ok(catalog::find_merchant(c, &mid)?.address))
        .await?;
    // The shop by name, number and address on every line, so same-named shops never mix.
    let shop = crate::domain::names::Names::from_json(&name).zh_hant;
    let no = crate::domain::merchant_no::short_no(&s.merchant_id);
    if shape.sheet() {
        use super::csv_out::sheet::{macau_time, MERCHANT_HEADER};
        let mut header = MERCHANT_HEADER.to_vec();
        header.extend(["Redeemed at", "Coupon", "Spend (MOP)", "E-cash (MOP)"]);
        let shop_cells = [shop.clone(), no.clone(), address.clone()];
        let mut rows: Vec<Vec<String>> = lines
            .iter()
            .map(|(r, code)| {
                let mut row = shop_cells.to_vec();
                row.extend([
                    macau_time(r.created_at),
                    codes::display(code),
                    mop(r.spend_avos),
                    mop(r.ecash_avos),
                ]);
                row
            })
            .collect();
        let mut total = shop_cells.to_vec();
        total.extend([
            "Total".to_string(),
            format!("{} redemptions", lines.len()),
            mop(lines.iter().map(|(r, _)| r.spend_avos).sum()),
            mop(lines.iter().map(|(r, _)| r.ecash_avos).sum()),
        ]);
        rows.push(total);
        return Ok(csv_response(
            &format!("statement-{no}-{}-sheet.csv", s.period_from),
            to_csv(&header, rows)?,
        ));
    }
    let body = to_csv(
        &[
            "statement_id",
            "merchant_id",
            "redemption_id",
            "created_at",
            "coupon_code",
            "spend_mop",
            "ecash_mop",
            "merchant_name",
            "merchant_no",
            "merchant_address",
        ],
        lines.iter().map(|(r, code)| {
            vec![
                s.id.to_string(),
                s.merchant_id.to_string(),
                r.id.to_string(),
                to_rfc3339(r.created_at),
                codes::display(code),
                mop(r.spend_avos),
                mop(r.ecash_avos),
                shop.clone(),
                no.clone(),
                address.clone(),
            ]
        }),
    )?;
    Ok(csv_response(&format!("statement-{}.csv", s.id), body))
}

#[utoipa::path(get, path = "/api/v1/settlements/{id}/print", tag = "settlements", params(("id" = String, Path)), responses((status = 200, description = "printable statement (HTML)", content_type = "text/html")))]
pub async fn print(
    state: State,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (s, _name, lines) = readable(&state, &req, path.into_inner()).await?;
    let html = state
        .db(move |c| {
            let m = catalog::find_merchant(c, &s.merchant_id)?;
            let camp = catalog::find_campaign(c, &s.campaign_id)?;
            let ids: Vec<String> = [
                Some(s.created_by.clone()),
                s.approved_by.clone(),
                s.paid_by.clone(),
            ]
            .into_iter()
            .flatten()
            .map(String::from)
            .collect();
            let names = super::statement_doc::usernames(c, &ids)?;
            Ok(super::statement_doc::render(&s, &m, &camp, &lines, &names))
        })
        .await?;
    Ok(super::html::printable(html))
}

/// Moves a statement on (approve or pay).
async fn advance(
    state: State,
    who: Official,
    id: String,
    step: Advance,
) -> Result<HttpResponse, AppError> {
    let s = state
        .db(move |c| settlements::advance(c, &who.user_id, &id.into(), step))
        .await?;
    Ok(ok(&s))
}

#[utoipa::path(post, path = "/api/v1/settlements/{id}/approve", tag = "settlements", params(("id" = String, Path)),
    responses((status = 200, description = "approved", body = Statement),
        (status = 403, description = "four_eyes_required: another official than the one who generated it approves"),
        (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state (not a draft)")))]
pub async fn approve(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    advance(state, who, path.into_inner(), Advance::Approve).await
}

#[utoipa::path(post, path = "/api/v1/settlements/{id}/pay", tag = "settlements", params(("id" = String, Path)),
    responses((status = 200, description = "paid", body = Statement),
        (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state (not approved), in_payout_batch (paid through its batch)")))]
pub async fn pay(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    advance(state, who, path.into_inner(), Advance::Pay).await
}
