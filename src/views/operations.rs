//! Answers of the operations on visitors and display devices.

use serde::Serialize;
use serde_json::Value;

use crate::domain::time::{opt_rfc3339, to_rfc3339};

/// A visitor's ban state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BanView {
    /// The visitor's id.
    pub id: String,
    pub banned: bool,
    pub banned_at: Option<String>,
    pub ban_reason: Option<String>,
    /// The official who banned the visitor.
    pub banned_by: Option<String>,
}

/// A visitor's ban state: (banned_at, reason, banned_by).
pub fn ban(id: &str, b: &crate::db::operations::Ban) -> Value {
    super::value(BanView {
        id: id.to_string(),
        banned: b.0.is_some(),
        banned_at: opt_rfc3339(b.0),
        ban_reason: b.1.clone(),
        banned_by: b.2.clone(),
    })
}

/// A display device of a rotating point.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// Not revoked.
    pub active: bool,
}

impl DeviceView {
    pub fn new(
        id: &str,
        created: chrono::NaiveDateTime,
        revoked: Option<chrono::NaiveDateTime>,
    ) -> Self {
        DeviceView {
            id: id.to_string(),
            created_at: to_rfc3339(created),
            revoked_at: opt_rfc3339(revoked),
            active: revoked.is_none(),
        }
    }
}
