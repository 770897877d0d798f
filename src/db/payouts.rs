//! Paying merchants: the bank account each merchant wants to be paid into (entered by its
//! owner, verified by an official, un-verified by any change), and payout batches: approved
//! statements handed to the bank as one transfer file, marked paid only when an official
//! confirms the transfer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::time::now;
use crate::error::{AppError, Code};
use crate::types::{MerchantId, PayoutId, PayoutStatus, SettlementId, SettlementStatus, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = bank_accounts, treat_none_as_null = true)]
pub struct BankAccount {
    pub merchant_id: MerchantId,
    pub account_name: String,
    pub bank: String,
    pub account_number: String,
    pub updated_by: UserId,
    pub updated_at: NaiveDateTime,
    pub verified_by: Option<UserId>,
    pub verified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payouts)]
pub struct Payout {
    pub id: PayoutId,
    pub status: PayoutStatus,
    pub total_avos: i64,
    pub statements_count: i32,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub confirmed_by: Option<UserId>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub bank_reference: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payout_items)]
pub struct PayoutItem {
    pub settlement_id: SettlementId,
    pub payout_id: PayoutId,
    pub merchant_id: MerchantId,
    pub payee: String,
    pub bank: String,
    pub account_number: String,
    pub amount_avos: i64,
    pub reference: String,
}

pub fn bank_account(conn: &mut DbConn, merchant_id: &str) -> Result<Option<BankAccount>, AppError> {
    Ok(bank_accounts::table
        .find(merchant_id)
        .select(BankAccount::as_select())
        .first(conn)
        .optional()?)
}

/// Every merchant with its bank account, if any (for officials).
pub fn all_bank_accounts(
    conn: &mut DbConn,
) -> Result<Vec<(String, String, Option<BankAccount>)>, AppError> {
    let ms: Vec<(String, String)> = merchants::table
        .select((merchants::id, merchants::name))
        .order(merchants::created_at.asc())
        .load(conn)?;
    let accounts: Vec<BankAccount> = bank_accounts::table
        .select(BankAccount::as_select())
        .load(conn)?;
    Ok(ms
        .into_iter()
        .map(|(id, name)| {
            let a = accounts.iter().find(|a| a.merchant_id == id).cloned();
            (id, name, a)
        })
        .collect())
}

/// Saves the owner's bank details. Any change clears the verification. Returns (before, after).
pub fn put_bank_account(
    conn: &mut DbConn,
    merchant_id: &str,
    account_name: &str,
    bank: &str,
    account_number: &str,
    user_id: &str,
) -> Result<(Option<BankAccount>, BankAccount), AppError> {
    write_tx(conn, |conn| {
        let before = bank_account(conn, merchant_id)?;
        let unchanged = before.as_ref().is_some_and(|b| {
            b.account_name == account_name && b.bank == bank && b.account_number == account_number
        });
        if unchanged {
            let b = before.clone().expect("checked");
            return Ok((before, b));
        }
        let after = BankAccount {
            merchant_id: merchant_id.into(),
            account_name: account_name.into(),
            bank: bank.into(),
            account_number: account_number.into(),
            updated_by: user_id.into(),
            updated_at: now(),
            verified_by: None,
            verified_at: None,
        };
        if before.is_some() {
            diesel::update(bank_accounts::table.find(merchant_id))
                .set(&after)
                .execute(conn)?;
        } else {
            diesel::insert_into(bank_accounts::table)
                .values(&after)
                .execute(conn)?;
        }
        Ok((before, after))
    })
}

/// An official confirms the bank details as entered (e.g. against a bank letter).
pub fn verify_bank_account(
    conn: &mut DbConn,
    merchant_id: &str,
    official: &str,
) -> Result<(BankAccount, BankAccount), AppError> {
    write_tx(conn, |conn| {
        let before = bank_account(conn, merchant_id)?.ok_or_else(|| {
            AppError::rule(
                Code::NoBankAccount,
                "The merchant has not entered bank details yet.",
            )
        })?;
        let t = now();
        diesel::update(bank_accounts::table.find(merchant_id))
            .set((
                bank_accounts::verified_by.eq(Some(official)),
                bank_accounts::verified_at.eq(Some(t)),
            ))
            .execute(conn)?;
        let mut after = before.clone();
        after.verified_by = Some(official.into());
        after.verified_at = Some(t);
        Ok((before, after))
    })
}

/// The merchant, status and amount of a statement, if it exists.
pub fn statement(
    conn: &mut DbConn,
    id: &str,
) -> Result<Option<(MerchantId, SettlementStatus, i64)>, AppError> {
    Ok(settlements::table
        .find(id)
        .select((
            settlements::merchant_id,
            settlements::status,
            settlements::amount_avos,
        ))
        .first(conn)
        .optional()?)
}

/// Whether a statement is in any payout batch.
pub fn batched(conn: &mut DbConn, settlement_id: &str) -> Result<bool, AppError> {
    let n: i64 = payout_items::table
        .filter(payout_items::settlement_id.eq(settlement_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Writes a batch and its lines.
pub fn insert(conn: &mut DbConn, p: &Payout, items: &[PayoutItem]) -> Result<(), AppError> {
    diesel::insert_into(payouts::table)
        .values(p)
        .execute(conn)?;
    for i in items {
        diesel::insert_into(payout_items::table)
            .values(i)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<(Payout, Vec<PayoutItem>), AppError> {
    let p = payouts::table
        .find(id)
        .select(Payout::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such payout batch".into()))?;
    let items = payout_items::table
        .filter(payout_items::payout_id.eq(id))
        .order(payout_items::reference.asc())
        .select(PayoutItem::as_select())
        .load(conn)?;
    Ok((p, items))
}

pub fn list(conn: &mut DbConn) -> Result<Vec<Payout>, AppError> {
    Ok(payouts::table
        .select(Payout::as_select())
        .order(payouts::created_at.desc())
        .load(conn)?)
}

/// Whether a statement waits in a batch not yet confirmed (it is paid through the batch).
pub fn in_open_batch(conn: &mut DbConn, settlement_id: &str) -> Result<bool, AppError> {
    let n: i64 = payout_items::table
        .inner_join(payouts::table.on(payouts::id.eq(payout_items::payout_id)))
        .filter(payout_items::settlement_id.eq(settlement_id))
        .filter(payouts::status.eq(PayoutStatus::Open))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Marks an open batch paid with the confirming official and the bank's reference; false
/// when it was not open.
pub fn set_confirmed(
    conn: &mut DbConn,
    id: &str,
    official: &str,
    bank_reference: Option<&str>,
    t: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        payouts::table
            .find(id)
            .filter(payouts::status.eq(PayoutStatus::Open)),
    )
    .set((
            payouts::status.eq(PayoutStatus::Paid),
            payouts::confirmed_by.eq(Some(official)),
            payouts::confirmed_at.eq(Some(t)),
            payouts::bank_reference.eq(bank_reference),
        ))
        .execute(conn)?;
    Ok(n > 0)
}
