//! Officials' statistics: per campaign (JSON and CSV), the overview, fraud signals and the
//! audit log.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{MaybeOfficial, Official};
use super::{csv_response, ok, to_csv, State};
use crate::db::figures::{Kept, Page};
use crate::db::stats::{self, Range};
use crate::db::{audit, catalog};
use crate::domain::time::to_rfc3339;
use crate::error::AppError;

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

/// A campaign's statistics page over a range (`key`: its id or slug), read from the replica
/// when there is one. Pages are kept and rebuilt in the background (see
/// [`crate::db::cache::Caches::page`]): however many officials ask, at most one count of a
/// campaign runs at a time, and once counted nobody waits for the next count.
pub async fn campaign_page(
    state: &State,
    key: String,
    r: Range,
) -> Result<Arc<Kept<Page>>, AppError> {
    let caches = state.caches.clone();
    state
        .read_db(move |c| {
            let cid = catalog::find_campaign(c, &key)?.id;
            let kept = caches.clone();
            caches.page(c, (cid.clone(), r.from, r.to), move |c| {
                let f = kept.count_facts(c, &cid, r)?;
                let mut v = stats::campaign(c, &f, &cid, r)?;
                crate::db::purchases::add_to_stats(c, &cid, &r, &mut v)?;
                Ok(v)
            })
        })
        .await
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

#[utoipa::path(get, path = "/api/v1/stats/overview", tag = "stats", responses((status = 200, description = "totals over all campaigns, with a summary in three languages; the `Age` header says how many seconds old the figures are")))]
pub async fn overview(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let caches = state.caches.clone();
    let all = Range::all();
    let page = state
        .read_db(move |c| {
            let kept = caches.clone();
            caches.page(c, ("*".into(), all.from, all.to), move |c| {
                let mut v = stats::overview(c, &|c, id| kept.count_facts(c, id, all))?;
                crate::db::purchases::add_to_overview(c, &mut v)?;
                Ok(v)
            })
        })
        .await?;
    Ok(page_response(&page))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats", tag = "stats", params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "funnel, daily series, per point, offer, merchant and ref, survey share; the `Age` header says how many seconds old the figures are")))]
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

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats.csv", tag = "stats", params(("id" = String, Path), RangeQuery), responses((status = 200, description = "CSV")))]
pub async fn campaign_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    let page = campaign_page(&state, path.into_inner(), r).await?;
    let s = &page.value.json;
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
        .read_db(move |c| crate::db::sources::grouped(c, &caches, &cid, r))
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

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/signals", tag = "stats", params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "fraud signals with their evidence rows (default: the last 7 days)")))]
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
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            let mut out = crate::db::signals::campaign(c, &camp.id, r)?;
            crate::db::operations::annotate_signals(c, &mut out)?;
            // Till users by their login name, not their id.
            let ids: Vec<String> = out["signals"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["user_id"].as_str().map(str::to_string))
                .collect();
            if !ids.is_empty() {
                let names = super::statement_doc::usernames(c, &ids)?;
                for s in out["signals"].as_array_mut().into_iter().flatten() {
                    if let Some(n) = s["user_id"].as_str().and_then(|u| names.get(u)) {
                        s["user_name"] = json!(n);
                    }
                }
            }
            Ok(out)
        })
        .await?))
}

/// Counts under this are published as "fewer than 5" (null), so no one visitor shows.
pub const OPEN_DATA_MIN_COUNT: i64 = 5;

fn suppressed(n: i64) -> Value {
    if n > 0 && n < OPEN_DATA_MIN_COUNT {
        Value::Null
    } else {
        json!(n)
    }
}

/// The open-data view of a campaign: aggregates per Macau day and totals per point, offer and
/// traffic source; no visitor, coupon or merchant-login ids; small counts suppressed.
async fn open_data(
    state: &State,
    key: String,
    r: Range,
    official: bool,
) -> Result<Value, AppError> {
    let caches = state.caches.clone();
    state
        .read_db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            if camp.status == "draft" && !official {
                return Err(AppError::NotFound(format!("no campaign '{key}'")));
            }
            let f = caches.facts(c, &camp.id, r)?;
            let points = catalog::points_of(c, &camp.id)?;
            let offers = catalog::offers_of(c, &camp.id)?;
            let names = |n: &str| crate::domain::names::Names::from_json(n);
            Ok(json!({
                "campaign": {"id": camp.id, "slug": camp.slug, "name": names(&camp.name), "district": camp.district,
                             "starts_at": to_rfc3339(camp.starts_at), "ends_at": to_rfc3339(camp.ends_at)},
                "licence": "Aggregated figures; counts from 1 to 4 are given as null.",
                "totals": {"page_views": suppressed(f.page_views), "unique_visitors": suppressed(f.page_visitors),
                           "visitors": suppressed(f.visitors), "checkins": suppressed(f.checkins),
                           "coupons_issued": suppressed(f.issued), "coupons_redeemed": suppressed(f.redeemed),
                           "ecash_redeemed_avos": f.ecash_avos, "spend_avos": f.spend_avos, "merchants_redeeming": f.merchants.len()},
                "days": f.daily.iter().map(|(d, v)| json!({"day": d.to_string(), "page_views": suppressed(v[0]),
                    "checkins": suppressed(v[1]), "coupons_issued": suppressed(v[2]), "coupons_redeemed": suppressed(v[3])})).collect::<Vec<_>>(),
                "points": points.iter().map(|p| json!({"name": names(&p.name), "kind": p.kind, "lat": p.lat, "lng": p.lng,
                    "checkins": suppressed(f.points.get(&p.id).copied().unwrap_or(0))})).collect::<Vec<_>>(),
                "offers": offers.iter().map(|o| { let v = f.offers.get(&o.id).copied().unwrap_or_default();
                    json!({"name": names(&o.name), "kind": o.kind, "face_value_avos": o.face_value_avos, "percent_off": o.percent_off,
                           "stock": o.stock, "issued": suppressed(v[0]), "redeemed": suppressed(v[1])}) }).collect::<Vec<_>>(),
                "refs": f.refs.iter().map(|(k, v)| json!({"ref": k, "page_views": suppressed(v[0]), "visitors": suppressed(v[1]),
                    "checkins": suppressed(v[2]), "coupons_issued": suppressed(v[3]), "redemptions": suppressed(v[4])})).collect::<Vec<_>>(),
            }))
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export.json", tag = "stats", security((), ("bearer" = [])), params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "open data: daily aggregates and totals, small counts suppressed")))]
pub async fn export_json(
    state: State,
    who: MaybeOfficial,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    Ok(ok(&open_data(&state, path.into_inner(), r, who.0).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export.csv", tag = "stats", security((), ("bearer" = [])), params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "open data as CSV, one row per Macau day")))]
pub async fn export_csv(
    state: State,
    who: MaybeOfficial,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    let d = open_data(&state, path.into_inner(), r, who.0).await?;
    let rows = d["days"].as_array().into_iter().flatten().map(|x| {
        [
            "day",
            "page_views",
            "checkins",
            "coupons_issued",
            "coupons_redeemed",
        ]
        .iter()
        .map(|k| n(&x[*k]))
        .collect::<Vec<_>>()
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
        &format!(
            "{}-open-data.csv",
            d["campaign"]["slug"].as_str().unwrap_or("campaign")
        ),
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

#[utoipa::path(get, path = "/api/v1/audit", tag = "stats", params(AuditQuery), responses((status = 200, description = "audit log, newest first")))]
pub async fn audit_log(
    state: State,
    _who: Official,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let limit = super::input::bounded("limit", q.limit.unwrap_or(200), 1, 5000)?;
    let (rows, actors, entities) = state
        .db(move |c| {
            let rows = audit::list(c, q.entity.as_deref(), q.entity_id.as_deref(), limit)?;
            let mut ids: Vec<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
            ids.sort();
            ids.dedup();
            let actors = crate::db::audit_names::user_names(c, &ids)?;
            let mut wanted: Vec<(String, String)> = rows
                .iter()
                .map(|r| (r.entity.clone(), r.entity_id.clone()))
                .collect();
            wanted.sort();
            wanted.dedup();
            let entities = crate::db::audit_names::entity_names(c, &wanted)?;
            Ok((rows, actors, entities))
        })
        .await?;
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
    };
    Ok(ok(&rows
        .iter()
        .map(|r| {
            let actor_name = r.actor_id.as_ref().and_then(|a| actors.get(a));
            let entity_label = entities.get(&(r.entity.clone(), r.entity_id.clone()));
            json!({"id": r.id, "actor_id": r.actor_id, "actor_role": r.actor_role, "actor_name": actor_name,
                   "action": r.action, "entity": r.entity, "entity_id": r.entity_id, "entity_label": entity_label,
                   "before": parse(&r.before), "after": parse(&r.after), "at": to_rfc3339(r.created_at)})
        })
        .collect::<Vec<_>>()))
}
