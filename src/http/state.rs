//! The application state every handler receives, and the small helpers that build answers.

use actix_web::{web, HttpResponse};

use super::{csv_out, ledger_sealer, limits, live_hub, pageview_buffer, tokens, wallets};
use crate::db::{self, Backend, DbConn, DbPool};
use crate::domain::payload::KeyRing;
use crate::error::AppError;

pub struct AppState {
    pub pool: DbPool,
    /// Where statistics and exports read: the read replica's pool (`--replica-url`), else
    /// the primary's.
    pub read_pool: DbPool,
    pub backend: Backend,
    pub jwt: tokens::JwtKeys,
    pub qr: KeyRing,
    pub settings: crate::config::Settings,
    pub pageviews: pageview_buffer::Buffer,
    pub campaign_ids: pageview_buffer::CampaignIds,
    pub caches: crate::db::cache::Caches,
    pub limits: limits::Limits,
    /// Verification of visitors (one person, one wallet).
    pub wallets: std::sync::Arc<wallets::Wallets>,
    /// Live statistics feeds (server-sent events), one per watched campaign.
    pub live: live_hub::Hub,
    /// Moves committed ledger rows into the chain (PostgreSQL).
    pub sealer: std::sync::Arc<ledger_sealer::Sealer>,
    /// The SQLite database's writing connection (none on PostgreSQL).
    pub writer: db::Writer,
}

impl AppState {
    /// Runs blocking database work on the blocking thread pool, never on an async worker.
    /// When it committed ledger rows that wait for the chain (PostgreSQL), it returns once
    /// they are sealed.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (r, deferred) = run(self.pool.clone(), self.writer.clone(), f).await?;
        if deferred {
            self.sealer.sealed().await;
        }
        r
    }

    /// Like [`AppState::db`], on the read replica when there is one: for statistics and
    /// exports only (figures there may lag the primary by the replica's delay).
    pub async fn read_db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        run(self.read_pool.clone(), self.writer.clone(), f).await?.0
    }
}

/// Runs `f` on a pooled connection on the blocking thread pool: its result, and whether it
/// left ledger rows waiting to be sealed.
async fn run<T, F>(
    pool: DbPool,
    writer: db::Writer,
    f: F,
) -> Result<(Result<T, AppError>, bool), AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    web::block(move || {
        let mut conn = match db::get(&pool) {
            Ok(c) => c,
            Err(e) => return (Err(e), false),
        };
        db::ledger::take_deferred();
        let r = writer.serving(|| f(&mut conn));
        if matches!(r, Err(AppError::Unavailable(_))) {
            db::discard(&mut conn);
        }
        (r, db::ledger::take_deferred())
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))
}

pub type State = web::Data<AppState>;

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
