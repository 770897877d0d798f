//! Answers about merchants' bank accounts and payout batches.

use serde::Serialize;

use crate::db::payouts::{BankAccount, Payout, PayoutItem};
use crate::domain::money::mop;
use crate::domain::names::Names;
use crate::domain::time::{opt_rfc3339, to_rfc3339};
use crate::types::{MerchantId, PayoutId, PayoutStatus, SettlementId};

/// The bank account a merchant wants to be paid into.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub merchant_id: MerchantId,
    /// The account holder's name, as the bank has it.
    pub account_name: String,
    pub bank: String,
    pub account_number: String,
    pub updated_at: String,
    /// Whether an official verified the details as they are now (any change clears it).
    pub verified: bool,
    pub verified_at: Option<String>,
}

impl From<&BankAccount> for Account {
    fn from(a: &BankAccount) -> Self {
        Account {
            merchant_id: a.merchant_id.clone(),
            account_name: a.account_name.clone(),
            bank: a.bank.clone(),
            account_number: a.account_number.clone(),
            updated_at: to_rfc3339(a.updated_at),
            verified: a.verified_at.is_some(),
            verified_at: opt_rfc3339(a.verified_at),
        }
    }
}

/// A merchant with its bank account, if it entered one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MerchantAccount {
    pub merchant_id: MerchantId,
    pub merchant_name: Names,
    pub account: Option<Account>,
}

/// A statement in a payout batch: one transfer of the bank file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutLine {
    pub settlement_id: SettlementId,
    pub merchant_id: MerchantId,
    pub merchant_name: Names,
    pub payee: String,
    pub bank: String,
    pub account_number: String,
    pub amount_avos: i64,
    /// The transfer's reference (letters and digits).
    pub reference: String,
}

impl PayoutLine {
    pub fn new(i: &PayoutItem, merchant_name: &str) -> Self {
        PayoutLine {
            settlement_id: i.settlement_id.clone(),
            merchant_id: i.merchant_id.clone(),
            merchant_name: Names::from_json(merchant_name),
            payee: i.payee.clone(),
            bank: i.bank.clone(),
            account_number: i.account_number.clone(),
            amount_avos: i.amount_avos,
            reference: i.reference.clone(),
        }
    }
}

/// A payout batch: approved statements handed to the bank as one transfer file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutBatch {
    pub id: PayoutId,
    pub status: PayoutStatus,
    pub total_avos: i64,
    /// The total as MOP text ("1234.50").
    pub total_mop: String,
    pub statements_count: i32,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    pub bank_reference: Option<String>,
    /// The batch's lines (in the answers about one batch).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub items: Option<Vec<PayoutLine>>,
}

impl PayoutBatch {
    pub fn new(p: &Payout, items: Option<&[(PayoutItem, String)]>) -> Self {
        PayoutBatch {
            id: p.id.clone(),
            status: p.status,
            total_avos: p.total_avos,
            total_mop: mop(p.total_avos),
            statements_count: p.statements_count,
            created_at: to_rfc3339(p.created_at),
            confirmed_at: opt_rfc3339(p.confirmed_at),
            bank_reference: p.bank_reference.clone(),
            items: items.map(|items| {
                items
                    .iter()
                    .map(|(i, name)| PayoutLine::new(i, name))
                    .collect()
            }),
        }
    }
}
