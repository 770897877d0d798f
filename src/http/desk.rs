//! The bureau's desk: merchants' survey answers per campaign (JSON and CSV) and the pre-flight
//! check an official reads before publishing a campaign.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde_json::{json, Value};

use super::auth::Official;
use super::csv_out::{cell, ShapeQuery};
use super::state::{csv_response, ok, to_csv, State};
use crate::db::schema::{enrolments, merchants, survey_answers};
use crate::db::{catalog, DbConn};
use crate::domain::merchant_no::short_no;
use crate::domain::names::Names;
use crate::domain::time::{now, to_rfc3339};
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/campaigns/{id}/survey/answers",
        web::get().to(survey_answers_json),
    )
    .route(
        "/campaigns/{id}/survey/answers.csv",
        web::get().to(survey_answers_csv),
    )
    .route("/campaigns/{id}/preflight", web::get().to(preflight));
}

type AnswerRow = (
    String,
    String,
    String,
    String,
    bool,
    Option<i32>,
    Option<String>,
    chrono::NaiveDateTime,
);

fn answers(conn: &mut DbConn, key: &str) -> Result<(String, Vec<Value>), AppError> {
    let camp = catalog::find_campaign(conn, key)?;
    let rows: Vec<AnswerRow> = survey_answers::table
        .inner_join(merchants::table.on(merchants::id.eq(survey_answers::merchant_id)))
        .filter(survey_answers::campaign_id.eq(&camp.id))
        .order(survey_answers::updated_at.desc())
        .select((
            merchants::id,
            merchants::name,
            merchants::category,
            merchants::address,
            survey_answers::came_because_of_campaign,
            survey_answers::estimate_pct,
            survey_answers::comment,
            survey_answers::updated_at,
        ))
        .load(conn)?;
    Ok((
        camp.slug,
        rows.into_iter()
            .map(|(id, name, cat, address, yes, pct, comment, at)| {
                json!({"merchant_id": id, "merchant_name": Names::from_json(&name), "merchant_no": short_no(&id),
                       "category": cat, "address": address, "came_because_of_campaign": yes,
                       "estimate_pct": pct, "comment": comment, "answered_at": to_rfc3339(at)})
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/survey/answers", tag = "stats", params(("id" = String, Path)),
    responses((status = 200, description = "the merchants' answers, newest first, with their totals", body = crate::views::stats::SurveyAnswers),
        (status = 404, description = "not_found")))]
pub async fn survey_answers_json(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (_, list) = state.db(move |c| answers(c, &key)).await?;
    let yes = list
        .iter()
        .filter(|a| a["came_because_of_campaign"] == true)
        .count();
    let pcts: Vec<i64> = list
        .iter()
        .filter_map(|a| a["estimate_pct"].as_i64())
        .collect();
    Ok(ok(&json!({
        "responses": list.len(),
        "yes": yes,
        "share": if list.is_empty() { Value::Null } else { json!(yes as f64 / list.len() as f64) },
        "estimate_avg": if pcts.is_empty() { Value::Null } else { json!(pcts.iter().sum::<i64>() as f64 / pcts.len() as f64) },
        "comments": list.iter().filter(|a| a["comment"].is_string()).count(),
        "answers": list,
    })))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/survey/answers.csv", tag = "stats", params(("id" = String, Path), ShapeQuery),
    responses((status = 200, description = "CSV, one row per merchant's answer (`sheet`: readable headers, answer times in Macau time)", content_type = "text/csv", body = String),
        (status = 404, description = "not_found")))]
pub async fn survey_answers_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (slug, list) = state.db(move |c| answers(c, &key)).await?;
    if shape.sheet() {
        use super::csv_out::sheet::{macau_time_text, yes_no, MERCHANT_HEADER};
        let mut header = MERCHANT_HEADER.to_vec();
        header.extend([
            "Category",
            "Came because of the campaign",
            "Estimate (%)",
            "Comment",
            "Answered at",
        ]);
        let rows = list.iter().map(|a| {
            vec![
                cell(&a["merchant_name"]["zh-Hant"]),
                cell(&a["merchant_no"]),
                cell(&a["address"]),
                cell(&a["category"]),
                yes_no(a["came_because_of_campaign"] == true),
                cell(&a["estimate_pct"]),
                cell(&a["comment"]),
                macau_time_text(&a["answered_at"]),
            ]
        });
        return Ok(csv_response(
            &format!("{slug}-survey-sheet.csv"),
            to_csv(&header, rows)?,
        ));
    }
    let s = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(x) => x.clone(),
        o => o.to_string(),
    };
    let body = to_csv(
        &[
            "merchant_no",
            "merchant_zh_hant",
            "merchant_pt",
            "address",
            "category",
            "came_because_of_campaign",
            "estimate_pct",
            "comment",
            "answered_at",
        ],
        list.iter().map(|a| {
            vec![
                s(&a["merchant_no"]),
                s(&a["merchant_name"]["zh-Hant"]),
                s(&a["merchant_name"]["pt"]),
                s(&a["address"]),
                s(&a["category"]),
                if a["came_because_of_campaign"] == true {
                    "yes".into()
                } else {
                    "no".into()
                },
                s(&a["estimate_pct"]),
                s(&a["comment"]),
                s(&a["answered_at"]),
            ]
        }),
    )?;
    Ok(csv_response(&format!("{slug}-survey.csv"), body))
}

/// What would make a campaign go live half-ready. `blocking` items make publishing pointless
/// (no way to take part); the others are warnings an official may accept.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/preflight", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, description = "whether the campaign is ready to publish: points, offers, approved shops, stock and dates", body = crate::views::stats::Preflight),
        (status = 404, description = "not_found")))]
pub async fn preflight(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let out = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            let points = catalog::points_of(c, &camp.id)?;
            let offers = catalog::offers_of(c, &camp.id)?;
            let approved: i64 = enrolments::table
                .filter(enrolments::campaign_id.eq(&camp.id))
                .filter(enrolments::status.eq(crate::types::EnrolmentStatus::Approved))
                .count()
                .get_result(c)?;
            let pending: i64 = enrolments::table
                .filter(enrolments::campaign_id.eq(&camp.id))
                .filter(enrolments::status.eq(crate::types::EnrolmentStatus::Pending))
                .count()
                .get_result(c)?;
            let stock: i64 = offers.iter().map(|o| i64::from(o.stock)).sum();
            let t = now();
            let check = |name: &str, ok: bool, severity: &str, count: Option<i64>| {
                json!({"check": name, "ok": ok, "severity": severity, "count": count})
            };
            let checks = vec![
                check("points", !points.is_empty(), "blocking", Some(points.len() as i64)),
                check("offers", !offers.is_empty(), "blocking", Some(offers.len() as i64)),
                check("approved_merchants", approved > 0, "warning", Some(approved)),
                check("pending_enrolments", pending == 0, "info", Some(pending)),
                check("stock", stock > 0, "warning", Some(stock)),
                check("ends_after_now", camp.ends_at > t, "blocking", None),
                check("dates_in_order", camp.ends_at > camp.starts_at, "blocking", None),
            ];
            let ready = checks.iter().all(|c| c["ok"] == true || c["severity"] == "info");
            Ok(json!({"campaign_id": camp.id, "status": camp.status, "ready": ready,
                      "starts_at": to_rfc3339(camp.starts_at), "ends_at": to_rfc3339(camp.ends_at), "checks": checks}))
        })
        .await?;
    Ok(ok(&out))
}
