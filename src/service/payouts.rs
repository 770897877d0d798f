//! Payout use cases: approved statements handed to the bank as one batch, and the batch's
//! transfer confirmed by a second official (four eyes), which pays each of its statements.

use serde_json::json;

use crate::db::payouts::{Payout, PayoutItem};
use crate::db::{locks, payouts, write_tx, DbConn};
use crate::domain::four_eyes::{self, Step};
use crate::domain::time::now;
use crate::error::{AppError, Code};
use crate::types::{PayoutId, PayoutStatus, SettlementStatus, UserId};

/// An official (not the one who made the batch) confirms the bank made the transfer: the batch
/// and each of its statements are paid.
pub fn confirm(
    conn: &mut DbConn,
    id: &str,
    official: &str,
    bank_reference: Option<&str>,
) -> Result<Payout, AppError> {
    let (p, _) = payouts::find(conn, id)?;
    if !four_eyes::allowed(Step::ConfirmTransfer, &p.created_by, official) {
        return Err(AppError::rule(
            Code::FourEyesRequired,
            Step::ConfirmTransfer.refusal(),
        ));
    }
    write_tx(conn, |conn| {
        let t = now();
        if !payouts::set_confirmed(conn, id, official, bank_reference, t)? {
            let (p, _) = payouts::find(conn, id)?;
            return Err(AppError::rule(
                Code::InvalidState,
                format!("The batch is {}, not open.", p.status),
            ));
        }
        let (p, items) = payouts::find(conn, id)?;
        for i in &items {
            super::settlements::mark_paid(conn, &i.settlement_id, official, t)?;
        }
        Ok(p)
    })
}

/// The bank reference of a statement's transfer: short, letters and digits only.
pub fn reference(settlement_id: &str) -> String {
    let compact: String = settlement_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    format!("BAIRRO{}", compact.to_uppercase())
}

fn refuse(code: Code, statement: &str, detail: String) -> AppError {
    AppError::rule_with(code, detail, json!({"statement_id": statement}))
}

/// Makes a batch of approved statements, each with its merchant's verified bank account, in
/// no other batch.
pub fn create(conn: &mut DbConn, ids: &[String], official: &UserId) -> Result<Payout, AppError> {
    write_tx(conn, |conn| {
        // One batch is made at a time, so two batches never claim the same statement.
        locks::xact(conn, "payout-batch")?;
        let mut items = Vec::new();
        let pid = PayoutId::generate();
        for id in ids {
            let Some((merchant_id, status, amount)) = payouts::statement(conn, id)? else {
                return Err(AppError::NotFound(format!("no statement {id}")));
            };
            if status != SettlementStatus::Approved {
                return Err(refuse(
                    Code::InvalidState,
                    id,
                    format!(
                        "Statement {id} is {status}; only approved statements can be paid out."
                    ),
                ));
            }
            if payouts::batched(conn, id)? {
                return Err(refuse(
                    Code::AlreadyInBatch,
                    id,
                    format!("Statement {id} is already in a payout batch."),
                ));
            }
            let account = payouts::bank_account(conn, &merchant_id)?;
            let Some(account) = account.filter(|a| a.verified_at.is_some()) else {
                return Err(refuse(
                    Code::BankAccountNotVerified,
                    id,
                    format!("The merchant of statement {id} has no verified bank account."),
                ));
            };
            items.push(PayoutItem {
                settlement_id: id.into(),
                payout_id: pid.clone(),
                merchant_id,
                payee: account.account_name,
                bank: account.bank,
                account_number: account.account_number,
                amount_avos: amount,
                reference: reference(id),
            });
        }
        let p = Payout {
            id: pid,
            status: PayoutStatus::Open,
            total_avos: items.iter().map(|i| i.amount_avos).sum(),
            statements_count: items.len() as i32,
            created_by: official.clone(),
            created_at: now(),
            confirmed_by: None,
            confirmed_at: None,
            bank_reference: None,
        };
        payouts::insert(conn, &p, &items)?;
        Ok(p)
    })
}
