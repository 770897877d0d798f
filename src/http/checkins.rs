//! Check-ins and first-come-first-served claims: the visitor's side of the campaign loop.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::{VisitorAuth, VisitorToken};
use super::state::{created, State};
use crate::domain::time::parse_rfc3339;
use crate::error::{AppError, FieldError};
use crate::service::checkins::{self, CheckinRequest};
use crate::service::coupons;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/checkins", web::post().to(check_in))
        .route("/offers/{id}/claim", web::post().to(claim));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckinBody {
    /// The scanned QR text, or a point's short code typed from its poster.
    #[schema(max_length = 512)]
    pub payload: String,
    #[schema(pattern = "^(qr|ar)$")]
    pub method: String,
    /// Sent together with `lng`.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// When the phone scanned the code (for uploads after a loss of signal), RFC 3339 with offset.
    pub scanned_at: Option<String>,
    /// Sent again with a retry, so the check-in is recorded once.
    #[schema(min_length = 1, max_length = 64)]
    pub nonce: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/checkins", tag = "visitors", request_body = CheckinBody,
    responses((status = 201, description = "The check-in, the visitor's stamps and the coupons it issued; a retry with the same nonce answers the same", body = crate::views::checkins::CheckedIn),
        (status = 409, description = "already_checked_in, nonce_reused"), (status = 422, description = "invalid_payload, validation_failed"), (status = 410, description = "payload_expired, point_retired"),
        (status = 403, description = "outside_geofence, location_required, campaign_not_active, visitor_banned"), (status = 429, description = "rate_limited")))]
pub async fn check_in(
    state: State,
    VisitorToken(who): VisitorToken,
    body: web::Json<CheckinBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut errs = Vec::new();
    let method = crate::types::CheckinMethod::parse(&b.method);
    if method.is_none() {
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
        method: method.expect("checked"),
        lat: b.lat,
        lng: b.lng,
        scanned_at,
        nonce: b.nonce,
        visitor_ref: who.ref_,
    };
    let (qr, caches) = (state.qr.clone(), state.caches.clone());
    let out = state
        .db(move |c| checkins::check_in(c, &qr, &caches, req))
        .await?;
    Ok(created(&out))
}

#[utoipa::path(post, path = "/api/v1/offers/{id}/claim", tag = "visitors", params(("id" = String, Path)),
    responses((status = 201, description = "The coupon claimed", body = crate::views::coupons::Coupon), (status = 410, description = "sold_out, budget_exhausted"), (status = 409, description = "limit_reached"),
        (status = 403, description = "not_open, offer_paused, campaign_not_active, verification_required, visitor_banned"), (status = 404, description = "not_found"), (status = 429, description = "rate_limited")))]
pub async fn claim(
    state: State,
    who: VisitorAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.limits.check(&state.limits.claims, &who.visitor_id)?;
    let id = path.into_inner();
    let (qr, caches) = (state.qr.clone(), state.caches.clone());
    let out = state
        .db(move |c| {
            coupons::claim(
                c,
                &qr,
                &caches,
                &id.into(),
                &who.visitor_id,
                who.ref_.as_deref(),
            )
        })
        .await?;
    Ok(created(&out))
}
