//! The audit log: who changed what, when, with the row before and after.

use diesel::prelude::*;
use serde_json::Value;

use super::models::{AuditRow, NewAudit};
use super::schema::audit_log;
use super::DbConn;
use crate::domain::time::now;
use crate::error::AppError;
use crate::types::{AuditAction, AuditEntity};

#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<String>,
    pub role: &'static str,
}

impl Actor {
    pub fn official(id: &str) -> Actor {
        Actor {
            id: Some(id.into()),
            role: "official",
        }
    }
    pub fn merchant(id: &str) -> Actor {
        Actor {
            id: Some(id.into()),
            role: "merchant",
        }
    }
    pub fn system() -> Actor {
        Actor {
            id: None,
            role: "system",
        }
    }
}

pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: AuditAction,
    entity: AuditEntity,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), AppError> {
    diesel::insert_into(audit_log::table)
        .values(NewAudit {
            actor_id: actor.id.clone(),
            actor_role: actor.role.into(),
            action,
            entity: entity.as_str().into(),
            entity_id: entity_id.into(),
            before: before.map(|v| v.to_string()),
            after: after.map(|v| v.to_string()),
            created_at: now(),
        })
        .execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut DbConn,
    entity: Option<&str>,
    entity_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, AppError> {
    let mut q = audit_log::table
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(e) = entity {
        q = q.filter(audit_log::entity.eq(e.to_string()));
    }
    if let Some(id) = entity_id {
        q = q.filter(audit_log::entity_id.eq(id.to_string()));
    }
    Ok(q.load(conn)?)
}

#[cfg(test)]
mod tests {
    use crate::types::AuditAction;

    /// The web app names every action an audit row can record, in each language.
    #[test]
    fn every_action_has_a_label_in_each_language() {
        for (lang, text) in crate::error::DICTIONARIES {
            let dict: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(text).unwrap();
            let missing: Vec<&str> = AuditAction::ALL
                .iter()
                .map(|a| a.as_str())
                .filter(|a| !dict.contains_key(&format!("audit.action.{a}")))
                .collect();
            assert!(missing.is_empty(), "{lang} has no label for {missing:?}");
        }
    }
}
