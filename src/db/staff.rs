//! Staff logins (officials, viewers, merchants' owners and cashiers): listing, creating,
//! disabling, password resets and changes, and the lockout after repeated wrong passwords,
//! counted in the database so every server process shares one allowance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::User;
use super::schema::{merchants, users};
use super::DbConn;
use crate::domain::staff::username_key;
pub use crate::domain::staff::{LOCK_AFTER, LOCK_FOR};
use crate::domain::time::now;
use crate::error::{AppError, Code};
use crate::types::{MerchantId, MerchantRole, UserId, UserRole};

pub fn username_taken() -> AppError {
    AppError::rule(
        Code::UsernameTaken,
        "This username is taken (usernames are compared without regard to case).",
    )
}

/// One staff login as officials see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Account {
    pub id: UserId,
    pub username: String,
    pub role: UserRole,
    pub merchant_id: Option<MerchantId>,
    pub merchant_role: Option<MerchantRole>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub must_change_password: bool,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
}

/// Every login, with its merchant's names (JSON text) where it has one.
pub fn list(conn: &mut DbConn) -> Result<Vec<(Account, Option<String>)>, AppError> {
    let accounts: Vec<Account> = users::table.select(Account::as_select()).load(conn)?;
    let names: std::collections::HashMap<String, String> = merchants::table
        .select((merchants::id, merchants::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(accounts
        .into_iter()
        .map(|a| {
            let n = a
                .merchant_id
                .as_ref()
                .and_then(|m| names.get(m.as_str()).cloned());
            (a, n)
        })
        .collect())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Account, AppError> {
    users::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such staff account".into()))
}

pub fn find_by_name(conn: &mut DbConn, username: &str) -> Result<Option<Account>, AppError> {
    Ok(users::table
        .filter(users::username_key.eq(username_key(username)))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

pub fn merchant_exists(conn: &mut DbConn, id: &str) -> Result<bool, AppError> {
    Ok(merchants::table.find(id).count().get_result::<i64>(conn)? > 0)
}

/// What every staff request checks: the account exists, is active, and whether it must
/// change its password first. Read from the database each time (no cache), so a change
/// made through any process holds at the next request everywhere.
/// Where a staff account stands: whether it is active, must change its password, and which of
/// its tokens still count.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Standing {
    pub active: bool,
    pub must_change_password: bool,
    /// Tokens carrying an older version were issued before a password reset or change.
    pub token_version: i32,
    /// The token (`jti`) that changed the account's own password: it alone survives the change.
    pub kept_token: Option<String>,
}

impl Standing {
    /// Whether a token of this account (its version and id) still counts.
    pub fn accepts(&self, version: i32, token_id: Option<&str>) -> bool {
        version == self.token_version
            || (token_id.is_some() && token_id == self.kept_token.as_deref())
    }
}

pub fn standing(conn: &mut DbConn, id: &str) -> Result<Option<Standing>, AppError> {
    Ok(users::table
        .find(id)
        .select(Standing::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_active(conn: &mut DbConn, id: &str, active: bool) -> Result<bool, AppError> {
    let mut changes = diesel::update(users::table.find(id))
        .set(users::active.eq(active))
        .execute(conn)?;
    if active {
        // Enabling also lifts a lockout.
        changes = diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    Ok(changes == 1)
}

/// A new password hash; `must_change` after a reset, cleared after the owner's own change.
/// Either way the lockout is lifted and every token issued before is refused from now on
/// (the token version moves on), except `kept_token`: the one that made the owner's own change.
pub fn set_password(
    conn: &mut DbConn,
    id: &str,
    hash: &str,
    must_change: bool,
    kept_token: Option<&str>,
) -> Result<bool, AppError> {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::must_change_password.eq(must_change),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::token_version.eq(users::token_version + 1),
            users::kept_token.eq(kept_token),
        ))
        .execute(conn)?
        == 1)
}

/// The same password stored under today's hashing parameters in place of a hash made with
/// earlier ones, if the stored hash is still the one that was checked. Nothing else changes:
/// the account's tokens stay valid.
pub fn upgrade_hash(conn: &mut DbConn, id: &str, old: &str, new: &str) -> Result<bool, AppError> {
    Ok(
        diesel::update(users::table.find(id).filter(users::password_hash.eq(old)))
            .set(users::password_hash.eq(new))
            .execute(conn)?
            == 1,
    )
}

pub fn password_hash(conn: &mut DbConn, id: &str) -> Result<String, AppError> {
    Ok(users::table
        .find(id)
        .select(users::password_hash)
        .first(conn)?)
}

pub fn find_user(conn: &mut DbConn, id: &str) -> Result<User, AppError> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such staff account".into()))
}

/// When the account's lock ends (`None`: never locked, or the count was started again).
pub fn locked_until(conn: &mut DbConn, id: &str) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(users::table
        .find(id)
        .select(users::locked_until)
        .first(conn)?)
}

/// The outcome of asking for one password attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Go ahead and check the password; the attempt counts as a failure until
    /// [`attempt_succeeded`] clears the count (or [`attempt_failed`] confirms it).
    Allowed,
    /// Locked; try again in this many seconds.
    Locked(u64),
}

/// Counts one password attempt before the password is checked, so attempts racing on any
/// number of processes never get more than the allowance of password checks: each takes its
/// turn by a conditional update of the counter it read. When the allowance is taken by
/// attempts still being checked, a further one waits for their outcome (a right password
/// starts the count again; wrong ones lock the account) rather than guessing.
pub fn begin_attempt(conn: &mut DbConn, id: &str) -> Result<Attempt, AppError> {
    let started = std::time::Instant::now();
    loop {
        let (failed, locked): (i32, Option<NaiveDateTime>) = users::table
            .find(id)
            .select((users::failed_logins, users::locked_until))
            .first(conn)?;
        let t = now();
        if let Some(l) = locked {
            if l > t {
                let secs = (l - t).num_milliseconds().max(0) as u64;
                return Ok(Attempt::Locked(secs.div_ceil(1000).max(1)));
            }
        }
        // An expired lock starts a fresh count.
        let failed_now = if locked.is_some() { 0 } else { failed };
        if failed_now >= LOCK_AFTER {
            // The allowance is in flight: wait for those checks to finish.
            if started.elapsed() > std::time::Duration::from_secs(10) {
                return Ok(Attempt::Locked(1));
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
            continue;
        }
        let target = users::table
            .find(id)
            .filter(users::failed_logins.eq(failed));
        let next = (
            users::failed_logins.eq(failed_now + 1),
            users::locked_until.eq(None::<NaiveDateTime>),
        );
        let changed = match locked {
            Some(l) => diesel::update(target.filter(users::locked_until.eq(l)))
                .set(next)
                .execute(conn)?,
            None => diesel::update(target.filter(users::locked_until.is_null()))
                .set(next)
                .execute(conn)?,
        };
        if changed == 1 {
            return Ok(Attempt::Allowed);
        }
    }
}

/// A wrong password: once the allowance is used up, the lock starts.
pub fn attempt_failed(conn: &mut DbConn, id: &str) -> Result<(), AppError> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::failed_logins.ge(LOCK_AFTER))
            .filter(users::locked_until.is_null()),
    )
    .set(users::locked_until.eq(Some(now() + LOCK_FOR)))
    .execute(conn)?;
    Ok(())
}

/// The right password: the count starts again.
pub fn attempt_succeeded(conn: &mut DbConn, id: &str) -> Result<(), AppError> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}
