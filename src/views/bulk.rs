//! Answers of work in bulk: the merchant import and the many-at-once decisions.

use serde::Serialize;

use crate::db::models::Merchant;
use crate::domain::names::Names;
use crate::types::SettlementStatus;

/// A bad cell of the import's spreadsheet (the header is row 1).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// A merchant the import created, or (dry run) would create.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedMerchant {
    /// The spreadsheet's row (the header is row 1).
    pub row: usize,
    /// The owner login's username.
    pub username: String,
    pub name: Names,
    pub category: String,
    /// The new merchant's id (not in a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub id: Option<String>,
    /// Not in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub address: Option<String>,
    /// Not in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lat: Option<f64>,
    /// Not in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lng: Option<f64>,
    /// Not in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub m_mark: Option<bool>,
    /// Not in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_no: Option<String>,
}

impl ImportedMerchant {
    /// What a dry run lists for a good row.
    pub fn would_create(row: usize, username: &str, m: &Merchant) -> Self {
        ImportedMerchant {
            row,
            username: username.to_string(),
            name: Names::from_json(&m.name),
            category: m.category.clone(),
            id: None,
            address: None,
            lat: None,
            lng: None,
            m_mark: None,
            merchant_no: None,
        }
    }

    /// A merchant created with its owner login.
    pub fn created(row: usize, username: &str, m: &Merchant) -> Self {
        let v = super::merchants::MerchantView::from(m);
        ImportedMerchant {
            row,
            username: username.to_string(),
            name: v.name,
            category: v.category,
            id: Some(v.id),
            address: Some(v.address),
            lat: Some(v.lat),
            lng: Some(v.lng),
            m_mark: Some(v.m_mark),
            merchant_no: Some(v.merchant_no),
        }
    }
}

/// What an import did (or, with `dry_run`, would do). A bad row fails the whole import with
/// `import_invalid` instead, so `errors` is empty here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub dry_run: bool,
    /// Merchants created (0 in a dry run).
    pub created: usize,
    /// Dry run only: how many merchants the import would create.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub would_create: Option<usize>,
    pub errors: Vec<RowError>,
    pub merchants: Vec<ImportedMerchant>,
}

/// One enrolment of a bulk decision: its new `status`, or the error `code` and `detail` that
/// left it as it was.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrolmentOutcome {
    pub id: String,
    /// approved or rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub status: Option<String>,
    /// The error's stable code, as in a problem document.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub detail: Option<String>,
}

/// One statement of a bulk approval or payment: its new `status` and amount, or the error
/// `code` and `detail` that left it as it was.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettlementOutcome {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub status: Option<SettlementStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub amount_avos: Option<i64>,
    /// The error's stable code, as in a problem document.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub detail: Option<String>,
}
