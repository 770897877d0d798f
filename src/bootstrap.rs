//! The first official account of an empty database: `admin`, with the operator's password.

use diesel::prelude::*;

use crate::config::Settings;
use crate::db::{catalog, models::User, DbPool};
use crate::service::passwords;

pub fn ensure_admin(pool: &DbPool, settings: &Settings) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let officials = catalog::count_officials(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    if officials > 0 {
        return Ok(());
    }
    let Some(pw) = &settings.admin_password else {
        anyhow::bail!("the database has no official account: set BAIRRO_ADMIN_PASSWORD (or --admin-password) for the first official, 'admin'");
    };
    if pw.expose().chars().count() < 10 {
        anyhow::bail!("BAIRRO_ADMIN_PASSWORD must have at least 10 characters");
    }
    let u = User {
        id: catalog::new_id().into(),
        username: "admin".into(),
        password_hash: passwords::hash(pw.expose()),
        role: crate::types::UserRole::Official,
        merchant_id: None,
        merchant_role: None,
        active: true,
        created_at: crate::domain::time::now(),
    };
    conn.transaction(|c| catalog::insert_user(c, &u))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!("created the first official account 'admin'");
    Ok(())
}
