//! Officials' statistics: per campaign (JSON and CSV), the overview, fraud signals and the
//! audit log.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Official;
use super::{csv_response, ok, to_csv, State};
use crate::db::stats::{self, Range};
use crate::db::{audit, catalog};
use crate::domain::time::to_rfc3339;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/stats/overview", web::get().to(overview))
        .route("/campaigns/{id}/stats", web::get().to(campaign))
        .route("/campaigns/{id}/stats.csv", web::get().to(campaign_csv))
        .route("/campaigns/{id}/signals", web::get().to(signals))
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
        from: q.from.unwrap_or(all.from),
        to: q.to.unwrap_or(all.to),
    };
    if r.to < r.from {
        return Err(AppError::field("to", "must not be before from"));
    }
    Ok(r)
}

async fn load(state: &State, key: String, r: Range) -> Result<Value, AppError> {
    state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            stats::campaign(c, &camp.id, r)
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/stats/overview", tag = "stats", responses((status = 200, description = "totals over all campaigns, with a summary in three languages")))]
pub async fn overview(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    Ok(ok(&state.db(stats::overview).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats", tag = "stats", params(("id" = String, Path), RangeQuery),
    responses((status = 200, description = "funnel, daily series, per point, offer, merchant and ref, survey share")))]
pub async fn campaign(
    state: State,
    _who: Official,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let r = range(&q)?;
    Ok(ok(&load(&state, path.into_inner(), r).await?))
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
    let s = load(&state, path.into_inner(), r).await?;
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
        for k in ["redemptions", "ecash_avos", "spend_avos"] {
            row(
                "merchant",
                &n(&m["merchant_id"]),
                &n(&m["name"]["zh-Hant"]),
                k,
                &m[k],
            );
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
        from: q.from.unwrap_or(today - chrono::Duration::days(6)),
        to: q.to.unwrap_or(today),
    };
    if r.to < r.from {
        return Err(AppError::field("to", "must not be before from"));
    }
    let key = path.into_inner();
    Ok(ok(&state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            crate::db::signals::campaign(c, &camp.id, r)
        })
        .await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "stats", params(AuditQuery), responses((status = 200, description = "audit log, newest first")))]
pub async fn audit_log(
    state: State,
    _who: Official,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    let rows = state
        .db(move |c| audit::list(c, q.entity.as_deref(), q.entity_id.as_deref(), limit))
        .await?;
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
    };
    Ok(ok(&rows
        .iter()
        .map(|r| json!({"id": r.id, "actor_id": r.actor_id, "actor_role": r.actor_role, "action": r.action, "entity": r.entity,
                        "entity_id": r.entity_id, "before": parse(&r.before), "after": parse(&r.after), "at": to_rfc3339(r.created_at)}))
        .collect::<Vec<_>>()))
}
