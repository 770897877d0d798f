//! A campaign's reconciliation: every figure recomputed from the ledger, compared with the
//! tables, and the rows behind each difference.
//!
//! The answer has always gone out with its keys in alphabetical order (it was built as a
//! `serde_json::Value`); the handler serialises these views through a `Value` so the bytes
//! stay the same.

use serde::Serialize;
use serde_json::Value;

use crate::domain::names::Names;

/// Coupons of an offer by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub issued: i64,
    pub redeemed: i64,
    pub expired: i64,
    pub void: i64,
    /// Still in wallets.
    pub outstanding: i64,
}

/// The campaign's e-cash, in avos.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ecash {
    /// Face value of e-cash coupons issued and not void (as the public budget counts it).
    pub committed: i64,
    pub redeemed: i64,
    pub settled: i64,
    pub paid: i64,
    /// Face value of e-cash coupons still in wallets.
    pub outstanding: i64,
}

/// One row whose ledger story and table state disagree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowDiff {
    /// `coupon`, `redemption`, `settlement` or `ledger`.
    pub entity: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub offer_id: Option<String>,
    pub field: &'static str,
    /// What the ledger says (a state, an amount, or `absent`).
    #[schema(value_type = Object)]
    pub ledger: Value,
    /// What the tables say.
    #[schema(value_type = Object)]
    pub tables: Value,
    /// The ledger rows of the story.
    pub ledger_rows: Vec<i64>,
}

/// A figure that differs, with the rows behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// `offer`, `ecash` or `rows` (row differences no figure shows).
    pub scope: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub offer_id: Option<String>,
    pub figure: &'static str,
    pub ledger: Option<i64>,
    pub tables: Option<i64>,
    pub rows: Vec<RowDiff>,
}

/// An offer's coupons, from the ledger, compared with the tables.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferReconciliation {
    pub offer_id: String,
    pub name: Names,
    pub kind: String,
    pub face_value_avos: i64,
    pub issued: i64,
    pub redeemed: i64,
    pub expired: i64,
    pub void: i64,
    pub outstanding: i64,
    /// issued = redeemed + expired + void + outstanding, the tables agree, and so does the
    /// offer's `issued` counter.
    pub balanced: bool,
    pub ledger: Counts,
    pub tables: Counts,
}

/// The campaign's e-cash from the ledger, compared with the tables.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EcashReconciliation {
    pub committed: i64,
    pub redeemed: i64,
    pub settled: i64,
    pub paid: i64,
    pub outstanding: i64,
    /// Redeemed and not on a statement yet.
    pub unsettled: i64,
    /// On a statement and not paid yet.
    pub unpaid: i64,
    pub balanced: bool,
    pub ledger: Ecash,
    pub tables: Ecash,
}

/// A campaign's reconciliation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    pub campaign_id: String,
    pub ledger_rows: i64,
    /// Every offer and the e-cash balance, and no row differs.
    pub balanced: bool,
    pub offers: Vec<OfferReconciliation>,
    pub ecash: EcashReconciliation,
    pub differences: Vec<Difference>,
    /// How many rows differ.
    pub row_differences: usize,
}
