//! The service-pledge report (JSON and CSV), its footnotes, and the holiday table.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::Official;
use super::csv_out::ShapeQuery;
use super::state::{csv_response, ok, to_csv, State};
use crate::db::audit::Actor;
use crate::db::models::Holiday;
use crate::db::pledges;
use crate::error::AppError;
use crate::service::pledges as use_case;
use crate::views::pledges::{FootnoteSaved, HolidayRemoved, HolidayView, PledgeReport};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/pledges", web::get().to(report))
        .route("/pledges.csv", web::get().to(report_csv))
        .route("/pledges/print", web::get().to(report_print))
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

#[utoipa::path(get, path = "/api/v1/pledges", tag = "pledges", params(YearQuery), responses((status = 200, description = "one row per indicator, target and actual rate per year", body = PledgeReport)))]
pub async fn report(
    state: State,
    _who: Official,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let ys = years(&q)?;
    Ok(ok(&state.db(move |c| use_case::report(c, &ys)).await?))
}

#[utoipa::path(get, path = "/api/v1/pledges.csv", tag = "pledges", params(YearQuery, ShapeQuery),
    responses((status = 200, description = "CSV in the bureau's layout, its summary and footnotes below the table (`sheet`: the table only, one line per indicator, its item on every line, rates as numbers in percent with one decimal and the applications counted)", content_type = "text/csv")))]
pub async fn report_csv(
    state: State,
    _who: Official,
    q: web::Query<YearQuery>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let ys = years(&q)?;
    let r = state
        .db({
            let ys = ys.clone();
            move |c| use_case::report(c, &ys)
        })
        .await?;
    if shape.sheet() {
        let mut header: Vec<String> = vec!["No.".into(), "Service item".into(), "Indicator".into()];
        for y in &ys {
            header.push(format!("{y} target (%)"));
            header.push(format!("{y} actual (%)"));
            header.push(format!("{y} applications"));
        }
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        return Ok(csv_response(
            "pledges-sheet.csv",
            to_csv(&header_refs, sheet_rows(&r))?,
        ));
    }
    let mut header: Vec<String> = vec!["序".into(), "服務項目".into(), "服務質量指標".into()];
    for y in &ys {
        header.push(format!("{y} 年 預設達標率"));
        header.push(format!("{y} 年 實際達標率"));
    }
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    Ok(csv_response(
        "pledges.csv",
        to_csv(&header_refs, bureau_rows(&r))?,
    ))
}

/// The table body in the bureau's layout: the item's number and name on its first indicator
/// only, targets as written, actual rates with superscript marks; then the closing summary
/// and the footnotes, one paragraph per year.
pub fn bureau_rows(r: &PledgeReport) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for row in &r.rows {
        let first = row.first_of_item;
        let mut out = vec![
            if first {
                row.no.to_string()
            } else {
                String::new()
            },
            if first {
                row.service_item.zh_hant.clone()
            } else {
                String::new()
            },
            row.indicator.zh_hant.clone(),
        ];
        for y in &row.years {
            out.push(y.target_label.clone());
            out.push(y.actual_label.zh_hant.clone());
        }
        rows.push(out);
    }
    if let Some(s) = &r.summary {
        rows.push(vec![s.text.zh_hant.clone()]);
    }
    for g in &r.footnote_groups {
        rows.push(vec![g.text.zh_hant.clone()]);
    }
    rows
}

/// The table for a spreadsheet: every line carries its item (so the table sorts and filters),
/// rates are plain numbers rounded to one decimal (empty when nothing was counted) and the
/// applications received are counted beside them.
fn sheet_rows(r: &PledgeReport) -> Vec<Vec<String>> {
    use super::csv_out::sheet::pct;
    r.rows
        .iter()
        .map(|row| {
            let mut out = vec![
                row.no.to_string(),
                row.service_item.zh_hant.clone(),
                row.indicator.zh_hant.clone(),
            ];
            for y in &row.years {
                out.push(pct(Some(y.target_pct)));
                out.push(pct(y.actual_pct));
                out.push(y.received.to_string());
            }
            out
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[utoipa::path(get, path = "/api/v1/pledges/print", tag = "pledges", params(YearQuery), responses((status = 200, description = "the report as a printable page in the bureau's layout (HTML)", content_type = "text/html")))]
pub async fn report_print(
    state: State,
    _who: Official,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let ys = years(&q)?;
    let r = state
        .db({
            let ys = ys.clone();
            move |c| use_case::report(c, &ys)
        })
        .await?;
    let span = match (ys.first(), ys.last()) {
        (Some(a), Some(b)) if a != b => format!("{a} 年至 {b} 年度"),
        (Some(a), _) => format!("{a} 年度"),
        _ => String::new(),
    };
    let mut head1 = String::from(
        "<tr><th rowspan=3>序</th><th rowspan=3>服務項目</th><th rowspan=3>服務質量指標</th>",
    );
    let mut head2 = String::from("<tr>");
    let mut head3 = String::from("<tr>");
    for y in &ys {
        head1.push_str("<th>預設</th><th>實際</th>");
        head2.push_str("<th>達標率</th><th>達標率</th>");
        head3.push_str(&format!("<th colspan=2>{y} 年</th>"));
    }
    head1.push_str("</tr>");
    head2.push_str("</tr>");
    head3.push_str("</tr>");
    let rows = &r.rows;
    let mut body = String::new();
    for (i, row) in rows.iter().enumerate() {
        body.push_str("<tr>");
        if row.first_of_item {
            let span = 1 + rows[i + 1..]
                .iter()
                .take_while(|n| !n.first_of_item)
                .count();
            body.push_str(&format!(
                "<td rowspan={span} class=c>{}</td><td rowspan={span}>{}</td>",
                row.no,
                esc(&row.service_item.zh_hant)
            ));
        }
        body.push_str(&format!("<td>{}</td>", esc(&row.indicator.zh_hant)));
        for y in &row.years {
            let label = &y.actual_label.zh_hant;
            let label = match (&y.footnote_mark, y.footnote) {
                (Some(m), Some(n)) => format!(
                    "{}<sup>{n}</sup>",
                    esc(label.trim_end_matches(m.as_str()).trim_end())
                ),
                _ => esc(label),
            };
            body.push_str(&format!(
                "<td class=c>{}</td><td class=c>{label}</td>",
                esc(&y.target_label)
            ));
        }
        body.push_str("</tr>");
    }
    let mut after = String::new();
    if let Some(s) = &r.summary {
        after.push_str(&format!("<p class=summary>{}</p>", esc(&s.text.zh_hant)));
    }
    for g in &r.footnote_groups {
        after.push_str(&format!("<p class=note>{}</p>", esc(&g.text.zh_hant)));
    }
    let html = format!(
        r#"<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>服務質量指標的履行情況 ({span})</title>
<style>body{{font-family:"Noto Sans CJK TC","Noto Serif CJK TC",serif;margin:15mm;font-size:10.5pt}}h1{{font-size:13pt;text-align:center}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #000;padding:2px 5px;vertical-align:middle}}th{{font-weight:normal}}.c{{text-align:center;white-space:nowrap}}
p.summary{{margin-top:1.2em}}p.note{{font-size:9.5pt}}@media print{{body{{margin:0}}}}</style></head>
<body><h1>服務質量指標的履行情況 ({span})</h1>
<table><thead>{head1}{head2}{head3}</thead><tbody>{body}</tbody></table>{after}</body></html>"#
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FootnoteBody {
    pub text: String,
}

#[utoipa::path(put, path = "/api/v1/pledges/{indicator}/footnotes/{year}", tag = "pledges", request_body = FootnoteBody,
    params(("indicator" = String, Path), ("year" = i32, Path)), responses((status = 200, description = "saved", body = FootnoteSaved)))]
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
    let actor = Actor::official(&who.user_id);
    let out = state
        .db(move |c| use_case::put_footnote(c, &actor, &ind, year, &text))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(get, path = "/api/v1/holidays", tag = "pledges", params(YearQuery), responses((status = 200, description = "Macau public holidays", body = [HolidayView])))]
pub async fn holidays(
    state: State,
    _who: Official,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let y = q.year;
    Ok(ok(&state.db(move |c| use_case::holidays(c, y)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HolidayBody {
    pub day: NaiveDate,
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/holidays", tag = "pledges", request_body = HolidayBody, responses((status = 201, description = "saved", body = HolidayView)))]
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
    let actor = Actor::official(&who.user_id);
    let out = state
        .db(move |c| use_case::put_holiday(c, &actor, h))
        .await?;
    Ok(super::state::created(&out))
}

#[utoipa::path(delete, path = "/api/v1/holidays/{day}", tag = "pledges", params(("day" = String, Path)), responses((status = 200, description = "removed", body = HolidayRemoved)))]
pub async fn remove_holiday(
    state: State,
    who: Official,
    path: web::Path<NaiveDate>,
) -> Result<HttpResponse, AppError> {
    let day = super::input::day("day", path.into_inner())?;
    let actor = Actor::official(&who.user_id);
    let out = state
        .db(move |c| use_case::remove_holiday(c, &actor, day))
        .await?;
    Ok(ok(&out))
}
