//! Page views: accepted at once (202) into an in-memory buffer that a background task writes
//! in batches; the buffer is flushed on shutdown so none is lost.

use std::sync::{Arc, Mutex};

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::state::State;
use crate::db::models::NewPageview;
use crate::db::{traffic, DbPool};
use crate::domain::time::{macau_day, now};
use crate::error::AppError;

#[derive(Clone, Default)]
pub struct Buffer {
    rows: Arc<Mutex<Vec<NewPageview>>>,
}

impl Buffer {
    pub fn push(&self, row: NewPageview) -> usize {
        let mut g = self.rows.lock().expect("buffer lock");
        g.push(row);
        g.len()
    }

    pub fn len(&self) -> usize {
        self.rows.lock().expect("buffer lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn take(&self) -> Vec<NewPageview> {
        std::mem::take(&mut *self.rows.lock().expect("buffer lock"))
    }

    /// Writes what is buffered; on failure the rows go back into the buffer.
    pub fn flush(&self, pool: &DbPool) -> Result<usize, AppError> {
        let rows = self.take();
        if rows.is_empty() {
            return Ok(0);
        }
        let result =
            crate::db::get(pool).and_then(|mut c| traffic::insert_pageviews(&mut c, &rows));
        match result {
            Ok(n) => {
                crate::telemetry::count("bairro_pageviews_total", n);
                Ok(n)
            }
            Err(e) => {
                self.rows.lock().expect("buffer lock").extend(rows);
                Err(e)
            }
        }
    }
}

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
    responses((status = 202, description = "accepted"), (status = 404, description = "unknown campaign")))]
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
    if state.pageviews.len() >= crate::memory::MAX_BUFFERED_PAGEVIEWS {
        return Err(AppError::Unavailable(
            "page views are not being written at the moment; try again".into(),
        ));
    }
    state.limits.check(
        &state.limits.pageviews_ip,
        &super::client_addr::client_ip(&req),
    )?;
    let campaign_id = state.campaign_ids.resolve(&state, &b.campaign).await?;
    let t = now();
    let n = state.pageviews.push(NewPageview {
        campaign_id,
        path: b.path,
        ref_,
        visitor_hash: super::client_addr::address_hash(&state, &req),
        day: macau_day(t),
        created_at: t,
    });
    if n >= 2000 {
        let buf = state.pageviews.clone();
        let pool = state.pool.clone();
        let _ = web::block(move || buf.flush(&pool)).await;
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Campaign id/slug → id, cached so a page view costs no database round trip.
#[derive(Clone, Default)]
pub struct CampaignIds {
    map: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

impl CampaignIds {
    pub async fn resolve(&self, state: &State, key: &str) -> Result<String, AppError> {
        if let Some(id) = self.map.lock().expect("cache lock").get(key) {
            return Ok(id.clone());
        }
        let k = key.to_string();
        let c = state
            .db(move |c| crate::db::catalog::find_campaign(c, &k))
            .await?;
        let mut m = self.map.lock().expect("cache lock");
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key.to_string(), c.id.clone());
        Ok(c.id)
    }
}
