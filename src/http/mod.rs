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
pub mod ledger_sealer;
pub mod limits;
pub mod live;
pub mod live_hub;
pub mod mechanics;
pub mod merchants;
pub mod metrics;
pub mod openapi;
pub mod openapi_errors;
pub mod operations;
pub mod pageview_buffer;
pub mod pageviews;
pub mod pledges;
pub mod points;
pub mod redemptions;
pub mod request_log;
pub mod settlements;
pub mod sources;
pub mod staff;
pub mod state;
pub mod statement_doc;
pub mod stats;
pub mod tokens;
pub mod verification;
pub mod wallets;

pub mod visitors;
pub mod walk;

use actix_web::{web, HttpResponse};

pub use state::{AppState, State};

use crate::error::AppError;

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
