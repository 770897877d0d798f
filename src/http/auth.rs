//! Tokens and the role extractors: a handler names who may call it by its argument types
//! (`Official`, `MerchantUser`, `VisitorAuth`, `DeviceAuth`).

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

pub use super::tokens::{device_claims, staff_claims, visitor_claims, Claims, JwtKeys};
use crate::error::{AppError, Code};
use crate::http::state::AppState;

pub fn claims(req: &HttpRequest) -> Result<Claims, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| AppError::Unauthorized("a bearer token is required".into()))?;
    let value = header
        .to_str()
        .map_err(|_| AppError::Unauthorized("bad authorization header".into()))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| AppError::Unauthorized("a bearer token is required".into()))?;
    state.jwt.verify(token.trim())
}

fn role_claims(req: &HttpRequest, roles: &[&str]) -> Result<Claims, AppError> {
    let c = claims(req)?;
    if roles.contains(&c.role.as_str()) {
        Ok(c)
    } else {
        Err(AppError::Forbidden(format!(
            "this needs the {} role",
            roles.join(" or ")
        )))
    }
}

/// Staff tokens must name a user the database still holds, active: a disabled or deleted
/// user is refused (401) at its very next request, on every server process, because the
/// account is read from the database on each staff request (one primary-key lookup; there is
/// no cache to go stale). An account whose password was reset answers 403
/// `password_change_required` to everything but `POST /me/password` (`may_be_stale_password`),
/// whichever token asks; once the password is changed, a token issued before the change is
/// refused (its version is older; only the token that made the change is kept).
pub async fn ensure_active(
    state: Option<web::Data<AppState>>,
    user_id: String,
    token: TokenStamp,
    may_be_stale_password: bool,
) -> Result<(), AppError> {
    let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    state
        .db(move |c| check_standing(c, &user_id, &token, may_be_stale_password))
        .await
}

/// The account check of [`ensure_active`] on a connection the caller already holds.
pub fn check_standing(
    c: &mut crate::db::DbConn,
    user_id: &str,
    token: &TokenStamp,
    may_be_stale_password: bool,
) -> Result<(), AppError> {
    judge_standing(
        crate::db::staff::standing(c, user_id)?,
        token,
        may_be_stale_password,
    )
}

/// Whether a token of an account in this standing (`None`: no such account) may make a call.
fn judge_standing(
    standing: Option<crate::db::staff::Standing>,
    token: &TokenStamp,
    may_be_stale_password: bool,
) -> Result<(), AppError> {
    match standing {
        // After a reset, until the password is changed, every token of the account (earlier
        // ones too) may only change it (SPEC: 403 `password_change_required`).
        Some(s) if s.active && s.must_change_password && may_be_stale_password => Ok(()),
        Some(s) if s.active && s.must_change_password => Err(password_change_required()),
        Some(s) if s.active && !s.accepts(token.version, token.id.as_deref()) => {
            Err(AppError::Unauthorized(
                "this token was issued before the password changed; sign in again".into(),
            ))
        }
        Some(s) if s.active => Ok(()),
        _ => Err(AppError::Unauthorized("this account is disabled".into())),
    }
}

/// A staff token's account version and its own id, as its claims carry them.
#[derive(Debug, Clone, Default)]
pub struct TokenStamp {
    pub version: i32,
    pub id: Option<String>,
}

impl TokenStamp {
    pub fn of(c: &Claims) -> TokenStamp {
        TokenStamp {
            version: c.tv.unwrap_or(0),
            id: c.jti.clone(),
        }
    }

    fn of_request(req: &HttpRequest) -> TokenStamp {
        claims(req).map(|c| TokenStamp::of(&c)).unwrap_or_default()
    }
}

pub fn password_change_required() -> AppError {
    AppError::rule(
        Code::PasswordChangeRequired,
        "This account's password was reset: choose a new one (POST /api/v1/me/password) first.",
    )
}

/// A staff caller built from its token alone (no database turn yet).
pub trait StaffCaller: Sized {
    /// May an account that must change its password make this call?
    const STALE_PASSWORD_OK: bool = false;
    fn build(req: &HttpRequest) -> Result<Self, AppError>;
    /// The staff account whose standing must be checked, if any (a device has none).
    fn account(&self) -> Option<String>;
}

/// Implements [`StaffCaller`] for `$name` and makes it an extractor that checks, before the
/// handler runs, that the staff user is still active and needs no password change.
macro_rules! staff_extractor {
    ($name:ident, $build:expr, $uid:expr) => {
        staff_extractor!($name, $build, $uid, false);
    };
    ($name:ident, $build:expr, $uid:expr, $stale_ok:expr) => {
        impl StaffCaller for $name {
            const STALE_PASSWORD_OK: bool = $stale_ok;
            fn build(req: &HttpRequest) -> Result<Self, AppError> {
                $build(req)
            }
            fn account(&self) -> Option<String> {
                $uid(self)
            }
        }
        impl FromRequest for $name {
            type Error = AppError;
            type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;
            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let built = <$name as StaffCaller>::build(req);
                let stamp = TokenStamp::of_request(req);
                let state = req.app_data::<web::Data<AppState>>().cloned();
                Box::pin(async move {
                    let v = built?;
                    if let Some(uid) = v.account() {
                        ensure_active(state, uid, stamp, Self::STALE_PASSWORD_OK).await?;
                    }
                    Ok(v)
                })
            }
        }
    };
}

/// A staff caller whose account is checked on the connection its use case runs on, so a hot
/// path (the till's redemption, a purchase stamp) takes one database turn instead of two. The
/// caller can only be had through [`Confirmed::confirm`], which runs the same check as the
/// plain extractor: a handler cannot forget it.
pub struct Confirmed<T> {
    caller: T,
    stamp: TokenStamp,
}

impl<T: StaffCaller> Confirmed<T> {
    pub fn confirm(self, c: &mut crate::db::DbConn) -> Result<T, AppError> {
        if let Some(uid) = self.caller.account() {
            check_standing(c, &uid, &self.stamp, T::STALE_PASSWORD_OK)?;
        }
        Ok(self.caller)
    }

    /// For a use case that reads the account's standing in its own first statement: the
    /// caller, and the check its use case must pass that standing to before anything else.
    pub fn deferred(self) -> (T, Standing) {
        let check = Standing {
            stamp: self.stamp,
            stale_ok: T::STALE_PASSWORD_OK,
        };
        (self.caller, check)
    }
}

/// The account check a use case runs on the standing it read itself ([`Confirmed::deferred`]).
#[must_use = "the caller's account must be checked"]
pub struct Standing {
    stamp: TokenStamp,
    stale_ok: bool,
}

impl Standing {
    /// The same check as [`Confirmed::confirm`], on a standing already read (`None`: no such
    /// account).
    pub fn judge(self, standing: Option<crate::db::staff::Standing>) -> Result<(), AppError> {
        judge_standing(standing, &self.stamp, self.stale_ok)
    }
}

impl<T: StaffCaller> FromRequest for Confirmed<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(T::build(req).map(|caller| Confirmed {
            caller,
            stamp: TokenStamp::of_request(req),
        }))
    }
}

/// Whether a request only reads (GET, HEAD): viewers may make those wherever officials may.
pub fn reads_only(req: &HttpRequest) -> bool {
    matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    )
}

/// The staff roles that may call an official's endpoint with this method: a `viewer` reads
/// every official page, report and export (GET, HEAD) and changes nothing (403 on writes).
fn official_roles(req: &HttpRequest) -> &'static [&'static str] {
    if reads_only(req) {
        &["official", "viewer"]
    } else {
        &["official"]
    }
}

/// A bureau official; on reading requests (GET, HEAD) also a viewer. Because the rule
/// follows the method, every official endpoint is readable by viewers and writable only by
/// officials without each handler having to say so.
#[derive(Debug, Clone)]
pub struct Official {
    pub user_id: crate::types::UserId,
}
staff_extractor!(
    Official,
    |req: &HttpRequest| role_claims(req, official_roles(req)).map(|c| Official {
        user_id: c.sub.into()
    }),
    |v: &Official| Some(v.user_id.to_string())
);

/// An official or a viewer, whatever the method: for reads sent as POST (none yet) or
/// streams. Never use it for a change.
#[derive(Debug, Clone)]
pub struct OfficialRead {
    pub user_id: crate::types::UserId,
    pub viewer: bool,
}
staff_extractor!(
    OfficialRead,
    |req: &HttpRequest| role_claims(req, &["official", "viewer"]).map(|c| OfficialRead {
        viewer: c.role == "viewer",
        user_id: c.sub.into()
    }),
    |v: &OfficialRead| Some(v.user_id.to_string())
);

/// Any staff login (official, viewer, merchant owner or cashier), even one that must change
/// its password: only `POST /me/password` takes it.
#[derive(Debug, Clone)]
pub struct StaffAccount {
    pub user_id: crate::types::UserId,
    pub role: String,
    /// The token's own id (`jti`): the token that changes the password keeps working.
    pub token_id: Option<String>,
}
staff_extractor!(
    StaffAccount,
    |req: &HttpRequest| role_claims(req, &["official", "viewer", "merchant"]).map(|c| {
        StaffAccount {
            user_id: c.sub.into(),
            role: c.role,
            token_id: c.jti,
        }
    }),
    |v: &StaffAccount| Some(v.user_id.to_string()),
    true
);

/// A merchant's user (owner or cashier), bound to one merchant.
#[derive(Debug, Clone)]
pub struct MerchantUser {
    pub user_id: crate::types::UserId,
    pub merchant_id: crate::types::MerchantId,
    pub owner: bool,
}
staff_extractor!(
    MerchantUser,
    |req: &HttpRequest| {
        let c = role_claims(req, &["merchant"])?;
        Ok::<_, AppError>(MerchantUser {
            user_id: c.sub.into(),
            merchant_id: c
                .mid
                .map(crate::types::MerchantId::from)
                .ok_or_else(|| AppError::Unauthorized("the token is not valid".into()))?,
            owner: c.mrole.as_deref() != Some("cashier"),
        })
    },
    |v: &MerchantUser| Some(v.user_id.to_string())
);

/// A merchant's owner: everything of the merchant, not only the till.
#[derive(Debug, Clone)]
pub struct MerchantOwner(pub MerchantUser);
impl FromRequest for MerchantOwner {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = MerchantUser::from_request(req, &mut Payload::None);
        Box::pin(async move {
            let m = user.await?;
            if m.owner {
                Ok(MerchantOwner(m))
            } else {
                Err(AppError::Forbidden(
                    "only the merchant's owner may do this".into(),
                ))
            }
        })
    }
}

/// A visitor's token must name a visitor the database holds (after a restore it may not):
/// otherwise 401. Known visitors are remembered for a minute, so hot paths pay no extra query.
pub async fn ensure_visitor(
    state: Option<web::Data<AppState>>,
    visitor_id: crate::types::VisitorId,
) -> Result<(), AppError> {
    let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    if state.wallets.known.contains_key(&visitor_id) {
        return Ok(());
    }
    let id = visitor_id.clone();
    if state
        .db(move |c| crate::db::visitors::exists(c, &id))
        .await?
    {
        state.wallets.known.insert(visitor_id, ());
        Ok(())
    } else {
        Err(crate::db::verification::unknown_visitor())
    }
}

/// An anonymous visitor with a visitor token.
#[derive(Debug, Clone)]
pub struct VisitorAuth {
    pub visitor_id: crate::types::VisitorId,
    pub ref_: Option<String>,
}
impl VisitorAuth {
    fn of_token(req: &HttpRequest) -> Result<Self, AppError> {
        role_claims(req, &["visitor"]).map(|c| VisitorAuth {
            visitor_id: c.sub.into(),
            ref_: c.rf,
        })
    }
}

/// A visitor's token, its visitor not looked up first: for a use case whose own statement
/// refuses a visitor the database does not hold with the same 401 (the check-in), so its
/// hot path pays no query and no hop to the blocking pool for it.
#[derive(Debug, Clone)]
pub struct VisitorToken(pub VisitorAuth);
impl FromRequest for VisitorToken {
    type Error = AppError;
    type Future = futures_util::future::Ready<Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        futures_util::future::ready(VisitorAuth::of_token(req).map(VisitorToken))
    }
}

impl FromRequest for VisitorAuth {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let built = VisitorAuth::of_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let v = built?;
            // A token whose visitor is gone (after a restore) is refused, never a fault.
            ensure_visitor(state, v.visitor_id.clone()).await?;
            Ok(v)
        })
    }
}

/// An official or a point's display device.
#[derive(Debug, Clone)]
pub enum OfficialOrDevice {
    Official(String),
    Device { device_id: String, point_id: String },
}
staff_extractor!(
    OfficialOrDevice,
    |req: &HttpRequest| {
        let roles: &[&str] = if reads_only(req) {
            &["official", "viewer", "device"]
        } else {
            &["official", "device"]
        };
        let c = role_claims(req, roles)?;
        Ok::<_, AppError>(if c.role != "device" {
            OfficialOrDevice::Official(c.sub)
        } else {
            OfficialOrDevice::Device {
                device_id: c.sub,
                point_id: c.pid.unwrap_or_default(),
            }
        })
    },
    |v: &OfficialOrDevice| match v {
        OfficialOrDevice::Official(id) => Some(id.clone()),
        OfficialOrDevice::Device { .. } => None,
    }
);

/// Anyone; officials and viewers are told apart (they also see drafts). A bureau token of
/// a disabled account, or of one that must change its password, is refused as elsewhere.
#[derive(Debug, Clone)]
pub struct MaybeOfficial(pub bool);
impl FromRequest for MaybeOfficial {
    type Error = AppError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, AppError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bureau = claims(req)
            .ok()
            .filter(|c| c.role == "official" || c.role == "viewer")
            .map(|c| (TokenStamp::of(&c), c.sub));
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            match bureau {
                Some((stamp, uid)) => ensure_active(state, uid, stamp, false)
                    .await
                    .map(|_| MaybeOfficial(true)),
                None => Ok(MaybeOfficial(false)),
            }
        })
    }
}

/// The token's claims when its role is one of `roles` (for extractors kept in other modules).
pub fn claims_with_roles(req: &HttpRequest, roles: &[&str]) -> Result<Claims, AppError> {
    role_claims(req, roles)
}
