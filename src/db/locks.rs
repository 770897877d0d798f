//! Transaction-scoped named locks. On PostgreSQL an advisory lock held until the transaction
//! ends; on SQLite nothing to do, since a write transaction (`BEGIN IMMEDIATE`) already lets
//! one writer in at a time.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::DbConn;
use crate::error::AppError;

/// The advisory lock key of a name: the first 8 bytes of its SHA-256.
pub fn key(name: &str) -> i64 {
    let d = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// Waits for and takes the lock `name` until the current transaction ends.
pub fn xact(conn: &mut DbConn, name: &str) -> Result<(), AppError> {
    if let DbConn::Pg(c) = conn {
        crate::fixed!("SELECT pg_advisory_xact_lock(?)")
            .bind::<diesel::sql_types::BigInt, _>(key(name))
            .execute(c)?;
    }
    Ok(())
}
