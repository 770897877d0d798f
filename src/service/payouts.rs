//! Payout use cases: approved statements handed to the bank as one batch, and the batch's
//! transfer confirmed by a second official (four eyes), which pays each of its statements.

use serde_json::json;

use crate::db::audit::Actor;
use crate::db::payouts::{BankAccount, Payout, PayoutItem};
use crate::db::{locks, payouts, write_tx, DbConn};
use crate::domain::four_eyes::{self, Step};
use crate::domain::time::now;
use crate::error::{AppError, Code};
use crate::types::{
    AuditAction, AuditEntity, MerchantId, PayoutId, PayoutStatus, SettlementId, SettlementStatus,
    UserId,
};
use crate::views::payouts::{Account, MerchantAccount, PayoutBatch};

/// An official (not the one who made the batch) confirms the bank made the transfer: the batch
/// and each of its statements are paid.
fn confirm_transfer(
    conn: &mut DbConn,
    id: &PayoutId,
    official: &UserId,
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
pub fn reference(settlement_id: &SettlementId) -> String {
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
fn make_batch(
    conn: &mut DbConn,
    ids: &[SettlementId],
    official: &UserId,
) -> Result<Payout, AppError> {
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
                settlement_id: id.clone(),
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

/// A batch with its lines (and their merchants' names).
fn batch(conn: &mut DbConn, id: &PayoutId) -> Result<(Payout, PayoutBatch), AppError> {
    let (p, items) = payouts::find(conn, id)?;
    let items = payouts::with_names(conn, items)?;
    let v = PayoutBatch::new(&p, Some(&items));
    Ok((p, v))
}

/// Makes a batch (see `make_batch`) and records it. Returns the batch with its lines.
pub fn create(
    conn: &mut DbConn,
    ids: &[SettlementId],
    official: &UserId,
) -> Result<PayoutBatch, AppError> {
    let p = make_batch(conn, ids, official)?;
    let (_, v) = batch(conn, &p.id)?;
    super::audit_change::<(), _>(
        conn,
        &Actor::official(official),
        AuditAction::Create,
        AuditEntity::Payout,
        &p.id,
        None,
        Some(&v),
    )?;
    Ok(v)
}

/// Confirms a batch's transfer (see `confirm_transfer`) and records the change.
pub fn confirm(
    conn: &mut DbConn,
    id: &PayoutId,
    official: &UserId,
    bank_reference: Option<&str>,
) -> Result<PayoutBatch, AppError> {
    let (before, _) = payouts::find(conn, id)?;
    confirm_transfer(conn, id, official, bank_reference)?;
    let (p, v) = batch(conn, id)?;
    super::audit_change(
        conn,
        &Actor::official(official),
        AuditAction::Confirm,
        AuditEntity::Payout,
        id,
        Some(&PayoutBatch::new(&before, None)),
        Some(&PayoutBatch::new(&p, None)),
    )?;
    Ok(v)
}

/// One batch with its lines.
pub fn get(conn: &mut DbConn, id: &PayoutId) -> Result<PayoutBatch, AppError> {
    Ok(batch(conn, id)?.1)
}

/// Every batch, newest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<PayoutBatch>, AppError> {
    Ok(payouts::list(conn)?
        .iter()
        .map(|p| PayoutBatch::new(p, None))
        .collect())
}

/// A merchant's bank account, if entered.
pub fn bank_account(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
) -> Result<Option<Account>, AppError> {
    Ok(payouts::bank_account(conn, merchant_id)?
        .as_ref()
        .map(Account::from))
}

/// Every merchant with its bank account, if any (for officials).
pub fn bank_accounts(conn: &mut DbConn) -> Result<Vec<MerchantAccount>, AppError> {
    Ok(payouts::all_bank_accounts(conn)?
        .into_iter()
        .map(|(id, name, a)| MerchantAccount {
            merchant_id: id.into(),
            merchant_name: crate::domain::names::Names::from_json(&name),
            account: a.as_ref().map(Account::from),
        })
        .collect())
}

/// The owner's bank details as entered (already cleaned). Any change clears the
/// verification and is recorded; saving the same details again changes nothing.
pub fn put_bank_account(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    user_id: &UserId,
    account_name: &str,
    bank: &str,
    account_number: &str,
) -> Result<Account, AppError> {
    write_tx(conn, |conn| {
        let before = payouts::bank_account(conn, merchant_id)?;
        if let Some(b) = before.as_ref().filter(|b| {
            b.account_name == account_name && b.bank == bank && b.account_number == account_number
        }) {
            return Ok(Account::from(b));
        }
        let after = BankAccount {
            merchant_id: merchant_id.clone(),
            account_name: account_name.into(),
            bank: bank.into(),
            account_number: account_number.into(),
            updated_by: user_id.clone(),
            updated_at: now(),
            verified_by: None,
            verified_at: None,
        };
        payouts::save_bank_account(conn, &after, before.is_some())?;
        let before_v = before.as_ref().map(Account::from);
        let after_v = Account::from(&after);
        if before_v.as_ref() != Some(&after_v) {
            super::audit_change(
                conn,
                &Actor::merchant(user_id),
                AuditAction::Put,
                AuditEntity::BankAccount,
                merchant_id,
                before_v.as_ref(),
                Some(&after_v),
            )?;
        }
        Ok(after_v)
    })
}

/// An official confirms the bank details as entered (e.g. against a bank letter).
pub fn verify_bank_account(
    conn: &mut DbConn,
    official: &UserId,
    merchant_id: &MerchantId,
) -> Result<Account, AppError> {
    write_tx(conn, |conn| {
        let before = payouts::bank_account(conn, merchant_id)?.ok_or_else(|| {
            AppError::rule(
                Code::NoBankAccount,
                "The merchant has not entered bank details yet.",
            )
        })?;
        let t = now();
        payouts::set_verified(conn, merchant_id, official, t)?;
        let mut after = before.clone();
        after.verified_by = Some(official.clone());
        after.verified_at = Some(t);
        let (before_v, after_v) = (Account::from(&before), Account::from(&after));
        super::audit_change(
            conn,
            &Actor::official(official),
            AuditAction::Verify,
            AuditEntity::BankAccount,
            merchant_id,
            Some(&before_v),
            Some(&after_v),
        )?;
        Ok(after_v)
    })
}
