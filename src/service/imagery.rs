//! Picture use cases: campaign covers and shop photos.

use serde_json::json;

use crate::db::audit::Actor;
use crate::db::images::{self, Stored};
use crate::db::{catalog, write_tx, DbConn};
use crate::domain::imagery::Prepared;
use crate::error::AppError;
use crate::types::{AuditAction, AuditEntity};

/// The id of the picture's owner (`campaign`: by id or slug; otherwise a merchant).
fn owner(conn: &mut DbConn, owner_kind: &str, key: &str) -> Result<String, AppError> {
    Ok(if owner_kind == "campaign" {
        catalog::find_campaign(conn, key)?.id.into_string()
    } else {
        catalog::find_merchant(conn, &key.into())?.id.into_string()
    })
}

/// Stores a prepared picture as its owner's (replacing any earlier one). Returns the owner's
/// id.
pub fn upload(
    conn: &mut DbConn,
    actor: &Actor,
    owner_kind: &str,
    key: &str,
    prepared: &Prepared,
) -> Result<String, AppError> {
    write_tx(conn, |c| {
        let owner_id = owner(c, owner_kind, key)?;
        images::put(c, owner_kind, &owner_id, prepared)?;
        super::audit_change(
            c,
            actor,
            AuditAction::UploadImage,
            AuditEntity::parse(owner_kind)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown owner {owner_kind}")))?,
            &owner_id,
            None::<&serde_json::Value>,
            Some(&json!({"etag": prepared.etag, "bytes": prepared.jpeg.len()})),
        )?;
        Ok(owner_id)
    })
}

/// The owner's picture, if it has one.
pub fn picture(conn: &mut DbConn, owner_kind: &str, key: &str) -> Result<Option<Stored>, AppError> {
    let owner_id = owner(conn, owner_kind, key)?;
    images::get(conn, owner_kind, &owner_id)
}
