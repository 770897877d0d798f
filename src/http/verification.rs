//! One person, one wallet: a visitor confirms a phone number or e-mail with a 6-digit code;
//! an address that already has a wallet gives the new device that wallet's token. Also the
//! check that a visitor's token still names a visitor the database holds.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use governor::{Quota, RateLimiter};
use moka::sync::Cache;
use serde::Deserialize;
use serde_json::json;

use super::auth::{self, VisitorAuth};
use super::{ok, views, State};
use crate::config::Settings;
use crate::db::verification::{self as store, AddressKey, Confirmed};
use crate::domain::time::{now, to_rfc3339};
use crate::domain::verification::{self as rules, Address, Channel};
use crate::error::{AppError, FieldError};
use crate::notify::Senders;

type Keyed = Arc<
    RateLimiter<
        String,
        governor::state::keyed::DefaultKeyedStateStore<String>,
        governor::clock::DefaultClock,
    >,
>;

/// Senders, the address key, the sending limits, and the visitors known to exist.
pub struct Wallets {
    pub senders: Senders,
    address_key: Vec<u8>,
    limits_on: bool,
    per_address: Keyed,
    per_visitor: Keyed,
    confirms: Keyed,
    known: Cache<String, ()>,
}

impl Wallets {
    pub fn new(settings: &Settings) -> Wallets {
        let every = |secs: u64, burst: u32| {
            Arc::new(RateLimiter::keyed(
                Quota::with_period(StdDuration::from_secs(secs))
                    .expect("a period")
                    .allow_burst(NonZeroU32::new(burst).expect("a burst")),
            ))
        };
        Wallets {
            senders: Senders::new(&settings.verification, settings.demo),
            address_key: settings
                .verification
                .address_key
                .expose()
                .as_bytes()
                .to_vec(),
            limits_on: settings.rate_limits,
            // Three codes to one address at once, then one every two minutes.
            per_address: every(120, 3),
            // Five codes from one visitor at once, then one a minute.
            per_visitor: every(60, 5),
            // Ten tries from one visitor at once, then one every ten seconds (wrong codes are
            // also counted per address in the database).
            confirms: every(10, 10),
            known: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(StdDuration::from_secs(60))
                .build(),
        }
    }

    /// Forgets the addresses and visitors whose sending and confirming quotas are full again
    /// (run every minute with the other limiters' housekeeping); returns the keys kept.
    pub fn housekeep(&self) -> usize {
        [&self.per_address, &self.per_visitor, &self.confirms]
            .iter()
            .map(|l| {
                l.retain_recent();
                l.shrink_to_fit();
                l.len()
            })
            .sum()
    }

    fn limit(&self, limiter: &Keyed, key: &str) -> Result<(), AppError> {
        if !self.limits_on {
            return Ok(());
        }
        let verdict = limiter.check_key(&key.to_string());
        crate::memory::prune_if_crowded(limiter);
        verdict.map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    fn key_of(&self, a: &Address) -> AddressKey {
        AddressKey {
            hash: a.keyed_hash(&self.address_key),
            channel: a.channel.as_str(),
            hint: a.hint(),
        }
    }
}

/// A visitor's token must name a visitor the database holds (after a restore it may not):
/// otherwise 401. Known visitors are remembered for a minute, so hot paths pay no extra query.
pub async fn ensure_visitor(
    state: Option<web::Data<super::AppState>>,
    visitor_id: String,
) -> Result<(), AppError> {
    let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    if state.wallets.known.contains_key(&visitor_id) {
        return Ok(());
    }
    let id = visitor_id.clone();
    if state.db(move |c| store::visitor_exists(c, &id)).await? {
        state.wallets.known.insert(visitor_id, ());
        Ok(())
    } else {
        Err(store::unknown_visitor())
    }
}

/// Offers that need verified visitors can only be made when visitors can verify: this is the
/// answer when no sender is configured (and the server is not a demo).
pub fn verification_unavailable() -> AppError {
    AppError::rule(
        StatusCode::UNPROCESSABLE_ENTITY,
        "verification_unavailable",
        "This offer needs verified visitors, but no way to send codes is configured \
         (set BAIRRO_SMTP_URL or BAIRRO_SMS_WEBHOOK), so nobody could receive it. \
         Configure a sender, or make the offer with requires_verified: false.",
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/visitors/verification", web::get().to(status))
        .route("/visitors/verification", web::post().to(send_code))
        .route("/visitors/verification/confirm", web::post().to(confirm));
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SendBody {
    /// `sms` or `email`.
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
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_address",
        "This is not a phone number (with its country code) or an e-mail address we can send to.",
    )
}

#[utoipa::path(get, path = "/api/v1/visitors/verification", tag = "visitors",
    responses((status = 200, description = "{verified, addresses: [{channel, hint, verified_at}], channels}"), (status = 401, description = "unknown visitor")))]
pub async fn status(state: State, who: VisitorAuth) -> Result<HttpResponse, AppError> {
    let id = who.visitor_id.clone();
    let rows = state.db(move |c| store::addresses_of(c, &id)).await?;
    Ok(ok(&json!({
        "verified": !rows.is_empty(),
        "addresses": rows.iter().map(|(c, h, t)| json!({"channel": c, "hint": h, "verified_at": to_rfc3339(*t)})).collect::<Vec<_>>(),
        "channels": state.wallets.senders.channels(),
    })))
}

#[utoipa::path(post, path = "/api/v1/visitors/verification", tag = "visitors", request_body = SendBody,
    responses((status = 202, description = "a 6-digit code was sent: {channel, sent_to, expires_at}"),
        (status = 422, description = "invalid_address, verification_unavailable"), (status = 429, description = "rate_limited"),
        (status = 503, description = "delivery_failed")))]
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
            StatusCode::UNPROCESSABLE_ENTITY,
            "verification_unavailable",
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
            StatusCode::SERVICE_UNAVAILABLE,
            "delivery_failed",
            "The code could not be sent just now; try again in a minute.",
        ));
    }
    crate::http::metrics::count("bairro_verification_codes_sent_total", 1);
    Ok(HttpResponse::Accepted().json(json!({
        "channel": channel.as_str(),
        "sent_to": key.hint,
        "expires_at": to_rfc3339(expires_at),
    })))
}

#[utoipa::path(post, path = "/api/v1/visitors/verification/confirm", tag = "visitors", request_body = ConfirmBody,
    responses((status = 200, description = "{visitor_id, token, verified: true, joined, coupons}: the token of the address's wallet"),
        (status = 422, description = "invalid_code, invalid_address"), (status = 410, description = "code_expired"),
        (status = 429, description = "rate_limited (after 5 wrong codes)")))]
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
        .db(move |c| {
            store::visitor_locale(c, &visitor)?;
            store::confirm(c, &visitor, &key, typed.as_deref(), t)
        })
        .await?;
    match outcome {
        Confirmed::Wrong { locked } => Err(AppError::rule_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_code",
            if locked {
                "This code is wrong, and it was the last try: ask for a new code in 15 minutes."
            } else {
                "This code is wrong; check the last message and try again."
            },
            json!({"locked": locked}),
        )),
        Confirmed::Expired => Err(AppError::rule(
            StatusCode::GONE,
            "code_expired",
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
            let coupons: Vec<_> = coupons
                .iter()
                .map(|(c, o)| views::coupon(c, Some(o), state.qr.coupon(&c.code), t))
                .collect();
            Ok(ok(&json!({
                "visitor_id": visitor_id,
                "token": token,
                "expires_at": to_rfc3339(exp.naive_utc()),
                "verified": true,
                "joined": joined,
                "coupons": coupons,
            })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_and_confirming_limits_forget_idle_keys() {
        let mut settings = Settings::for_tests("sqlite://unused.db");
        settings.rate_limits = true;
        let w = Wallets::new(&settings);
        for i in 0..2_000 {
            w.limit(&w.confirms, &format!("visitor-{i}")).unwrap();
        }
        // Just used: each key is still owed part of its quota, so it is kept.
        assert_eq!(w.housekeep(), 2_000);
        // Ten seconds later the quota of a single try is full again and nothing is kept.
        let t = std::time::Instant::now();
        while w.housekeep() > 0 {
            assert!(t.elapsed() < StdDuration::from_secs(30), "keys pruned");
            std::thread::sleep(StdDuration::from_millis(200));
        }
    }
}
