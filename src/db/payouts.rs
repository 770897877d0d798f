//! Paying merchants: the bank account each merchant wants to be paid into (entered by its
//! owner, verified by an official, un-verified by any change), and payout batches: approved
//! statements handed to the bank as one transfer file, marked paid only when an official
//! confirms the transfer.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::catalog::new_id;
use super::schema::*;
use super::{write_tx, DbConn};
use crate::domain::time::now;
use crate::error::{AppError, Code};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = bank_accounts, treat_none_as_null = true)]
pub struct BankAccount {
    pub merchant_id: String,
    pub account_name: String,
    pub bank: String,
    pub account_number: String,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
    pub verified_by: Option<String>,
    pub verified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payouts)]
pub struct Payout {
    pub id: String,
    pub status: String,
    pub total_avos: i64,
    pub statements_count: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub bank_reference: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payout_items)]
pub struct PayoutItem {
    pub settlement_id: String,
    pub payout_id: String,
    pub merchant_id: String,
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

/// Makes a batch of approved statements, each with its merchant's verified bank account.
pub fn create(conn: &mut DbConn, ids: &[String], official: &str) -> Result<Payout, AppError> {
    write_tx(conn, |conn| {
        // One batch is made at a time, so two batches never claim the same statement.
        super::locks::xact(conn, "payout-batch")?;
        let mut items = Vec::new();
        let pid = new_id();
        for id in ids {
            let s: Option<(String, String, i64)> = settlements::table
                .find(id)
                .select((
                    settlements::merchant_id,
                    settlements::status,
                    settlements::amount_avos,
                ))
                .first(conn)
                .optional()?;
            let Some((merchant_id, status, amount)) = s else {
                return Err(AppError::NotFound(format!("no statement {id}")));
            };
            if status != "approved" {
                return Err(refuse(
                    Code::InvalidState,
                    id,
                    format!(
                        "Statement {id} is {status}; only approved statements can be paid out."
                    ),
                ));
            }
            let batched: i64 = payout_items::table
                .filter(payout_items::settlement_id.eq(id))
                .count()
                .get_result(conn)?;
            if batched > 0 {
                return Err(refuse(
                    Code::AlreadyInBatch,
                    id,
                    format!("Statement {id} is already in a payout batch."),
                ));
            }
            let account = bank_account(conn, &merchant_id)?;
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
            id: pid.clone(),
            status: "open".into(),
            total_avos: items.iter().map(|i| i.amount_avos).sum(),
            statements_count: items.len() as i32,
            created_by: official.into(),
            created_at: now(),
            confirmed_by: None,
            confirmed_at: None,
            bank_reference: None,
        };
        diesel::insert_into(payouts::table)
            .values(&p)
            .execute(conn)?;
        for i in &items {
            diesel::insert_into(payout_items::table)
                .values(i)
                .execute(conn)?;
        }
        Ok(p)
    })
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
        .filter(payouts::status.eq("open"))
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
    let n = diesel::update(payouts::table.find(id).filter(payouts::status.eq("open")))
        .set((
            payouts::status.eq("paid"),
            payouts::confirmed_by.eq(Some(official)),
            payouts::confirmed_at.eq(Some(t)),
            payouts::bank_reference.eq(bank_reference),
        ))
        .execute(conn)?;
    Ok(n > 0)
}
