//! Page views: accepted at once (202) into an in-memory buffer that a background task writes
//! in batches; the buffer is flushed on shutdown so none is lost.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::state::State;
use crate::db::models::NewPageview;
use crate::domain::time::{macau_day, now};
use crate::error::AppError;

pub use super::pageview_buffer::{Buffer, CampaignIds};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/pageviews", web::post().to(record));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PageviewBody {
    /// Campaign id or slug.
    #[schema(min_length = 1, max_length = 64)]
    pub campaign: String,
    #[schema(max_length = 500)]
    pub path: String,
    /// Traffic source: letters, digits, `-_.~` or non-ASCII symbols, starting with a letter or digit.
    #[serde(rename = "ref")]
    #[schema(max_length = 64)]
    pub ref_: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/pageviews", tag = "traffic", security(()), request_body = PageviewBody,
    responses((status = 202, description = "accepted (no body)"), (status = 404, description = "not_found: unknown campaign"),
        (status = 422, description = "validation_failed"), (status = 503, description = "unavailable: page views are not being written at the moment")))]
pub async fn record(
    state: State,
    req: HttpRequest,
    body: web::Json<PageviewBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    if b.path.len() > 500 {
        return Err(AppError::field("path", "at most 500 characters"));
    }
    let ref_ = super::input::traffic_ref("ref", b.ref_)?;
    // Buffered rows are written later in one batch: refuse now what the database would not take.
    super::input::text("path", &b.path, false)?;
    let ip = super::client_addr::client_ip(&req);
    state.limits.check(&state.limits.pageviews_ip, &ip)?;
    let campaign_id = state
        .campaign_ids
        .resolve(&b.campaign, |key| {
            state.db(move |c| Ok(crate::db::catalog::find_campaign(c, &key)?.id.to_string()))
        })
        .await?;
    let t = now();
    let row = NewPageview {
        campaign_id: campaign_id.into(),
        path: b.path,
        ref_,
        visitor_hash: super::client_addr::address_hash_of(&state, &req, ip),
        day: macau_day(t),
        created_at: t,
    };
    if state.pageviews.push(row).is_err() {
        return Err(AppError::Unavailable(
            "page views are not being written at the moment; try again".into(),
        ));
    }
    Ok(HttpResponse::Accepted().finish())
}
