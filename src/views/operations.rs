//! Answers of the operations on visitors and display devices.

use serde_json::{json, Value};

use crate::domain::time::{opt_rfc3339, to_rfc3339};

/// A visitor's ban state: (banned_at, reason, banned_by).
pub fn ban(id: &str, b: &crate::db::operations::Ban) -> Value {
    json!({
        "id": id,
        "banned": b.0.is_some(),
        "banned_at": opt_rfc3339(b.0),
        "ban_reason": b.1,
        "banned_by": b.2,
    })
}

/// A display device of a rotating point.
pub fn device(
    id: &str,
    created: chrono::NaiveDateTime,
    revoked: Option<chrono::NaiveDateTime>,
) -> Value {
    json!({
        "id": id,
        "created_at": to_rfc3339(created),
        "revoked_at": opt_rfc3339(revoked),
        "active": revoked.is_none(),
    })
}
