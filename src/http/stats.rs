//! Officials' statistics: per campaign (JSON and CSV), the overview, fraud signals and the
//! audit log.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::auth::{MaybeOfficial, Official};
use super::csv_out::ShapeQuery;
use super::state::{csv_response, ok, to_csv, State};
use crate::db::cache::FactsKey;
use crate::db::figures::{Kept, Page};
use crate::db::stats::{self, Range};
use crate::db::DbConn;
use crate::domain::open_data::OPEN_DATA_MIN_COUNT;
use crate::error::AppError;
use crate::service::stats as use_case;
use crate::views::stats::{AuditEntry, CampaignStats, OpenData, Overview, Signals};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/stats/overview", web::get().to(overview))
        .route("/campaigns/{id}/stats", web::get().to(campaign))
        .route("/campaigns/{id}/stats.csv", web::get().to(campaign_csv))
        .route("/campaigns/{id}/signals", web::get().to(signals))
        .route("/campaigns/{id}/export.json", web::get().to(export_json))
        .route("/campaigns/{id}/export.csv", web::get().to(export_csv))
        .route("/audit", web::get().to(audit_log));
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RangeQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn range(q: &RangeQuery) -> Result<Range, AppError> {
    let all = Range::all();
    let r = Range {
        from: q
            .from
            .map(|d| super::input::day("from", d))
            .transpose()?
            .unwrap_or(all.from),
        to: q
            .to
            .map(|d| super::input::day("to", d))
            .transpose()?
            .unwrap_or(all.to),
    };
    if r.to < r.from {
        return Err(AppError::field("to", "must not be before from"));
    }
    Ok(r)
}

/// The key the overview's page is kept under (a campaign's pages are kept under its id or
/// slug, which never is this).
const OVERVIEW_KEY: &str = "*";

/// A campaign's statistics page over a range (`key`: its id or slug), read from the replica
/// when there is one. Pages are kept by the key asked for and rebuilt in the background (see
/// [`crate::db::cache::Caches::page`]): however many officials ask, at most one count of a
/// campaign runs at a time, and once counted nobody waits for the next count. A kept page is
/// answered without taking a database connection.
pub async fn campaign_page(
    state: &State,
    key: String,
    r: Range,
) -> Result<Arc<Kept<Page>>, AppError> {
    // The overview's page is kept under a key no campaign can have.
    if key == OVERVIEW_KEY {
        return Err(AppError::NotFound("no campaign has this id".into()));
    }
    let page_key = (key.clone(), r.from, r.to);
    let caches = state.caches.clone();
    kept_or_counted(state, page_key, move |c| {
        use_case::campaign(c, &caches, &key, r)
    })
    .await
}

/// A statistics page: the kept one, answered without a database connection, when there is
/// one; otherwise counted now (on the replica when there is one).
async fn kept_or_counted<T>(
    state: &State,
    key: FactsKey,
    build: impl Fn(&mut DbConn) -> Result<T, AppError> + Clone + Send + Sync + 'static,
) -> Result<Arc<Kept<Page>>, AppError>
where
    T: serde::Serialize + Send + Sync + 'static,
{
    let caches = state.caches.clone();
    if let Some(page) = caches.kept_page(&key, build.clone()) {
        return Ok(page);
    }
    state.read_db(move |c| caches.page(c, key, build)).await
}

/// Counts the statistics of every campaign shown (drafts excluded) once, at start-up, so the
/// first officials to look after a restart find them counted.
pub async fn warm_up(state: &State) -> Result<usize, AppError> {
    let ids = state.read_db(stats::shown_campaigns).await?;
    for id in &ids {
        campaign_page(state, id.clone(), Range::all()).await?;
    }
    Ok(ids.len())
}

/// A kept page as JSON, with its age in seconds in the `Age` header (figures are at most a
/// few seconds old).
fn page_response(p: &Kept<Page>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::AGE, p.age().as_secs().to_string()))
        .body(p.value.body.clone())
}

#[utoipa::path(get, path = "/api/v1/stats/overview", tag = "stats", responses((status = 200, description = "totals over all campaigns, with a summary in three languages; the `Age` header says how many seconds old the figures are", body = Overview)))]
pub async fn overview(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let all = Range::all();
    let caches = state.caches.clone();
    let page = kept_or_counted(
        &state,
        (OVERVIEW_KEY.to_string(), all.from, all.to),
        move |c| use_case::overview(c, &caches),
    )
    .await?;
    Ok(page_response(&page))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats", tag = "stats", params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "funnel, daily series, per point, offer, merchant and ref, survey share; the `Age` header says how many seconds old the figures are", body = CampaignStats),
        (status = 404, description = "not_found"), (status = 422, description = "validation_failed: a day out of range, or `to` before `from`")))]
pub async fn campaign(
    state: State,
    _who: Official,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    let page = campaign_page(&state, path.into_inner(), r).await?;
    Ok(page_response(&page))
}

fn n(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The tables of the statistics' spreadsheet shape (`stats.csv?shape=sheet&table=…`).
#[derive(Deserialize, utoipa::ToSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StatsTable {
    /// One line per figure: funnel, redemption rate, money, merchants, survey share.
    #[default]
    Summary,
    /// One line per Macau day.
    Daily,
    /// One line per check-in point.
    Points,
    /// One line per offer.
    Offers,
    /// One line per merchant, told apart by number and address.
    Merchants,
    /// One line per registered promotion source, then direct and other.
    Sources,
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct StatsTableQuery {
    /// With `shape=sheet`, which table the file holds (default `summary`).
    pub table: Option<StatsTable>,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats.csv", tag = "stats", params(("id" = String, Path), RangeQuery, ShapeQuery, StatsTableQuery),
    responses((status = 200, description = "CSV. `long` (default): section, key, name, metric, value per line. `sheet`: the table named by `table`, one header row, rates in percent, money in MOP", content_type = "text/csv", body = String),
        (status = 404, description = "not_found"), (status = 422, description = "validation_failed")))]
pub async fn campaign_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
    shape: web::Query<ShapeQuery>,
    table: web::Query<StatsTableQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    let page = campaign_page(&state, path.into_inner(), r).await?;
    // The CSV shapes walk the answer as JSON, in the order of its keys.
    let s = &crate::views::value(page.value.answer::<CampaignStats>()?);
    if shape.sheet() {
        let t = table.table.unwrap_or_default();
        let (header, rows) = if t == StatsTable::Sources {
            let (caches, cid) = (state.caches.clone(), n(&s["campaign_id"]));
            let g = state
                .db(move |c| crate::service::sources::grouped(c, &caches, &cid.into(), r))
                .await?;
            super::sources::sheet(&g)
        } else {
            stats_sheet(s, t)
        };
        let name = format!("campaign-stats-{}.csv", format!("{t:?}").to_lowercase());
        return Ok(csv_response(&name, to_csv(&header, rows)?));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = |section: &str, key: &str, name: &str, metric: &str, value: &Value| {
        rows.push(vec![
            section.into(),
            key.into(),
            name.into(),
            metric.into(),
            n(value),
        ]);
    };
    for (k, v) in s["funnel"].as_object().into_iter().flatten() {
        row("funnel", "", "", k, v);
    }
    for k in [
        "redemption_rate",
        "ecash_redeemed_avos",
        "spend_avos",
        "merchants_enrolled",
        "merchants_redeeming",
    ] {
        row("totals", "", "", k, &s[k]);
    }
    for d in s["daily"].as_array().into_iter().flatten() {
        for m in ["page_views", "checkins", "issued", "redeemed"] {
            row("daily", &n(&d["day"]), "", m, &d[m]);
        }
    }
    for p in s["points"].as_array().into_iter().flatten() {
        let name = n(&p["name"]["zh-Hant"]);
        row(
            "point",
            &n(&p["point_id"]),
            &name,
            "checkins",
            &p["checkins"],
        );
        for (reason, c) in p["refused"].as_object().into_iter().flatten() {
            row(
                "point",
                &n(&p["point_id"]),
                &name,
                &format!("refused:{reason}"),
                c,
            );
        }
    }
    for o in s["offers"].as_array().into_iter().flatten() {
        for m in ["stock", "issued", "redeemed"] {
            row(
                "offer",
                &n(&o["offer_id"]),
                &n(&o["name"]["zh-Hant"]),
                m,
                &o[m],
            );
        }
    }
    for m in s["merchants"].as_array().into_iter().flatten() {
        // Shops of the same name are told apart by their number and address.
        let name = format!(
            "{} ({} · {})",
            n(&m["name"]["zh-Hant"]),
            n(&m["merchant_no"]),
            n(&m["address"])
        );
        for k in ["redemptions", "ecash_avos", "spend_avos"] {
            row("merchant", &n(&m["merchant_id"]), &name, k, &m[k]);
        }
    }
    for f in s["refs"].as_array().into_iter().flatten() {
        for k in [
            "page_views",
            "visitors",
            "checkins",
            "coupons_issued",
            "redemptions",
        ] {
            row("ref", &n(&f["ref"]), "", k, &f[k]);
        }
    }
    for k in ["responses", "yes", "share"] {
        row("survey", "", "", k, &s["survey"][k]);
    }
    // Traffic by registered promotion source; unregistered refs together as "other".
    let (caches, cid) = (state.caches.clone(), n(&s["campaign_id"]));
    let g = state
        .read_db(move |c| {
            let g = crate::service::sources::grouped(c, &caches, &cid.into(), r)?;
            serde_json::to_value(g).map_err(|e| AppError::Internal(e.into()))
        })
        .await?;
    let metrics = [
        "page_views",
        "visitors",
        "checkins",
        "coupons_issued",
        "redemptions",
    ];
    for src in g["sources"].as_array().into_iter().flatten() {
        for m in metrics {
            rows.push(vec![
                "source".into(),
                n(&src["code"]),
                n(&src["name"]),
                m.into(),
                n(&src["figures"][m]),
            ]);
        }
    }
    for (k, label) in [("direct", "(direct)"), ("other", "(other)")] {
        for m in metrics {
            rows.push(vec![
                "source".into(),
                label.into(),
                String::new(),
                m.into(),
                n(&g[k][m]),
            ]);
        }
    }
    Ok(csv_response(
        "campaign-stats.csv",
        to_csv(&["section", "key", "name", "metric", "value"], rows)?,
    ))
}

/// One table of the statistics for a spreadsheet (every table but `sources`).
fn stats_sheet(s: &Value, t: StatsTable) -> (Vec<&'static str>, Vec<Vec<String>>) {
    use super::csv_out::sheet::{mop, ratio_pct, share, MERCHANT_HEADER};
    let zh = |v: &Value| n(&v["zh-Hant"]);
    match t {
        StatsTable::Summary | StatsTable::Sources => {
            let f = &s["funnel"];
            let count = |label: &str, v: &Value| vec![label.to_string(), n(v)];
            let rows = vec![
                count("Page views", &f["page_views"]),
                count("Unique visitors", &f["unique_visitors"]),
                count("Visitors", &f["visitors"]),
                count("Check-ins", &f["checkins"]),
                count("Coupons issued", &f["coupons_issued"]),
                count("Coupons redeemed", &f["coupons_redeemed"]),
                vec![
                    "Redemption rate (%)".into(),
                    ratio_pct(s["redemption_rate"].as_f64()),
                ],
                vec![
                    "E-cash redeemed (MOP)".into(),
                    mop(&s["ecash_redeemed_avos"]),
                ],
                vec!["Spend (MOP)".into(), mop(&s["spend_avos"])],
                count("Merchants enrolled", &s["merchants_enrolled"]),
                count("Merchants with a redemption", &s["merchants_redeeming"]),
                count("Survey answers", &s["survey"]["responses"]),
                vec![
                    "Survey: came because of the campaign (%)".into(),
                    ratio_pct(s["survey"]["share"].as_f64()),
                ],
            ];
            (vec!["Figure", "Value"], rows)
        }
        StatsTable::Daily => (
            vec![
                "Day",
                "Page views",
                "Check-ins",
                "Coupons issued",
                "Coupons redeemed",
            ],
            s["daily"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| {
                    ["day", "page_views", "checkins", "issued", "redeemed"]
                        .iter()
                        .map(|k| n(&d[*k]))
                        .collect()
                })
                .collect(),
        ),
        StatsTable::Points => (
            vec!["Point", "Kind", "Check-ins", "Refused scans"],
            s["points"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let refused: i64 = p["refused"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter_map(|(_, c)| c.as_i64())
                        .sum();
                    vec![
                        zh(&p["name"]),
                        n(&p["kind"]).to_uppercase(),
                        n(&p["checkins"]),
                        refused.to_string(),
                    ]
                })
                .collect(),
        ),
        StatsTable::Offers => (
            vec![
                "Offer",
                "Stock",
                "Issued",
                "Redeemed",
                "Stock issued (%)",
                "Redemption rate (%)",
            ],
            s["offers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| {
                    vec![
                        zh(&o["name"]),
                        n(&o["stock"]),
                        n(&o["issued"]),
                        n(&o["redeemed"]),
                        share(&o["issued"], &o["stock"]),
                        share(&o["redeemed"], &o["issued"]),
                    ]
                })
                .collect(),
        ),
        StatsTable::Merchants => {
            let mut header = MERCHANT_HEADER.to_vec();
            header.extend(["Category", "Redemptions", "E-cash (MOP)", "Spend (MOP)"]);
            let rows = s["merchants"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    vec![
                        zh(&m["name"]),
                        n(&m["merchant_no"]),
                        n(&m["address"]),
                        n(&m["category"]),
                        n(&m["redemptions"]),
                        mop(&m["ecash_avos"]),
                        mop(&m["spend_avos"]),
                    ]
                })
                .collect();
            (header, rows)
        }
    }
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/signals", tag = "stats", params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "fraud signals with their evidence rows (default: the last 7 days)", body = Signals),
        (status = 404, description = "not_found"), (status = 422, description = "validation_failed")))]
pub async fn signals(
    state: State,
    _who: Official,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let today = crate::domain::time::macau_day(crate::domain::time::now());
    let r = Range {
        from: q
            .from
            .map(|d| super::input::day("from", d))
            .transpose()?
            .unwrap_or(today - chrono::Duration::days(6)),
        to: q
            .to
            .map(|d| super::input::day("to", d))
            .transpose()?
            .unwrap_or(today),
    };
    if r.to < r.from {
        return Err(AppError::field("to", "must not be before from"));
    }
    let key = path.into_inner();
    Ok(ok(&state
        .db(move |c| crate::service::signals::of_campaign(c, &key, r))
        .await?))
}

/// The open-data view of a campaign (see `service::stats::open_data`).
async fn open_data(
    state: &State,
    key: String,
    r: Range,
    official: bool,
) -> Result<OpenData, AppError> {
    let caches = state.caches.clone();
    state
        .read_db(move |c| use_case::open_data(c, &caches, &key, r, official))
        .await
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export.json", tag = "stats", security((), ("bearer" = [])), params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "open data: daily aggregates and totals, small counts suppressed", body = OpenData),
        (status = 404, description = "not_found (also a draft, to anyone but the bureau)"), (status = 422, description = "validation_failed")))]
pub async fn export_json(
    state: State,
    who: MaybeOfficial,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    Ok(ok(&open_data(&state, path.into_inner(), r, who.0).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export.csv", tag = "stats", security((), ("bearer" = [])), params(("id" = String, Path), RangeQuery, ShapeQuery),
    responses((status = 200, description = "open data as CSV, one row per Macau day (`sheet`: with a total line and suppressed counts written `<5`)", content_type = "text/csv", body = String),
        (status = 404, description = "not_found (also a draft, to anyone but the bureau)"), (status = 422, description = "validation_failed")))]
pub async fn export_csv(
    state: State,
    who: MaybeOfficial,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    let d = open_data(&state, path.into_inner(), r, who.0).await?;
    let count = |c: Option<i64>| c.map(|c| c.to_string()).unwrap_or_default();
    if shape.sheet() {
        // Suppressed counts read "<5" rather than looking like zero or missing data.
        let shown = |c: Option<i64>| {
            c.map(|c| c.to_string())
                .unwrap_or_else(|| format!("<{OPEN_DATA_MIN_COUNT}"))
        };
        let mut rows: Vec<Vec<String>> = d
            .days
            .iter()
            .map(|x| {
                vec![
                    x.day.clone(),
                    shown(x.page_views),
                    shown(x.checkins),
                    shown(x.coupons_issued),
                    shown(x.coupons_redeemed),
                ]
            })
            .collect();
        let t = &d.totals;
        rows.push(vec![
            "Total".to_string(),
            shown(t.page_views),
            shown(t.checkins),
            shown(t.coupons_issued),
            shown(t.coupons_redeemed),
        ]);
        let body = to_csv(
            &[
                "Day",
                "Page views",
                "Check-ins",
                "Coupons issued",
                "Coupons redeemed",
            ],
            rows,
        )?;
        return Ok(csv_response(
            &format!("{}-open-data-sheet.csv", d.campaign.slug),
            body,
        ));
    }
    let rows = d.days.iter().map(|x| {
        vec![
            x.day.clone(),
            count(x.page_views),
            count(x.checkins),
            count(x.coupons_issued),
            count(x.coupons_redeemed),
        ]
    });
    let body = to_csv(
        &[
            "day",
            "page_views",
            "checkins",
            "coupons_issued",
            "coupons_redeemed",
        ],
        rows,
    )?;
    Ok(csv_response(
        &format!("{}-open-data.csv", d.campaign.slug),
        body,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "stats", params(AuditQuery),
    responses((status = 200, description = "audit log, newest first", body = [AuditEntry]), (status = 422, description = "validation_failed")))]
pub async fn audit_log(
    state: State,
    _who: Official,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let limit = super::input::bounded("limit", q.limit.unwrap_or(200), 1, 5000)?;
    let out = state
        .db(move |c| use_case::audit_log(c, q.entity.as_deref(), q.entity_id.as_deref(), limit))
        .await?;
    Ok(ok(&out))
}
