//! One person, one wallet: a visitor confirms a phone number or e-mail with a 6-digit code;
//! an address that already has a wallet gives the new device that wallet's token. Also the
//! check that a visitor's token still names a visitor the database holds.

use actix_web::{web, HttpResponse};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::auth::{self, VisitorAuth};
use super::state::{ok, State};
use crate::db::verification::{self as store, Confirmed};
use crate::domain::time::{now, to_rfc3339};
use crate::domain::verification::{self as rules, Address, Channel};
use crate::error::{AppError, Code, FieldError};
use crate::service;
use crate::views::coupons::Coupon;
use crate::views::verification::{CodeSent, VerificationStatus, Verified};

pub use super::wallets::Wallets;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/visitors/verification", web::get().to(status))
        .route("/visitors/verification", web::post().to(send_code))
        .route("/visitors/verification/confirm", web::post().to(confirm));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SendBody {
    /// `sms` or `email`.
    #[schema(pattern = "^(sms|email)$")]
    pub channel: String,
    /// A phone number (with country code, or 8 digits for Macau) or an e-mail address.
    pub address: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConfirmBody {
    pub address: String,
    pub code: String,
}

fn invalid_address() -> AppError {
    AppError::rule(
        Code::InvalidAddress,
        "This is not a phone number (with its country code) or an e-mail address we can send to.",
    )
}

#[utoipa::path(get, path = "/api/v1/visitors/verification", tag = "visitors",
    responses((status = 200, description = "Whether the visitor verified, its addresses' hints, and the channels codes can be sent by", body = VerificationStatus),
        (status = 401, description = "unauthorized: unknown visitor")))]
pub async fn status(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let channels = state
        .wallets
        .senders
        .channels()
        .into_iter()
        .filter_map(crate::types::VerificationChannel::parse)
        .collect();
    let out = state
        .db(move |c| service::verification::status(c, &who.visitor_id, channels))
        .await?;
    Ok(ok(&out))
}

#[utoipa::path(post, path = "/api/v1/visitors/verification", tag = "visitors", request_body = SendBody,
    responses((status = 202, description = "A 6-digit code was sent", body = CodeSent),
        (status = 422, description = "invalid_address, verification_unavailable, validation_failed"), (status = 429, description = "rate_limited"),
        (status = 503, description = "delivery_failed"), (status = 401, description = "unauthorized")))]
pub async fn send_code(
    state: State,
    who: VisitorAuth,
    body: web::Json<SendBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let Some(channel) = Channel::parse(&b.channel) else {
        return Err(AppError::Validation(vec![FieldError {
            field: "channel".into(),
            message: "sms or email".into(),
        }]));
    };
    let addr = Address::parse(channel, &b.address).ok_or_else(invalid_address)?;
    let w = &state.wallets;
    if !w.senders.can_send(channel) {
        return Err(AppError::rule(
            Code::VerificationUnavailable,
            format!(
                "Codes cannot be sent by {} here; use {}.",
                channel.as_str(),
                w.senders.channels().join(" or ")
            ),
        ));
    }
    let key = w.key_of(&addr);
    w.limit(&w.per_visitor, &who.visitor_id)?;
    w.limit(&w.per_address, &key.hash)?;
    let code = rules::new_code();
    let code_hash = rules::code_hash(&w.address_key, &key.hash, &code);
    let t = now();
    let expires_at = t + rules::CODE_TTL;
    let visitor = who.visitor_id.clone();
    let k = key.clone();
    let locale = state
        .db(move |c| {
            let locale = store::visitor_locale(c, &visitor)?;
            store::store_code(c, &visitor, &k, &code_hash, t, expires_at)?;
            Ok(locale)
        })
        .await?;
    let (subject, text) = rules::message(&locale, &code);
    if let Err(e) = w
        .senders
        .send(channel, &addr.normalized, &key.hint, &subject, &text, &code)
        .await
    {
        tracing::warn!(error = %e, channel = channel.as_str(), "verification code not delivered");
        return Err(AppError::rule(
            Code::DeliveryFailed,
            "The code could not be sent just now; try again in a minute.",
        ));
    }
    crate::telemetry::count("bairro_verification_codes_sent_total", 1);
    Ok(HttpResponse::Accepted().json(CodeSent {
        channel: channel.as_str().into(),
        sent_to: key.hint,
        expires_at: to_rfc3339(expires_at),
    }))
}

#[utoipa::path(post, path = "/api/v1/visitors/verification/confirm", tag = "visitors", request_body = ConfirmBody,
    responses((status = 200, description = "The token of the address's wallet and the coupons issued at verification", body = Verified),
        (status = 422, description = "invalid_code, invalid_address"), (status = 410, description = "code_expired"),
        (status = 429, description = "rate_limited (after 5 wrong codes)"), (status = 401, description = "unauthorized"),
        (status = 403, description = "visitor_banned")))]
pub async fn confirm(
    state: State,
    who: VisitorAuth,
    body: web::Json<ConfirmBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let addr = Address::parse_any(&b.address).ok_or_else(invalid_address)?;
    let w = &state.wallets;
    w.limit(&w.confirms, &who.visitor_id)?;
    let key = w.key_of(&addr);
    let typed = rules::read_code(&b.code).map(|c| rules::code_hash(&w.address_key, &key.hash, &c));
    let visitor = who.visitor_id.clone();
    let t = now();
    let outcome = state
        .db(move |c| service::verification::confirm(c, &visitor, &key, typed.as_deref(), t))
        .await?;
    match outcome {
        Confirmed::Wrong { locked } => Err(AppError::rule_with(
            Code::InvalidCode,
            if locked {
                "This code is wrong, and it was the last try: ask for a new code in 15 minutes."
            } else {
                "This code is wrong; check the last message and try again."
            },
            json!({"locked": locked}),
        )),
        Confirmed::Expired => Err(AppError::rule(
            Code::CodeExpired,
            "This code has expired; ask for a new one.",
        )),
        Confirmed::Wallet {
            visitor_id,
            joined,
            coupons,
            visitor_ref,
        } => {
            let mut claims = auth::visitor_claims(&visitor_id);
            claims.rf = visitor_ref;
            let (token, exp) = state
                .jwt
                .issue(claims, Duration::days(state.settings.visitor_token_days));
            state.wallets.known.insert(visitor_id.clone(), ());
            let t = now();
            let coupons = coupons
                .iter()
                .map(|(c, o)| Coupon::of(c, Some(o), state.qr.coupon(&c.code), t))
                .collect();
            Ok(ok(&Verified {
                visitor_id,
                token,
                expires_at: to_rfc3339(exp.naive_utc()),
                verified: true,
                joined,
                coupons,
            }))
        }
    }
}
