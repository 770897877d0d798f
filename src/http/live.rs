//! Live statistics: `GET /campaigns/{id}/stats/stream`, a server-sent event stream of a
//! campaign's totals. One feed per campaign counts the figures once a second for every
//! subscriber at once (from the statistics cache, which itself recounts at most every two
//! seconds) and sends them only when they changed; a comment line every few seconds tells the
//! reader the connection is alive and the figures still current. The feed stops when its last
//! subscriber leaves.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use tokio::sync::watch;

use super::state::{AppState, State};
use crate::db::catalog;
use crate::db::stats::Range;
use crate::error::AppError;
use crate::views::stats::{CampaignStats, LiveTotals};

/// How often a feed recounts its campaign.
const TICK: Duration = Duration::from_secs(1);
/// How often a silent stream says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(5);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/campaigns/{id}/stats/stream", web::get().to(stream));
}

pub use super::live_hub::Hub;

/// Who may read live statistics: an official, or a viewer where that role exists.
pub struct StatsReader;

impl FromRequest for StatsReader {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let claims = super::auth::claims_with_roles(req, &["official", "viewer"]);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let c = claims?;
            let stamp = super::auth::TokenStamp::of(&c);
            super::auth::ensure_active(state, c.sub, stamp, false).await?;
            Ok(StatsReader)
        })
    }
}

/// The part of `/campaigns/{id}/stats` a live screen shows: the totals, as the feed sends them.
pub fn totals(full: &CampaignStats) -> Result<String, AppError> {
    serde_json::to_string(&LiveTotals::from(full)).map_err(|e| AppError::Internal(e.into()))
}

/// The campaign's totals as the feed sends them, from the kept statistics page (the same
/// page `/campaigns/{id}/stats` serves, so a feed adds no count of its own).
async fn count(state: &State, cid: String) -> Result<String, AppError> {
    let page = super::stats::campaign_page(state, cid, Range::all()).await?;
    state.live.recounts.fetch_add(1, Ordering::Relaxed);
    totals(page.value.answer::<CampaignStats>()?)
}

/// Subscribes to the campaign's feed, starting it when it is the first subscriber.
fn subscribe(state: &State, cid: &str) -> watch::Receiver<Option<Arc<String>>> {
    let mut feeds = state.live.feeds.lock().expect("live feeds");
    if let Some(tx) = feeds.get(cid) {
        return tx.subscribe();
    }
    let (tx, rx) = watch::channel(None);
    feeds.insert(cid.to_string(), tx.clone());
    drop(feeds);
    let (state, cid) = (state.clone(), cid.to_string());
    actix_web::rt::spawn(async move {
        loop {
            match count(&state, cid.clone()).await {
                Ok(text) => {
                    tx.send_if_modified(|cur| {
                        if cur.as_deref().map(String::as_str) == Some(text.as_str()) {
                            false
                        } else {
                            *cur = Some(Arc::new(text));
                            true
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(campaign = %cid, error = %e, "live statistics count failed")
                }
            }
            tokio::time::sleep(TICK).await;
            // The last subscriber gone: stop, unless one arrived meanwhile (checked under the
            // lock subscribers take).
            let mut feeds = state.live.feeds.lock().expect("live feeds");
            if tx.receiver_count() == 0 {
                feeds.remove(&cid);
                break;
            }
        }
    });
    rx
}

fn event(data: &str) -> web::Bytes {
    web::Bytes::from(format!("data: {data}\n\n"))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Close the stream after the first figures (a snapshot for scripts and checks).
    pub once: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/stats/stream", tag = "stats", params(("id" = String, Path), StreamQuery),
    responses((status = 200, description = "text/event-stream: each event's `data:` line is the campaign's totals as JSON (`LiveTotals`: the totals of /campaigns/{id}/stats), sent when they change; the schema is that of one event", content_type = "text/event-stream", body = crate::views::stats::LiveEvent),
        (status = 404, description = "not_found")))]
pub async fn stream(
    state: State,
    _who: StatsReader,
    path: web::Path<String>,
    q: web::Query<StreamQuery>,
) -> Result<HttpResponse, AppError> {
    let once = q.once.unwrap_or(false);
    let key = path.into_inner();
    let cid = state
        .read_db(move |c| Ok(catalog::find_campaign(c, &key)?.id))
        .await?;
    let rx = subscribe(&state, &cid);
    // 0: the stream opens; 1: the figures as they are now (if counted yet); 2: each change,
    // with a comment line when nothing changed for a while.
    let after_data: u8 = if once { 3 } else { 2 };
    let body = futures_util::stream::unfold((rx, 0u8), move |(mut rx, step)| async move {
        let alive = || Ok::<_, actix_web::Error>(web::Bytes::from_static(b": alive\n\n"));
        if step == 3 {
            return None;
        }
        if step == 0 {
            return Some((Ok(web::Bytes::from_static(b": open\n\n")), (rx, 1)));
        }
        if step == 1 {
            let now = rx.borrow_and_update().clone();
            if let Some(d) = now {
                return Some((Ok(event(&d)), (rx, after_data)));
            }
        }
        match tokio::time::timeout(HEARTBEAT, rx.changed()).await {
            Ok(Ok(())) => {
                let data = rx.borrow_and_update().clone();
                match data {
                    Some(d) => Some((Ok(event(&d)), (rx, after_data))),
                    None => Some((alive(), (rx, 2))),
                }
            }
            Ok(Err(_)) => None,
            Err(_) => Some((alive(), (rx, 2))),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        // Never compressed: a compressor would hold events back until its buffer fills.
        .insert_header((actix_web::http::header::CONTENT_ENCODING, "identity"))
        .streaming(body))
}
