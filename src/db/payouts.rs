//! Paying merchants: the bank account each merchant wants to be paid into (entered by its
//! owner, verified by an official, un-verified by any change), and payout batches: approved
//! statements handed to the bank as one transfer file, marked paid only when an official
//! confirms the transfer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;
use super::DbConn;
use crate::error::AppError;
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

pub fn bank_account(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
) -> Result<Option<BankAccount>, AppError> {
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

/// Writes a merchant's bank account (`exists`: it had one, which is replaced).
pub fn save_bank_account(
    conn: &mut DbConn,
    account: &BankAccount,
    exists: bool,
) -> Result<(), AppError> {
    if exists {
        diesel::update(bank_accounts::table.find(&account.merchant_id))
            .set(account)
            .execute(conn)?;
    } else {
        diesel::insert_into(bank_accounts::table)
            .values(account)
            .execute(conn)?;
    }
    Ok(())
}

/// Records who verified a merchant's bank account and when.
pub fn set_verified(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    official: &UserId,
    t: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(bank_accounts::table.find(merchant_id))
        .set((
            bank_accounts::verified_by.eq(Some(official)),
            bank_accounts::verified_at.eq(Some(t)),
        ))
        .execute(conn)?;
    Ok(())
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

/// The lines of a batch with their merchants' names (JSON names).
pub fn with_names(
    conn: &mut DbConn,
    items: Vec<PayoutItem>,
) -> Result<Vec<(PayoutItem, String)>, AppError> {
    items
        .into_iter()
        .map(|i| {
            let n: String = merchants::table
                .find(&i.merchant_id)
                .select(merchants::name)
                .first(conn)?;
            Ok((i, n))
        })
        .collect()
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
    official: &UserId,
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
