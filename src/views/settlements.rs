//! Answers about settlement statements.

use serde::Serialize;

use crate::db::models;
use crate::domain::codes;
use crate::domain::names::Names;
use crate::domain::time::{opt_rfc3339, to_rfc3339};
use crate::types::{CampaignId, MerchantId, RedemptionId, SettlementId, SettlementStatus};

/// A settlement statement: the e-cash a merchant is owed for a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub id: SettlementId,
    pub campaign_id: CampaignId,
    pub merchant_id: MerchantId,
    /// First day of the period (Macau).
    pub period_from: String,
    /// Last day of the period (Macau).
    pub period_to: String,
    pub amount_avos: i64,
    /// How many redemptions the statement pays for.
    pub redemptions: i32,
    pub status: SettlementStatus,
    pub created_at: String,
    pub approved_at: Option<String>,
    pub paid_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_name: Option<Names>,
    /// The shop's short number (on officials' lists, to tell same-named shops apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub merchant_address: Option<String>,
}

impl Statement {
    /// The statement, with its merchant's name (JSON names) when given.
    pub fn new(s: &models::Settlement, merchant_name: Option<&str>) -> Self {
        Statement {
            id: s.id.clone(),
            campaign_id: s.campaign_id.clone(),
            merchant_id: s.merchant_id.clone(),
            period_from: s.period_from.to_string(),
            period_to: s.period_to.to_string(),
            amount_avos: s.amount_avos,
            redemptions: s.redemptions_count,
            status: s.status,
            created_at: to_rfc3339(s.created_at),
            approved_at: opt_rfc3339(s.approved_at),
            paid_at: opt_rfc3339(s.paid_at),
            merchant_name: merchant_name.map(Names::from_json),
            merchant_no: None,
            merchant_address: None,
        }
    }
}

/// A redemption paid by a statement.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub redemption_id: RedemptionId,
    pub created_at: String,
    pub coupon_code: String,
    pub spend_avos: i64,
    pub ecash_avos: i64,
}

impl Line {
    pub fn new(r: &models::Redemption, coupon_code: &str) -> Self {
        Line {
            redemption_id: r.id.clone(),
            created_at: to_rfc3339(r.created_at),
            coupon_code: codes::display(coupon_code),
            spend_avos: r.spend_avos,
            ecash_avos: r.ecash_avos,
        }
    }
}

/// A statement with its lines, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatementWithLines {
    #[serde(flatten)]
    pub statement: Statement,
    pub lines: Vec<Line>,
}
