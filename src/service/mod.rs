//! The use cases: one function per operation of the product.
//!
//! A use case owns its transaction (`db::write_tx`), applies the rules of `domain/`, reads and
//! writes rows through `db/`, writes the audit row, counts its business metric
//! (`telemetry::count`), and returns a typed result (usually a view of `views/`) or an
//! [`AppError`] naming a [`crate::error::Code`]. It never sees HTTP: handlers in `http/`
//! extract and authorise, call one use case on the blocking pool (`AppState::db`), and
//! serialise what it returns. `db/` only reads and writes rows.
//!
//! `scripts/check-architecture` keeps the layers apart: `http → service → views, db → domain`.

pub mod bulk;
pub mod campaigns;
pub mod checkins;
pub mod coupons;
pub mod draws;
pub mod imagery;
pub mod merchants;
pub mod operations;
pub mod passwords;
pub mod payouts;
pub mod pledges;
pub mod points;
pub mod purchases;
pub mod redemptions;
pub mod settlements;
pub mod signals;
pub mod sources;
pub mod staff;
pub mod stats;
pub mod verification;
pub mod visitors;

use serde::Serialize;

use crate::db::audit::{self, Actor};
use crate::db::DbConn;
use crate::error::AppError;
use crate::types::{AuditAction, AuditEntity};

/// Writes the audit row of one change: who did `action` to which `entity`, with the state
/// before and after (any serialisable view; `None` for creation or deletion).
pub fn audit_change<B: Serialize, A: Serialize>(
    conn: &mut DbConn,
    actor: &Actor,
    action: AuditAction,
    entity: AuditEntity,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), AppError> {
    let value = |v: Option<serde_json::Result<serde_json::Value>>| {
        v.transpose()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("audit value: {e}")))
    };
    let before = value(before.map(serde_json::to_value))?;
    let after = value(after.map(serde_json::to_value))?;
    audit::record(
        conn,
        actor,
        action,
        entity,
        entity_id,
        before.as_ref(),
        after.as_ref(),
    )
}
