//! Check-ins and first-come-first-served claims: the visitor's side of the campaign loop.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::VisitorAuth;
use super::state::{created, State};
use crate::db::issuance::{self, CheckinRequest};
use crate::domain::time::{now, parse_rfc3339};
use crate::error::{AppError, FieldError};
use crate::views;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/checkins", web::post().to(check_in))
        .route("/offers/{id}/claim", web::post().to(claim));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckinBody {
    pub payload: String,
    pub method: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// When the phone scanned the code (for uploads after a loss of signal).
    pub scanned_at: Option<String>,
    /// Sent again with a retry, so the check-in is recorded once.
    pub nonce: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/checkins", tag = "visitors", request_body = CheckinBody,
    responses((status = 201, description = "{checkin, stamps, coupons}"), 
        (status = 409, description = "already_checked_in"), (status = 422, description = "invalid_payload"), (status = 410, description = "payload_expired"),
        (status = 403, description = "outside_geofence, location_required, campaign_not_active"), (status = 429, description = "rate_limited")))]
pub async fn check_in(
    state: State,
    who: VisitorAuth,
    body: web::Json<CheckinBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut errs = Vec::new();
    if !["qr", "ar"].contains(&b.method.as_str()) {
        errs.push(FieldError {
            field: "method".into(),
            message: "qr or ar".into(),
        });
    }
    if b.lat.is_some() != b.lng.is_some() {
        errs.push(FieldError {
            field: "lat".into(),
            message: "lat and lng go together".into(),
        });
    }
    let scanned_at = match b.scanned_at.as_deref() {
        None => None,
        Some(s) => match parse_rfc3339(s) {
            Some(t) => Some(t),
            None => {
                errs.push(FieldError {
                    field: "scanned_at".into(),
                    message: "RFC 3339 with offset".into(),
                });
                None
            }
        },
    };
    if b.nonce
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.len() > 64)
    {
        errs.push(FieldError {
            field: "nonce".into(),
            message: "1 to 64 characters".into(),
        });
    }
    if b.payload.len() > 512 {
        errs.push(FieldError {
            field: "payload".into(),
            message: "too long".into(),
        });
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    state
        .limits
        .check(&state.limits.checkins, &who.visitor_id)?;
    let req = CheckinRequest {
        visitor_id: who.visitor_id,
        payload: b.payload,
        method: b.method,
        lat: b.lat,
        lng: b.lng,
        scanned_at,
        nonce: b.nonce,
        visitor_ref: who.ref_,
    };
    let qr = state.qr.clone();
    let caches = state.caches.clone();
    let (out, replayed) = state
        .db(move |c| issuance::check_in(c, &qr, &caches, req))
        .await?;
    let t = now();
    let body = json!({
        "checkin": views::checkin(&out.checkin),
        "stamps": {"count": out.stamps, "next_reward_at": out.next_reward_at},
        "coupons": out.coupons.iter().map(|(c, o)| views::coupon(c, Some(o), state.qr.coupon(&c.code), t)).collect::<Vec<_>>(),
    });
    if replayed {
        tracing::debug!("check-in answered again for a repeated nonce");
    }
    Ok(created(&body))
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/claim", tag = "visitors", params(("id" = String, Path)),
    responses((status = 201, description = "coupon"), (status = 410, description = "sold_out"), (status = 409, description = "limit_reached"), (status = 403, description = "not_open")))]
pub async fn claim(
    state: State,
    who: VisitorAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.limits.check(&state.limits.claims, &who.visitor_id)?;
    let id = path.into_inner();
    let caches = state.caches.clone();
    let (c, o) = state
        .db(move |conn| issuance::claim(conn, &caches, &id, &who.visitor_id, who.ref_.as_deref()))
        .await?;
    Ok(created(&views::coupon(
        &c,
        Some(&o),
        state.qr.coupon(&c.code),
        now(),
    )))
}
