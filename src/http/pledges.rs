//! The service-pledge report (JSON and CSV), its footnotes, and the holiday table.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Official;
use super::{csv_response, ok, to_csv, State};
use crate::db::audit::{self, Actor};
use crate::db::models::Holiday;
use crate::db::pledges;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/pledges", web::get().to(report))
        .route("/pledges.csv", web::get().to(report_csv))
        .route(
            "/pledges/{indicator}/footnotes/{year}",
            web::put().to(footnote),
        )
        .route("/holidays", web::get().to(holidays))
        .route("/holidays", web::post().to(add_holiday))
        .route("/holidays/{day}", web::delete().to(remove_holiday));
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    /// One year, e.g. 2022.
    pub year: Option<i32>,
    /// Several years, e.g. `2020,2021,2022` (the bureau's table shows three).
    pub years: Option<String>,
}

fn years(q: &YearQuery) -> Result<Vec<i32>, AppError> {
    let list: Vec<i32> = match (&q.years, q.year) {
        (Some(s), _) => s
            .split(',')
            .map(|y| y.trim().parse::<i32>())
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::field("years", "comma-separated years"))?,
        (None, Some(y)) => vec![y],
        (None, None) => vec![pledges::current_year()],
    };
    if list.is_empty() || list.len() > 10 || list.iter().any(|y| !(2000..=2100).contains(y)) {
        return Err(AppError::field(
            "year",
            "years between 2000 and 2100, at most ten",
        ));
    }
    Ok(list)
}

#[utoipa::path(get, path = "/api/v1/pledges", tag = "pledges", params(YearQuery), responses((status = 200, description = "one row per indicator, target and actual rate per year")))]
pub async fn report(
    state: State,
    _who: Official,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let ys = years(&q)?;
    Ok(ok(&state.db(move |c| pledges::report(c, &ys)).await?))
}

#[utoipa::path(get, path = "/api/v1/pledges.csv", tag = "pledges", params(YearQuery), responses((status = 200, description = "CSV in the bureau's layout")))]
pub async fn report_csv(
    state: State,
    _who: Official,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let ys = years(&q)?;
    let r = state
        .db({
            let ys = ys.clone();
            move |c| pledges::report(c, &ys)
        })
        .await?;
    let mut header: Vec<String> = vec!["序".into(), "服務項目".into(), "服務質量指標".into()];
    for y in &ys {
        header.push(format!("{y} 年 預設達標率"));
        header.push(format!("{y} 年 實際達標率"));
    }
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for row in r["rows"].as_array().into_iter().flatten() {
        let mut out = vec![
            row["no"].to_string(),
            text(&row["service_item"]["zh-Hant"]),
            text(&row["indicator"]["zh-Hant"]),
        ];
        for y in row["years"].as_array().into_iter().flatten() {
            out.push(format!("{}%", y["target_pct"]));
            let mark = if y["footnote"].is_null() {
                String::new()
            } else {
                format!(" {}", y["footnote"])
            };
            out.push(format!("{}{mark}", text(&y["actual_label"]["zh-Hant"])));
        }
        rows.push(out);
    }
    for f in r["footnotes"].as_array().into_iter().flatten() {
        rows.push(vec![
            format!("註{}", f["mark"]),
            f["year"].to_string(),
            text(&f["text"]),
        ]);
    }
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    Ok(csv_response("pledges.csv", to_csv(&header_refs, rows)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FootnoteBody {
    pub text: String,
}

#[utoipa::path(put, path = "/api/v1/pledges/{indicator}/footnotes/{year}", tag = "pledges", request_body = FootnoteBody,
    params(("indicator" = String, Path), ("year" = i32, Path)), responses((status = 200, description = "saved")))]
pub async fn footnote(
    state: State,
    who: Official,
    path: web::Path<(String, i32)>,
    body: web::Json<FootnoteBody>,
) -> Result<HttpResponse, AppError> {
    let (ind, year) = path.into_inner();
    super::input::year("year", year.into())?;
    let text = body.into_inner().text.trim().to_string();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(AppError::field("text", "1 to 4000 characters"));
    }
    let out = json!({"indicator_id": ind, "year": year, "text": text});
    let after = out.clone();
    state
        .db(move |c| {
            pledges::put_footnote(c, &ind, year, &text)?;
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "footnote",
                "pledge",
                &format!("{ind}/{year}"),
                None,
                Some(&after),
            )
        })
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/holidays", tag = "pledges", params(YearQuery), responses((status = 200, description = "Macau public holidays")))]
pub async fn holidays(
    state: State,
    _who: Official,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let y = q.year;
    let rows = state.db(move |c| pledges::list_holidays(c, y)).await?;
    Ok(ok(&rows
        .iter()
        .map(|h| json!({"day": h.day.to_string(), "name": h.name}))
        .collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HolidayBody {
    pub day: NaiveDate,
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/holidays", tag = "pledges", request_body = HolidayBody, responses((status = 201, description = "saved")))]
pub async fn add_holiday(
    state: State,
    who: Official,
    body: web::Json<HolidayBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    super::input::day("day", b.day)?;
    if b.name.trim().is_empty() || b.name.chars().count() > 200 {
        return Err(AppError::field("name", "1 to 200 characters"));
    }
    let h = Holiday {
        day: b.day,
        name: b.name.trim().into(),
    };
    let out = json!({"day": h.day.to_string(), "name": h.name});
    let after = out.clone();
    state
        .db(move |c| {
            pledges::put_holiday(c, &h)?;
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "put",
                "holiday",
                &h.day.to_string(),
                None,
                Some(&after),
            )
        })
        .await?;
    Ok(super::created(&out))
}

#[utoipa::path(delete, path = "/api/v1/holidays/{day}", tag = "pledges", params(("day" = String, Path)), responses((status = 200, description = "removed")))]
pub async fn remove_holiday(
    state: State,
    who: Official,
    path: web::Path<NaiveDate>,
) -> Result<HttpResponse, AppError> {
    let day = super::input::day("day", path.into_inner())?;
    state
        .db(move |c| {
            if !pledges::delete_holiday(c, day)? {
                return Err(AppError::NotFound("no such holiday".into()));
            }
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "delete",
                "holiday",
                &day.to_string(),
                None,
                None,
            )
        })
        .await?;
    Ok(ok(&json!({"day": day.to_string(), "deleted": true})))
}
