//! HTTP layer: application state, the route table and one module per resource. Handlers
//! extract, authorise (role extractors), call persistence/domain, and serialise.

pub mod auth;
pub mod bulk;
pub mod campaigns;
pub mod checkins;
pub mod client_addr;
pub mod csv_out;
pub mod desk;
pub mod frontend;
pub mod html;
pub mod imagery;
pub mod input;
pub mod integrity;
pub mod live;
pub mod mechanics;
pub mod merchants;
pub mod metrics;
pub mod openapi;
pub mod openapi_errors;
pub mod operations;
pub mod pageviews;
pub mod pledges;
pub mod points;
pub mod redemptions;
pub mod settlements;
pub mod sources;
pub mod staff;
pub mod statement_doc;
pub mod stats;
pub mod verification;
pub mod views;
pub mod visitors;
pub mod walk;

use actix_web::{web, HttpResponse};

use crate::db::{self, Backend, DbConn, DbPool};
use crate::domain::payload::KeyRing;
use crate::error::AppError;

pub struct AppState {
    pub pool: DbPool,
    pub backend: Backend,
    pub jwt: auth::JwtKeys,
    pub qr: KeyRing,
    pub settings: crate::config::Settings,
    pub pageviews: pageviews::Buffer,
    pub campaign_ids: pageviews::CampaignIds,
    pub caches: crate::db::cache::Caches,
    pub limits: crate::http::visitors::Limits,
    /// Verification of visitors (one person, one wallet).
    pub wallets: std::sync::Arc<verification::Wallets>,
    /// Live statistics feeds (server-sent events), one per watched campaign.
    pub live: live::Hub,
}

impl AppState {
    /// Runs blocking database work on the blocking thread pool, never on an async worker.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = db::get(&pool)?;
            let r = f(&mut conn);
            if matches!(r, Err(AppError::Unavailable(_))) {
                db::discard(&mut conn);
            }
            r
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }
}

pub type State = web::Data<AppState>;

/// All API routes under `/api/v1`. The router tries them in this order (a pattern with
/// `{…}` is a regular expression to run), so the hot paths come first: page views, check-ins
/// and claims, redemptions. Their patterns match no other module's paths, so moving them
/// first changes which handler answers nothing.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(pageviews::routes)
            .configure(checkins::routes)
            .configure(redemptions::routes)
            .configure(visitors::routes)
            .configure(verification::routes)
            .configure(campaigns::routes)
            .configure(points::routes)
            .configure(merchants::routes)
            .configure(settlements::routes)
            .configure(stats::routes)
            .configure(live::routes)
            .configure(desk::routes)
            .configure(sources::routes)
            .configure(pledges::routes)
            .configure(staff::routes)
            .configure(integrity::routes)
            .configure(mechanics::routes)
            .configure(operations::routes)
            .configure(bulk::routes)
            .configure(openapi::routes)
            .configure(walk::routes)
            .configure(imagery::routes)
            .default_service(web::to(not_found)),
    );
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound("no such route".into()))
}

/// `201 Created` with a JSON body.
pub fn created<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Created().json(body)
}

pub fn ok<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// A CSV download.
pub fn csv_response(filename: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

/// Writes rows as CSV through the product's one CSV writer ([`csv_out::write`]), which
/// neutralises cells a spreadsheet would run as formulas.
pub fn to_csv(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, AppError> {
    csv_out::write(header, rows)
}
