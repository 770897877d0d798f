//! Staff use cases: signing in, listing and creating logins, disabling and enabling them,
//! resetting a forgotten password, and each login changing its own, with the lockout after
//! repeated wrong passwords.
//!
//! Hashing and checking passwords is slow on purpose (and takes one turn at a time per
//! process), so the use cases that do it take the pool and hold no database connection while
//! they hash: they are blocking functions for the blocking thread pool.

use crate::db::audit::Actor;
use crate::db::models::User;
use crate::db::staff::{self as store, Attempt};
use crate::db::{self, catalog, write_tx, DbConn, DbPool};
use crate::domain::password_rules;
use crate::domain::staff::{self as rules, check_new_login};
use crate::domain::time::now;
use crate::error::{AppError, Code};
use crate::service::passwords;
use crate::types::{AuditAction, AuditEntity, MerchantId, StaffRole, UserId, UserRole};
use crate::views::staff::{StaffAccount, TemporaryPassword};

/// Runs `f` on a connection of the pool, given back before the caller goes on; a connection
/// that saw the database go away is not reused.
fn with_conn<T>(
    pool: &DbPool,
    f: impl FnOnce(&mut DbConn) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut conn = db::get(pool)?;
    let r = f(&mut conn);
    if matches!(r, Err(AppError::Unavailable(_))) {
        db::discard(&mut conn);
    }
    r
}

/// The refusal of a password that breaks the rules, naming the field.
pub fn weak_password(field: &str, message: String) -> AppError {
    AppError::rule_with(
        Code::WeakPassword,
        message.clone(),
        serde_json::json!({"errors": [{"field": field, "message": message}]}),
    )
}

/// A staff login that passed: the account, and whether it must change its password first.
pub struct SignedIn {
    pub user: User,
    pub must_change_password: bool,
    /// The account's token version, for the token this login gets.
    pub token_version: i32,
}

/// Signs a staff login in. A locked account says for how long (429) before anything else;
/// `throttle` (the caller's per-account rate limit) is asked next; then each attempt on an
/// existing account is counted in the database before the password is checked, so repeated
/// wrong passwords lock it on every process at once. Unknown usernames cost the same work,
/// so timing does not reveal who exists; a disabled account is refused like a wrong password.
pub fn login(
    pool: &DbPool,
    username: &str,
    password: &str,
    throttle: impl FnOnce() -> Result<(), AppError>,
) -> Result<SignedIn, AppError> {
    let name = username.to_string();
    let (user, locked) = with_conn(pool, |c| {
        let u = catalog::find_user_by_name(c, &name)?;
        let locked = match &u {
            Some(u) => rules::locked_for(store::locked_until(c, &u.id)?, now()),
            None => None,
        };
        Ok((u, locked))
    })?;
    if let Some(secs) = locked {
        tracing::info!(%username, "login refused: account locked");
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    throttle()?;
    if let Some(u) = &user {
        if let Attempt::Locked(secs) = with_conn(pool, |c| store::begin_attempt(c, &u.id))? {
            tracing::info!(%username, "login refused: account locked");
            return Err(AppError::RateLimited {
                retry_after_secs: secs,
            });
        }
    }
    let verified = match user {
        Some(u) if passwords::verify(password, &u.password_hash) => Ok(u),
        Some(u) => Err(Some(u.id)),
        None => {
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let _ = passwords::verify(
                password,
                DUMMY.get_or_init(|| passwords::hash("not-a-user")),
            );
            Err(None)
        }
    };
    let u = match verified {
        Ok(u) => u,
        Err(id) => {
            if let Some(id) = id {
                with_conn(pool, |c| store::attempt_failed(c, &id))?;
            }
            tracing::info!(%username, "login refused");
            return Err(AppError::InvalidCredentials);
        }
    };
    let standing = with_conn(pool, |c| {
        store::attempt_succeeded(c, &u.id)?;
        store::standing(c, &u.id)
    })?;
    let Some(standing) = standing.filter(|s| s.active) else {
        tracing::info!(%username, "login refused: account disabled");
        return Err(AppError::InvalidCredentials);
    };
    if passwords::outdated(&u.password_hash) {
        let new = passwords::hash(password);
        match with_conn(pool, |c| {
            store::upgrade_hash(c, &u.id, &u.password_hash, &new)
        }) {
            Ok(true) => tracing::info!(%username, "password hash upgraded"),
            // The password was changed meanwhile: its new hash is today's.
            Ok(false) => {}
            Err(e) => tracing::warn!(%username, error = %e, "password hash not upgraded"),
        }
    }
    Ok(SignedIn {
        user: u,
        must_change_password: standing.must_change_password,
        token_version: standing.token_version,
    })
}

/// Every login, officials first, then viewers, merchants' owners and cashiers; by name
/// within each.
pub fn list(conn: &mut DbConn) -> Result<Vec<StaffAccount>, AppError> {
    let mut rows = store::list(conn)?;
    let rank = |a: &store::Account| StaffRole::of(a.role, a.merchant_role) as u8;
    rows.sort_by(|(a, _), (b, _)| {
        (rank(a), a.username.to_ascii_lowercase()).cmp(&(rank(b), b.username.to_ascii_lowercase()))
    });
    Ok(rows
        .iter()
        .map(|(a, n)| StaffAccount::of(a, n.as_deref()))
        .collect())
}

/// Creates a login for `role` (a merchant's login names its merchant) with the password its
/// holder chose, which must pass the password rules.
pub fn create(
    pool: &DbPool,
    actor: &UserId,
    username: &str,
    password: &str,
    role: &str,
    merchant_id: Option<String>,
) -> Result<StaffAccount, AppError> {
    let username = username.trim().to_string();
    let merchant_id = merchant_id
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    let role =
        check_new_login(&username, role, merchant_id.as_deref()).map_err(AppError::Validation)?;
    password_rules::check(password, &username).map_err(|m| weak_password("password", m))?;
    let (role, merchant_role) = role.stored();
    let u = User {
        id: UserId::generate(),
        username,
        password_hash: passwords::hash(password),
        role,
        merchant_id: merchant_id.map(MerchantId::from),
        merchant_role,
        active: true,
        created_at: now(),
    };
    with_conn(pool, |c| {
        write_tx(c, |c| {
            if let Some(m) = &u.merchant_id {
                if !store::merchant_exists(c, m)? {
                    return Err(AppError::field("merchant_id", "no such merchant"));
                }
            }
            catalog::insert_user(c, &u)?;
            let out = StaffAccount::of(&store::find(c, &u.id)?, None);
            super::audit_change::<(), _>(
                c,
                &Actor::official(actor),
                AuditAction::Create,
                AuditEntity::Staff,
                &u.id,
                None,
                Some(&out),
            )?;
            Ok(out)
        })
    })
}

/// Disables a login (its tokens are refused at its next request on every process) or enables
/// it again (which also lifts a lockout). An official cannot disable their own account.
pub fn set_active(
    conn: &mut DbConn,
    actor: &UserId,
    id: &UserId,
    active: bool,
) -> Result<StaffAccount, AppError> {
    if !active && id == actor {
        return Err(AppError::rule(
            Code::CannotDisableSelf,
            "An official cannot disable their own account; ask another official.",
        ));
    }
    write_tx(conn, |c| {
        let before = StaffAccount::of(&store::find(c, id)?, None);
        store::set_active(c, id, active)?;
        let after = StaffAccount::of(&store::find(c, id)?, None);
        super::audit_change(
            c,
            &Actor::official(actor),
            if active {
                AuditAction::Enable
            } else {
                AuditAction::Disable
            },
            AuditEntity::Staff,
            id,
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

/// Gives a login a temporary password, shown once: it must choose a new one before anything
/// else. Every token issued before is refused from then on.
pub fn reset_password(
    pool: &DbPool,
    actor: &UserId,
    id: &UserId,
) -> Result<TemporaryPassword, AppError> {
    let temporary = password_rules::temporary();
    let hash = passwords::hash(&temporary);
    let account = with_conn(pool, |c| {
        write_tx(c, |c| {
            let a = store::find(c, id)?;
            store::set_password(c, id, &hash, true, None)?;
            super::audit_change::<(), _>(
                c,
                &Actor::official(actor),
                AuditAction::ResetPassword,
                AuditEntity::Staff,
                id,
                None,
                Some(&serde_json::json!({"must_change_password": true})),
            )?;
            Ok(a)
        })
    })?;
    Ok(TemporaryPassword {
        id: account.id,
        username: account.username,
        temporary_password: temporary,
        must_change_password: true,
    })
}

/// A login changes its own password: the new one must pass the rules and differ from the
/// current one, and the current one must be right (wrong ones count towards the lockout).
/// Every other token of the account is refused from then on; `token_id`, the one that made
/// the change, keeps working.
pub fn change_password(
    pool: &DbPool,
    id: &UserId,
    role: UserRole,
    token_id: Option<&str>,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let (hash, account) = with_conn(pool, |c| {
        Ok((store::password_hash(c, id)?, store::find(c, id)?))
    })?;
    password_rules::check(new, &account.username).map_err(|m| weak_password("new_password", m))?;
    if new == current {
        return Err(weak_password(
            "new_password",
            "The new password must differ from the current one.".into(),
        ));
    }
    if let Attempt::Locked(secs) = with_conn(pool, |c| store::begin_attempt(c, id))? {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    if !passwords::verify(current, &hash) {
        with_conn(pool, |c| store::attempt_failed(c, id))?;
        return Err(AppError::InvalidCredentials);
    }
    let new_hash = passwords::hash(new);
    with_conn(pool, |c| {
        write_tx(c, |c| {
            store::set_password(c, id, &new_hash, false, token_id)?;
            super::audit_change::<(), ()>(
                c,
                &Actor {
                    id: Some(id.to_string()),
                    role: role.as_str(),
                },
                AuditAction::ChangePassword,
                AuditEntity::Staff,
                id,
                None,
                None,
            )
        })
    })
}

/// The role a staff login has in the API.
pub fn api_role(u: &User) -> StaffRole {
    StaffRole::of(u.role, u.merchant_role)
}
