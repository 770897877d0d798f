//! Promotion sources: registered by officials per campaign; `/s/{code}` is the short link that
//! lands on the campaign with its source as `ref`. The rules live in `service::sources`.

use actix_web::{web, HttpResponse};

use super::auth::Official;
use super::csv_out::ShapeQuery;
use super::state::{created, csv_response, ok, to_csv, State};
use crate::error::AppError;
use crate::service::sources::{self as uc, SourceBody};
use crate::views::sources::{Grouped, SourceView};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/sources", web::post().to(create))
        .route("/campaigns/{id}/sources", web::get().to(list))
        .route("/campaigns/{id}/sources.csv", web::get().to(list_csv));
}

#[utoipa::path(post, path = "/api/v1/campaigns/{id}/sources", tag = "campaigns", request_body = SourceBody, params(("id" = String, Path)),
    responses((status = 201, description = "the source with its `code` and short `link` (/s/{code})", body = SourceView),
        (status = 404, description = "not_found"), (status = 422, description = "validation_failed")))]
pub async fn create(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: web::Json<SourceBody>,
) -> Result<HttpResponse, AppError> {
    let (key, b) = (path.into_inner(), body.into_inner());
    let out = state
        .db(move |c| uc::create(c, &who.user_id, &key, b))
        .await?;
    Ok(created(&out))
}

async fn grouped(state: &State, key: String) -> Result<Grouped, AppError> {
    let caches = state.caches.clone();
    state.db(move |c| uc::of_campaign(c, &caches, &key)).await
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/sources", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, description = "the funnel by registered source", body = Grouped), (status = 404, description = "not_found")))]
pub async fn list(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(ok(&grouped(&state, path.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/sources.csv", tag = "campaigns", params(("id" = String, Path), ShapeQuery),
    responses((status = 200, description = "CSV, one row per source, then direct and other (`sheet`: with readable headers and the redemption rate in percent)", content_type = "text/csv", body = String),
        (status = 404, description = "not_found")))]
pub async fn list_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let g = grouped(&state, path.into_inner()).await?;
    let slug = g.campaign.as_ref().map_or("campaign", |c| c.slug.as_str());
    if shape.sheet() {
        let (header, rows) = sheet(&g);
        return Ok(csv_response(
            &format!("{slug}-sources-sheet.csv"),
            to_csv(&header, rows)?,
        ));
    }
    let counts = |f: &crate::views::sources::Figures| f.counts().map(|n| n.to_string());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in &g.sources {
        let mut r = vec![
            s.source.name.clone(),
            s.source.platform.clone(),
            s.source.code.clone(),
        ];
        r.extend(counts(&s.figures));
        rows.push(r);
    }
    for (label, f) in [("direct", &g.direct), ("other", &g.other)] {
        let mut r = vec![label.to_string(), String::new(), String::new()];
        r.extend(counts(f));
        rows.push(r);
    }
    let header = [
        "source",
        "platform",
        "code",
        "page_views",
        "visitors",
        "checkins",
        "coupons_issued",
        "redemptions",
    ];
    Ok(csv_response(
        &format!("{slug}-sources.csv"),
        to_csv(&header, rows)?,
    ))
}

/// The traffic by source (as [`uc::grouped`] answers) as one spreadsheet table: a line per
/// registered source, then "(direct)" and "(other)"; the redemption rate in percent. Used by
/// `sources.csv` and by the statistics' `sources` table.
pub fn sheet(g: &Grouped) -> (Vec<&'static str>, Vec<Vec<String>>) {
    use super::csv_out::sheet::ratio_pct;
    use crate::views::sources::Figures;
    let line = |name: &str, platform: &str, code: &str, f: &Figures| {
        let mut r = vec![name.to_string(), platform.to_string(), code.to_string()];
        r.extend(f.counts().map(|n| n.to_string()));
        let rate = (f.coupons_issued > 0).then(|| f.redemptions as f64 / f.coupons_issued as f64);
        r.push(ratio_pct(rate));
        r
    };
    let mut rows: Vec<Vec<String>> = g
        .sources
        .iter()
        .map(|s| {
            line(
                &s.source.name,
                &s.source.platform,
                &s.source.code,
                &s.figures,
            )
        })
        .collect();
    rows.push(line("(direct)", "", "", &g.direct));
    rows.push(line("(other)", "", "", &g.other));
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
    let to = state
        .db(move |c| uc::landing(c, &code))
        .await
        .unwrap_or_else(|_| "/".to_string());
    HttpResponse::Found()
        .insert_header(("Location", to))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}
