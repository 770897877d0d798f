//! Public-money integrity: the ledger's chain check, a campaign's reconciliation (ledger
//! against tables), merchants' bank accounts and payout batches with their transfer file.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::auth::{MerchantOwner, Official};
use super::csv_out::{cell, ShapeQuery};
use super::state::{created, csv_response, ok, to_csv, State};
use crate::db::payouts as db_payouts;
use crate::db::{catalog, ledger, reconciliation};
use crate::domain::money::mop;
use crate::error::{AppError, FieldError};
use crate::service::payouts;
use crate::types::{MerchantId, PayoutId, SettlementId};
use crate::views::payouts::{Account, MerchantAccount, PayoutBatch};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ledger/verify", web::get().to(verify))
        .route(
            "/campaigns/{id}/reconciliation.csv",
            web::get().to(reconciliation_csv),
        )
        .route(
            "/campaigns/{id}/reconciliation",
            web::get().to(reconciliation),
        )
        .route("/merchant/bank-account", web::get().to(my_bank_account))
        .route("/merchant/bank-account", web::put().to(put_bank_account))
        .route("/bank-accounts", web::get().to(bank_accounts))
        .route(
            "/merchants/{id}/bank-account/verify",
            web::post().to(verify_bank_account),
        )
        .route("/payouts", web::get().to(list_payouts))
        .route("/payouts", web::post().to(create_payout))
        .route("/payouts/{id}.csv", web::get().to(payout_csv))
        .route("/payouts/{id}", web::get().to(get_payout))
        .route("/payouts/{id}/confirm", web::post().to(confirm_payout));
}

#[utoipa::path(get, path = "/api/v1/ledger/verify", tag = "ledger",
    responses((status = 200, description = "every row's hash recomputed along the chain", body = crate::db::ledger::Verification)))]
pub async fn verify(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let v = state.db(ledger::verify).await?;
    Ok(ok(&v))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/reconciliation", tag = "ledger", params(("id" = String, Path)),
    responses((status = 200, body = reconciliation::Reconciliation, description = "per offer issued = redeemed + expired + void + outstanding, the campaign's e-cash in avos, each recomputed from the ledger and compared with the tables; differences with the rows behind them")))]
pub async fn reconciliation(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let r = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            reconciliation::reconcile(c, &camp.id)
        })
        .await?;
    Ok(ok(&r))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/reconciliation.csv", tag = "ledger", params(("id" = String, Path), ShapeQuery),
    responses((status = 200, description = "the reconciliation as CSV: one line per figure (ledger, tables, balanced), then one per differing row (`sheet`: one line per figure with its difference, e-cash in MOP; the differing rows are in the long shape)", content_type = "text/csv")))]
pub async fn reconciliation_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
    shape: web::Query<ShapeQuery>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (slug, r) = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            Ok((camp.slug.clone(), reconciliation::reconcile(c, &camp.id)?))
        })
        .await?;
    let r = crate::views::to_value(&r);
    if shape.sheet() {
        return Ok(csv_response(
            &format!("reconciliation-{slug}-sheet.csv"),
            reconciliation_sheet(&r)?,
        ));
    }
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    for o in r["offers"].as_array().into_iter().flatten() {
        for f in ["issued", "redeemed", "expired", "void", "outstanding"] {
            rows.push(vec![
                "offer".into(),
                s(&o["offer_id"]),
                s(&o["name"]["zh-Hant"]),
                f.into(),
                s(&o["ledger"][f]),
                s(&o["tables"][f]),
                (o["ledger"][f] == o["tables"][f]).to_string(),
            ]);
        }
    }
    for f in ["committed", "redeemed", "settled", "paid", "outstanding"] {
        rows.push(vec![
            "ecash_avos".into(),
            String::new(),
            String::new(),
            f.into(),
            s(&r["ecash"]["ledger"][f]),
            s(&r["ecash"]["tables"][f]),
            (r["ecash"]["ledger"][f] == r["ecash"]["tables"][f]).to_string(),
        ]);
    }
    let mut seen = std::collections::HashSet::new();
    for d in r["differences"].as_array().into_iter().flatten() {
        for row in d["rows"].as_array().into_iter().flatten() {
            let k = format!(
                "{}/{}/{}",
                s(&row["entity"]),
                s(&row["id"]),
                s(&row["field"])
            );
            if !seen.insert(k) {
                continue;
            }
            rows.push(vec![
                format!("row:{}", s(&row["entity"])),
                s(&row["id"]),
                s(&row["offer_id"]),
                s(&row["field"]),
                s(&row["ledger"]),
                s(&row["tables"]),
                format!(
                    "false; ledger rows {}",
                    row["ledger_rows"]
                        .as_array()
                        .map(|a| a
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(" "))
                        .unwrap_or_default()
                ),
            ]);
        }
    }
    let body = to_csv(
        &[
            "section", "id", "name", "figure", "ledger", "tables", "balanced",
        ],
        rows,
    )?;
    Ok(csv_response(&format!("reconciliation-{slug}.csv"), body))
}

/// The reconciliation as one spreadsheet table: a line per figure of each offer (counts) and
/// of the campaign's e-cash (patacas), with the ledger's and the tables' value, the
/// difference and whether they agree.
fn reconciliation_sheet(r: &Value) -> Result<Vec<u8>, AppError> {
    use super::csv_out::sheet::yes_no;
    fn label(f: &str) -> &str {
        match f {
            "issued" => "Issued",
            "redeemed" => "Redeemed",
            "expired" => "Expired",
            "void" => "Void",
            "outstanding" => "Outstanding",
            "committed" => "Committed",
            "settled" => "Settled",
            "paid" => "Paid",
            other => other,
        }
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut line = |item: String, f: &str, ledger: &Value, tables: &Value, money: bool| {
        let (l, t) = (ledger.as_i64(), tables.as_i64());
        let fmt = |v: Option<i64>| match v {
            Some(x) if money => crate::domain::money::mop(x),
            Some(x) => x.to_string(),
            None => String::new(),
        };
        rows.push(vec![
            item,
            label(f).into(),
            fmt(l),
            fmt(t),
            fmt(l.zip(t).map(|(l, t)| l - t)),
            yes_no(ledger == tables),
        ]);
    };
    for o in r["offers"].as_array().into_iter().flatten() {
        for f in ["issued", "redeemed", "expired", "void", "outstanding"] {
            line(
                cell(&o["name"]["zh-Hant"]),
                f,
                &o["ledger"][f],
                &o["tables"][f],
                false,
            );
        }
    }
    for f in ["committed", "redeemed", "settled", "paid", "outstanding"] {
        line(
            "E-cash (MOP)".into(),
            f,
            &r["ecash"]["ledger"][f],
            &r["ecash"]["tables"][f],
            true,
        );
    }
    to_csv(
        &[
            "Item",
            "Figure",
            "Ledger",
            "Tables",
            "Difference",
            "Balanced",
        ],
        rows,
    )
}

#[utoipa::path(get, path = "/api/v1/merchant/bank-account", tag = "merchant",
    responses((status = 200, description = "the merchant's bank account, or null when none is entered yet", body = Option<Account>)))]
pub async fn my_bank_account(state: State, who: MerchantOwner) -> Result<HttpResponse, AppError> {
    let mid = who.0.merchant_id;
    let a = state.db(move |c| payouts::bank_account(c, &mid)).await?;
    Ok(ok(&a))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BankAccountBody {
    /// The account holder's name, as the bank has it (at most 140 characters).
    pub account_name: String,
    /// At most 100 characters.
    pub bank: String,
    /// 6 to 34 letters, digits or dashes (spaces are dropped), at least 6 digits.
    pub account_number: String,
}

/// Plain text a bank's upload file can carry: no control characters, and nothing a
/// spreadsheet would take for a formula.
fn clean_text(field: &str, v: &str, max: usize, out: &mut Vec<FieldError>) -> String {
    let t = v.split_whitespace().collect::<Vec<_>>().join(" ");
    let bad = |m: &str| FieldError {
        field: field.into(),
        message: m.into(),
    };
    if t.is_empty() {
        out.push(bad("required"));
    } else if t.chars().count() > max {
        out.push(bad(&format!("at most {max} characters")));
    } else if t.chars().any(|c| c.is_control()) {
        out.push(bad("control characters are not allowed"));
    } else if t.starts_with(['=', '+', '-', '@']) {
        out.push(bad("must not start with = + - or @"));
    }
    t
}

#[utoipa::path(put, path = "/api/v1/merchant/bank-account", tag = "merchant", request_body = BankAccountBody,
    responses((status = 200, description = "saved; a change must be verified again by an official", body = Account), (status = 422, description = "validation_failed")))]
pub async fn put_bank_account(
    state: State,
    who: MerchantOwner,
    body: web::Json<BankAccountBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut problems = Vec::new();
    let name = clean_text("account_name", &b.account_name, 140, &mut problems);
    let bank = clean_text("bank", &b.bank, 100, &mut problems);
    let number: String = b
        .account_number
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if !(6..=34).contains(&number.len())
        || digits < 6
        || !number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        || number.starts_with('-')
    {
        problems.push(FieldError {
            field: "account_number".into(),
            message: "6 to 34 letters, digits or dashes, at least 6 digits".into(),
        });
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let m = who.0;
    let (mid, uid) = (m.merchant_id, m.user_id);
    let after = state
        .db(move |c| payouts::put_bank_account(c, &mid, &uid, &name, &bank, &number))
        .await?;
    Ok(ok(&after))
}

#[utoipa::path(get, path = "/api/v1/bank-accounts", tag = "payouts",
    responses((status = 200, description = "every merchant with its bank account and whether it is verified", body = [MerchantAccount])))]
pub async fn bank_accounts(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let rows = state.db(payouts::bank_accounts).await?;
    Ok(ok(&rows))
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/bank-account/verify", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, description = "verified", body = Account), (status = 409, description = "no_bank_account")))]
pub async fn verify_bank_account(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mid = MerchantId::from(path.into_inner());
    let official = who.user_id;
    let after = state
        .db(move |c| payouts::verify_bank_account(c, &official, &mid))
        .await?;
    Ok(ok(&after))
}

#[utoipa::path(get, path = "/api/v1/payouts", tag = "payouts", responses((status = 200, description = "payout batches, newest first", body = [PayoutBatch])))]
pub async fn list_payouts(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let rows = state.db(payouts::list).await?;
    Ok(ok(&rows))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PayoutBody {
    /// Approved statements, each of a merchant with a verified bank account.
    pub statement_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/payouts", tag = "payouts", request_body = PayoutBody,
    responses((status = 201, description = "the batch with its lines", body = PayoutBatch),
        (status = 404, description = "not_found (a statement does not exist)"),
        (status = 409, description = "invalid_state, already_in_batch or bank_account_not_verified (with statement_id)"),
        (status = 422, description = "validation_failed")))]
pub async fn create_payout(
    state: State,
    who: Official,
    body: web::Json<PayoutBody>,
) -> Result<HttpResponse, AppError> {
    let mut ids = body.into_inner().statement_ids;
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > 1000 {
        return Err(AppError::field("statement_ids", "1 to 1000 statements"));
    }
    let ids: Vec<SettlementId> = ids.into_iter().map(SettlementId::from).collect();
    let official = who.user_id;
    let v = state
        .db(move |c| payouts::create(c, &ids, &official))
        .await?;
    Ok(created(&v))
}

#[utoipa::path(get, path = "/api/v1/payouts/{id}", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, description = "the batch with its lines", body = PayoutBatch), (status = 404, description = "not_found")))]
pub async fn get_payout(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = PayoutId::from(path.into_inner());
    let v = state.db(move |c| payouts::get(c, &id)).await?;
    Ok(ok(&v))
}

#[utoipa::path(get, path = "/api/v1/payouts/{id}.csv", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, description = "the bank's bulk-transfer file: payee, bank, account, amount (MOP), reference; the amounts add up to the batch", content_type = "text/csv")))]
pub async fn payout_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (p, items) = state.db(move |c| db_payouts::find(c, &id)).await?;
    // Plain ASCII header and no byte-order mark: bank upload formats expect neither.
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(["payee", "bank", "account", "amount", "reference"])
        .map_err(fail)?;
    for i in &items {
        w.write_record([
            i.payee.as_str(),
            i.bank.as_str(),
            i.account_number.as_str(),
            &mop(i.amount_avos),
            i.reference.as_str(),
        ])
        .map_err(fail)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"payout-{}.csv\"", p.id),
        ))
        .insert_header(("X-Payout-Total-Avos", p.total_avos.to_string()))
        .body(body))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct ConfirmBody {
    /// The bank's reference of the transfer, if it gave one.
    pub bank_reference: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/payouts/{id}/confirm", tag = "payouts", params(("id" = String, Path)), request_body = ConfirmBody,
    responses((status = 200, description = "the bank made the transfer: the batch and each of its statements are paid", body = PayoutBatch),
        (status = 403, description = "four_eyes_required: another official than the batch's maker confirms"),
        (status = 404, description = "not_found"),
        (status = 409, description = "invalid_state"),
        (status = 422, description = "validation_failed")))]
pub async fn confirm_payout(
    state: State,
    who: Official,
    path: web::Path<String>,
    body: Option<web::Json<ConfirmBody>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reference = body
        .map(|b| b.into_inner().bank_reference)
        .unwrap_or_default()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reference.as_ref().is_some_and(|r| r.chars().count() > 100) {
        return Err(AppError::field("bank_reference", "at most 100 characters"));
    }
    let (id, official) = (PayoutId::from(id), who.user_id);
    let v = state
        .db(move |c| payouts::confirm(c, &id, &official, reference.as_deref()))
        .await?;
    Ok(ok(&v))
}
