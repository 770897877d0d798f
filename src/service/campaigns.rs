//! Campaign use cases.

use serde_json::json;

use crate::db::audit::Actor;
use crate::db::{catalog, write_tx, DbConn};
use crate::error::{AppError, Code};

/// Moves a campaign from one of `from` to `to` (publish, end). Asking again for the state it
/// is already in is not an error. Returns the campaign's id.
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    from: &[&str],
    to: &str,
) -> Result<String, AppError> {
    write_tx(conn, |conn| {
        let c = catalog::find_campaign(conn, key)?;
        if c.status == to {
            return Ok(c.id);
        }
        if !catalog::set_campaign_status(conn, &c.id, from, to)? {
            return Err(AppError::rule(
                Code::InvalidState,
                format!("A {} campaign cannot become {to}.", c.status),
            ));
        }
        super::audit_change(
            conn,
            actor,
            to,
            "campaign",
            &c.id,
            Some(&json!({"status": c.status})),
            Some(&json!({"status": to})),
        )?;
        Ok(c.id)
    })
}
