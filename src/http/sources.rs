//! Promotion sources: registered by officials per campaign; `/s/{code}` is the short link that
//! lands on the campaign with its source as `ref`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Official;
use super::state::{created, csv_response, ok, to_csv, State};
use super::csv_out::{cell, ShapeQuery};
use crate::db::audit::{self, Actor};
use crate::db::stats::Range;
use crate::db::{catalog, sources};
use crate::error::{AppError, FieldError};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/sources", web::post().to(create))
        .route("/campaigns/{id}/sources", web::get().to(list))
        .route("/campaigns/{id}/sources.csv", web::get().to(list_csv));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SourceBody {
    /// Who promotes: an influencer's or channel's name.
    pub name: String,
    /// One of instagram, facebook, xiaohongshu, wechat, youtube, douyin, website, print,
    /// broadcast, other.
    pub platform: String,
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/sources", tag = "campaigns", request_body = SourceBody, params(("id" = String, Path)),
    responses((status = 201, description = "the source with its `code` and short `link` (/s/{code})"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<SourceBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut errs = Vec::new();
    let name = b.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errs.push(FieldError {
            field: "name".into(),
            message: "1 to 100 characters".into(),
        });
    }
    if !sources::PLATFORMS.contains(&b.platform.as_str()) {
        errs.push(FieldError {
            field: "platform".into(),
            message: format!("one of {}", sources::PLATFORMS.join(", ")),
        });
    }
    let note = b
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        errs.push(FieldError {
            field: "note".into(),
            message: "at most 500 characters".into(),
        });
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let key = path.into_inner();
    let s = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            let s = sources::create(c, &camp.id, &name, &b.platform, note, &who.user_id)?;
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "create",
                "source",
                &s.id,
                None,
                Some(&sources::view(&s)),
            )?;
            Ok(s)
        })
        .await?;
    Ok(created(&sources::view(&s)))
}

async fn grouped(state: &State, key: String) -> Result<serde_json::Value, AppError> {
    let caches = state.caches.clone();
    state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            let mut v = sources::grouped(c, &caches, &camp.id, Range::all())?;
            v["campaign"] = serde_json::json!({"id": camp.id, "slug": camp.slug});
            Ok(v)
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/sources", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, description = "{sources: [source with figures], direct, other, other_refs}: the funnel by registered source")))]
pub async fn list(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(ok(&grouped(&state, path.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/sources.csv", tag = "campaigns", params(("id" = String, Path), ShapeQuery),
    responses((status = 200, description = "CSV, one row per source, then direct and other (`sheet`: with readable headers and the redemption rate in percent)", content_type = "text/csv")))]
pub async fn list_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let g = grouped(&state, path.into_inner()).await?;
    let slug = g["campaign"]["slug"].as_str().unwrap_or("campaign");
    if shape.sheet() {
        let (header, rows) = sheet(&g);
        return Ok(csv_response(
            &format!("{slug}-sources-sheet.csv"),
            to_csv(&header, rows)?,
        ));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in g["sources"].as_array().into_iter().flatten() {
        let mut r = vec![cell(&s["name"]), cell(&s["platform"]), cell(&s["code"])];
        r.extend(FIGURES.iter().map(|k| cell(&s["figures"][*k])));
        rows.push(r);
    }
    for (label, k) in [("direct", "direct"), ("other", "other")] {
        let mut r = vec![label.to_string(), String::new(), String::new()];
        r.extend(FIGURES.iter().map(|x| cell(&g[k][*x])));
        rows.push(r);
    }
    let mut header = vec!["source", "platform", "code"];
    header.extend(FIGURES);
    Ok(csv_response(
        &format!("{slug}-sources.csv"),
        to_csv(&header, rows)?,
    ))
}

/// The funnel figures of a source, in column order.
const FIGURES: [&str; 5] = [
    "page_views",
    "visitors",
    "checkins",
    "coupons_issued",
    "redemptions",
];

/// The traffic by source (as [`sources::grouped`] answers) as one spreadsheet table: a line
/// per registered source, then "(direct)" and "(other)"; the redemption rate in percent. Used
/// by `sources.csv` and by the statistics' `sources` table.
pub fn sheet(g: &serde_json::Value) -> (Vec<&'static str>, Vec<Vec<String>>) {
    use super::csv_out::sheet::share;
    let line = |name: String, platform: String, code: String, f: &serde_json::Value| {
        let mut r = vec![name, platform, code];
        r.extend(FIGURES.iter().map(|k| cell(&f[*k])));
        r.push(share(&f["redemptions"], &f["coupons_issued"]));
        r
    };
    let mut rows: Vec<Vec<String>> = g["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            line(
                cell(&s["name"]),
                cell(&s["platform"]),
                cell(&s["code"]),
                &s["figures"],
            )
        })
        .collect();
    for (label, k) in [("(direct)", "direct"), ("(other)", "other")] {
        rows.push(line(label.into(), String::new(), String::new(), &g[k]));
    }
    (
        vec![
            "Source",
            "Platform",
            "Code",
            "Page views",
            "Visitors",
            "Check-ins",
            "Coupons issued",
            "Redemptions",
            "Redemption rate (%)",
        ],
        rows,
    )
}

/// `/s/{code}`: the short link on posters and in posts; lands on the campaign with its source.
pub async fn short_link(state: State, path: web::Path<String>) -> HttpResponse {
    let code = path.into_inner();
    let found = state
        .db(move |c| {
            let Some(s) = sources::by_code(c, &code)? else {
                return Ok(None);
            };
            let camp = catalog::find_campaign(c, &s.campaign_id)?;
            Ok(Some((camp.slug, s.code)))
        })
        .await
        .ok()
        .flatten();
    let to = match found {
        Some((slug, code)) => format!("/#/c/{slug}?ref={code}"),
        None => "/".to_string(),
    };
    HttpResponse::Found()
        .insert_header(("Location", to))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}
