//! `bairro staff …`: account rescue at the command line, for operators who have lost every
//! official login (or need to cut one off while the web app is out of reach). Works on the
//! database directly, whether or not a server is running; every change is audited as `system`.

use clap::{Args, Subcommand};
use serde_json::json;

use crate::config::DbArgs;
use crate::db::audit::{self, Actor};
use crate::db::models::User;
use crate::db::{catalog, staff, DbConn};
use crate::domain::password_rules;
use crate::error::AppError;
use crate::service::passwords;
use crate::types::{AuditAction, AuditEntity};

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Create a staff login. Without --password a temporary one is printed, to be changed at
    /// the first sign-in.
    Create(CreateArgs),
    /// Disable a login: its tokens are refused at their next request, on every server.
    Disable(NameArgs),
    /// Enable a login again (and lift a lockout after wrong passwords).
    Enable(NameArgs),
    /// Give a login a new temporary password (printed once), to be changed at the next
    /// sign-in; also lifts a lockout.
    ResetPassword(NameArgs),
    /// List every staff login.
    List(DbArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Username: 3–64 letters, digits, '-', '_' or '.' (compared without regard to case).
    #[arg(long)]
    pub username: String,
    /// official, viewer, merchant_owner or merchant_cashier.
    #[arg(long, default_value = "official")]
    pub role: String,
    /// The merchant of a merchant_owner or merchant_cashier login.
    #[arg(long)]
    pub merchant_id: Option<String>,
    /// The password (else a temporary one is generated). Prefer the environment variable, so
    /// it does not stay in the shell history.
    #[arg(long, env = "BAIRRO_STAFF_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// The login's username (any case).
    #[arg(long)]
    pub username: String,
    #[command(flatten)]
    pub db: DbArgs,
}

fn open(db: &DbArgs) -> anyhow::Result<crate::db::PooledConn> {
    let (pool, _) = crate::db::connect(&db.database_url, Some(1))?;
    let mut conn = pool.get()?;
    crate::db::migrate(&mut conn)?;
    Ok(conn)
}

fn find(conn: &mut DbConn, username: &str) -> anyhow::Result<staff::Account> {
    staff::find_by_name(conn, username)
        .map_err(err)?
        .ok_or_else(|| anyhow::anyhow!("no staff login named '{username}'"))
}

fn err(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.body()["detail"].as_str().unwrap_or("failed"))
}

pub fn run(cmd: StaffCommand) -> anyhow::Result<()> {
    match cmd {
        StaffCommand::Create(a) => create(a),
        StaffCommand::Disable(a) => set_active(a, false),
        StaffCommand::Enable(a) => set_active(a, true),
        StaffCommand::ResetPassword(a) => reset(a),
        StaffCommand::List(db) => {
            let mut conn = open(&db)?;
            for a in crate::service::staff::list(&mut conn).map_err(err)? {
                println!(
                    "{}\t{}\t{}{}{}",
                    a.username,
                    a.role,
                    if a.disabled { "disabled" } else { "active" },
                    if a.must_change_password {
                        ", must change password"
                    } else {
                        ""
                    },
                    if a.locked_until.is_some() {
                        ", locked"
                    } else {
                        ""
                    },
                );
            }
            Ok(())
        }
    }
}

fn create(a: CreateArgs) -> anyhow::Result<()> {
    let username = a.username.trim().to_string();
    if !crate::domain::staff::valid_username(&username) {
        anyhow::bail!("the username must be 3–64 letters, digits, '-', '_' or '.'");
    }
    let (role, merchant_role) = crate::types::StaffRole::parse(&a.role)
        .ok_or_else(|| {
            anyhow::anyhow!("--role must be one of {}", crate::types::StaffRole::list())
        })?
        .stored();
    if (role == crate::types::UserRole::Merchant) != a.merchant_id.is_some() {
        anyhow::bail!("--merchant-id is required for merchant logins, and only for them");
    }
    let (password, temporary) = match a.password {
        Some(p) => {
            password_rules::check(&p, &username).map_err(anyhow::Error::msg)?;
            (p, false)
        }
        None => (password_rules::temporary(), true),
    };
    let mut conn = open(&a.db)?;
    let u = User {
        id: catalog::new_id().into(),
        username: username.clone(),
        password_hash: passwords::hash(&password),
        role,
        merchant_id: a.merchant_id.clone().map(Into::into),
        merchant_role,
        active: true,
        created_at: crate::domain::time::now(),
    };
    crate::db::write_tx(&mut conn, |c| {
        if let Some(m) = &u.merchant_id {
            if !staff::merchant_exists(c, m)? {
                return Err(AppError::NotFound(format!("no merchant '{m}'")));
            }
        }
        catalog::insert_user(c, &u)?;
        if temporary {
            staff::set_password(c, &u.id, &u.password_hash, true, None)?;
        }
        audit::record(
            c,
            &Actor::system(),
            AuditAction::Create,
            AuditEntity::Staff,
            &u.id,
            None,
            Some(&json!({"username": u.username, "role": a.role, "via": "command line"})),
        )
    })
    .map_err(err)?;
    println!("created {} login '{username}'", a.role);
    if temporary {
        println!("temporary password (shown once; to be changed at the first sign-in): {password}");
    }
    Ok(())
}

fn set_active(a: NameArgs, active: bool) -> anyhow::Result<()> {
    let mut conn = open(&a.db)?;
    let acc = find(&mut conn, &a.username)?;
    crate::db::write_tx(&mut conn, |c| {
        staff::set_active(c, &acc.id, active)?;
        audit::record(
            c,
            &Actor::system(),
            if active {
                AuditAction::Enable
            } else {
                AuditAction::Disable
            },
            AuditEntity::Staff,
            &acc.id,
            Some(&json!({"disabled": !acc.active})),
            Some(&json!({"disabled": !active, "via": "command line"})),
        )
    })
    .map_err(err)?;
    println!(
        "{} '{}'",
        if active { "enabled" } else { "disabled" },
        acc.username
    );
    Ok(())
}

fn reset(a: NameArgs) -> anyhow::Result<()> {
    let mut conn = open(&a.db)?;
    let acc = find(&mut conn, &a.username)?;
    let temporary = password_rules::temporary();
    let hash = passwords::hash(&temporary);
    crate::db::write_tx(&mut conn, |c| {
        staff::set_password(c, &acc.id, &hash, true, None)?;
        audit::record(
            c,
            &Actor::system(),
            AuditAction::ResetPassword,
            AuditEntity::Staff,
            &acc.id,
            None,
            Some(&json!({"must_change_password": true, "via": "command line"})),
        )
    })
    .map_err(err)?;
    println!("new temporary password for '{}' (shown once; to be changed at the next sign-in): {temporary}", acc.username);
    if !acc.active {
        println!(
            "note: this login is disabled; `bairro staff enable --username {}` turns it on",
            acc.username
        );
    }
    Ok(())
}
