//! Settlement statements: generated per campaign and period, approved by a second official,
//! marked paid; readable by the merchant they concern.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::auth::{self, MerchantOwner, Official};
use super::state::{created, csv_response, ok, to_csv, State};
use super::csv_out::ShapeQuery;
use crate::db::audit::{self, Actor};
use crate::db::{catalog, settlements};
use crate::domain::codes;
use crate::domain::money::mop;
use crate::domain::time::to_rfc3339;
use crate::error::AppError;
use crate::views;

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
    responses((status = 201, description = "statements, one per merchant with unsettled e-cash redemptions")))]
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
    let rows = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            let rows = settlements::generate(c, &camp.id, p.from, p.to, &who.user_id)?;
            for (s, _) in &rows {
                audit::record(
                    c,
                    &Actor::official(&who.user_id),
                    "generate",
                    "settlement",
                    &s.id,
                    None,
                    Some(&views::settlement(s, None)),
                )?;
            }
            let mut out: Vec<_> = rows
                .iter()
                .map(|(s, n)| views::settlement(s, Some(n)))
                .collect();
            crate::db::merchant_cards::enrich(c, &mut out)?;
            Ok(out)
        })
        .await?;
    Ok(created(&rows))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub campaign: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/settlements", tag = "settlements", params(ListQuery), responses((status = 200, description = "statements")))]
pub async fn list(
    state: State,
    _who: Official,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let rows = state
        .db(move |c| {
            let rows = settlements::list(c, q.campaign.as_deref(), None)?;
            let mut out: Vec<_> = rows
                .iter()
                .map(|(s, n)| views::settlement(s, Some(n)))
                .collect();
            crate::db::merchant_cards::enrich(c, &mut out)?;
            Ok(out)
        })
        .await?;
    Ok(ok(&rows))
}

#[utoipa::path(get, path = "/api/v1/merchant/settlements", tag = "merchant", responses((status = 200, description = "the merchant's own statements")))]
pub async fn mine(state: State, who: MerchantOwner) -> Result<HttpResponse, AppError> {
    let mid = who.0.merchant_id;
    let rows = state
        .db(move |c| settlements::list(c, None, Some(&mid)))
        .await?;
    Ok(ok(&rows
        .iter()
        .map(|(s, n)| views::settlement(s, Some(n)))
        .collect::<Vec<_>>()))
}

/// A statement, readable by officials and by the merchant it concerns.
async fn readable(
    state: &State,
    req: &actix_web::HttpRequest,
    id: String,
) -> Result<
    (
        crate::db::models::Settlement,
        String,
        Vec<(crate::db::models::Redemption, String)>,
    ),
    AppError,
> {
    let c = auth::claims(req)?;
    if ["official", "viewer", "merchant"].contains(&c.role.as_str()) {
        auth::ensure_active(Some(state.clone()), c.sub.clone(), false).await?;
    }
    let (s, name, lines) = state
        .db(move |conn| {
            let (s, n) = settlements::find(conn, &id)?;
            let lines = settlements::lines(conn, &id)?;
            Ok((s, n, lines))
        })
        .await?;
    let allowed = match c.role.as_str() {
        "official" | "viewer" => true,
        "merchant" => {
            c.mid.as_deref() == Some(&s.merchant_id) && c.mrole.as_deref() != Some("cashier")
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

#[utoipa::path(get, path = "/api/v1/settlements/{id}", tag = "settlements", params(("id" = String, Path)), responses((status = 200, description = "statement with its lines")))]
pub async fn get(
    state: State,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (s, name, lines) = readable(&state, &req, path.into_inner()).await?;
    let mut v = views::settlement(&s, Some(&name));
    v["lines"] = json!(lines
        .iter()
        .map(|(r, code)| json!({"redemption_id": r.id, "created_at": to_rfc3339(r.created_at), "coupon_code": codes::display(code),
                                "spend_avos": r.spend_avos, "ecash_avos": r.ecash_avos}))
        .collect::<Vec<_>>());
    Ok(ok(&v))
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
                s.id.clone(),
                s.merchant_id.clone(),
                r.id.clone(),
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

#[utoipa::path(get, path = "/api/v1/settlements/{id}/print", tag = "settlements", params(("id" = String, Path)), responses((status = 200, description = "printable statement (HTML)")))]
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
            .collect();
            let names = super::statement_doc::usernames(c, &ids)?;
            Ok(super::statement_doc::render(&s, &m, &camp, &lines, &names))
        })
        .await?;
    Ok(super::html::printable(html))
}

/// Moves a statement on (approve or pay) and records the change with its before and after.
async fn advance(
    state: State,
    who: Official,
    id: String,
    action: &'static str,
) -> Result<HttpResponse, AppError> {
    let (s, n) = state
        .db(move |c| {
            let (before, _) = settlements::find(c, &id)?;
            match action {
                "approve" => settlements::approve(c, &id, &who.user_id)?,
                _ => settlements::pay(c, &id, &who.user_id)?,
            }
            let (after, name) = settlements::find(c, &id)?;
            audit::record(
                c,
                &Actor::official(&who.user_id),
                action,
                "settlement",
                &id,
                Some(&views::settlement(&before, None)),
                Some(&views::settlement(&after, None)),
            )?;
            Ok((after, name))
        })
        .await?;
    Ok(ok(&views::settlement(&s, Some(&n))))
}

#[utoipa::path(post, path = "/api/v1/settlements/{id}/approve", tag = "settlements", params(("id" = String, Path)),
    responses((status = 200, description = "approved"), (status = 403, description = "four_eyes_required")))]
pub async fn approve(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    advance(state, who, path.into_inner(), "approve").await
}

#[utoipa::path(post, path = "/api/v1/settlements/{id}/pay", tag = "settlements", params(("id" = String, Path)), responses((status = 200, description = "paid")))]
pub async fn pay(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    advance(state, who, path.into_inner(), "pay").await
}
