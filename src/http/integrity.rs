//! Public-money integrity: the ledger's chain check, a campaign's reconciliation (ledger
//! against tables), merchants' bank accounts and payout batches with their transfer file.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{MerchantOwner, Official};
use super::state::{created, csv_response, ok, to_csv, State};
use crate::db::audit::{self, Actor};
use crate::db::payouts::{self, BankAccount, Payout, PayoutItem};
use crate::db::{catalog, ledger, reconciliation};
use crate::domain::money::mop;
use crate::domain::names::Names;
use crate::domain::time::{opt_rfc3339, to_rfc3339};
use crate::error::{AppError, FieldError};

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
    responses((status = 200, description = "`{rows, ok, first_bad_row?}`: every row's hash recomputed along the chain")))]
pub async fn verify(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let v = state.db(ledger::verify).await?;
    Ok(ok(&v))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/reconciliation", tag = "ledger", params(("id" = String, Path)),
    responses((status = 200, description = "per offer issued = redeemed + expired + void + outstanding, the campaign's e-cash in avos, each recomputed from the ledger and compared with the tables; differences with the rows behind them")))]
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

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/reconciliation.csv", tag = "ledger", params(("id" = String, Path)),
    responses((status = 200, description = "the reconciliation as CSV: one line per figure (ledger, tables, balanced), then one per differing row")))]
pub async fn reconciliation_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (slug, r) = state
        .db(move |c| {
            let camp = catalog::find_campaign(c, &key)?;
            Ok((camp.slug.clone(), reconciliation::reconcile(c, &camp.id)?))
        })
        .await?;
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

fn account_view(a: &BankAccount) -> Value {
    json!({
        "merchant_id": a.merchant_id,
        "account_name": a.account_name,
        "bank": a.bank,
        "account_number": a.account_number,
        "updated_at": to_rfc3339(a.updated_at),
        "verified": a.verified_at.is_some(),
        "verified_at": opt_rfc3339(a.verified_at),
    })
}

#[utoipa::path(get, path = "/api/v1/merchant/bank-account", tag = "merchant",
    responses((status = 200, description = "the merchant's bank account, or null when none is entered yet")))]
pub async fn my_bank_account(state: State, who: MerchantOwner) -> Result<HttpResponse, AppError> {
    let mid = who.0.merchant_id;
    let a = state.db(move |c| payouts::bank_account(c, &mid)).await?;
    Ok(ok(&a.as_ref().map(account_view)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BankAccountBody {
    /// The account holder's name, as the bank has it.
    pub account_name: String,
    pub bank: String,
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
    responses((status = 200, description = "saved; a change must be verified again by an official"), (status = 422, description = "validation_failed")))]
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
    let (before, after) = state
        .db(move |c| {
            let (before, after) =
                payouts::put_bank_account(c, &m.merchant_id, &name, &bank, &number, &m.user_id)?;
            let changed = before.as_ref().map(account_view) != Some(account_view(&after));
            if changed {
                audit::record(
                    c,
                    &Actor::merchant(&m.user_id),
                    "put",
                    "bank_account",
                    &m.merchant_id,
                    before.as_ref().map(account_view).as_ref(),
                    Some(&account_view(&after)),
                )?;
            }
            Ok((before, after))
        })
        .await?;
    let _ = before;
    Ok(ok(&account_view(&after)))
}

#[utoipa::path(get, path = "/api/v1/bank-accounts", tag = "payouts",
    responses((status = 200, description = "every merchant with its bank account and whether it is verified")))]
pub async fn bank_accounts(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let rows = state.db(payouts::all_bank_accounts).await?;
    Ok(ok(&rows
        .iter()
        .map(|(id, name, a)| {
            json!({"merchant_id": id, "merchant_name": Names::from_json(name),
                   "account": a.as_ref().map(account_view)})
        })
        .collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/merchants/{id}/bank-account/verify", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, description = "verified"), (status = 409, description = "no_bank_account")))]
pub async fn verify_bank_account(
    state: State,
    who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mid = path.into_inner();
    let after = state
        .db(move |c| {
            let (before, after) = payouts::verify_bank_account(c, &mid, &who.user_id)?;
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "verify",
                "bank_account",
                &mid,
                Some(&account_view(&before)),
                Some(&account_view(&after)),
            )?;
            Ok(after)
        })
        .await?;
    Ok(ok(&account_view(&after)))
}

fn payout_view(p: &Payout, items: Option<&[(PayoutItem, String)]>) -> Value {
    let mut v = json!({
        "id": p.id,
        "status": p.status,
        "total_avos": p.total_avos,
        "total_mop": mop(p.total_avos),
        "statements_count": p.statements_count,
        "created_at": to_rfc3339(p.created_at),
        "confirmed_at": opt_rfc3339(p.confirmed_at),
        "bank_reference": p.bank_reference,
    });
    if let Some(items) = items {
        v["items"] = json!(items
            .iter()
            .map(|(i, name)| json!({
                "settlement_id": i.settlement_id, "merchant_id": i.merchant_id,
                "merchant_name": Names::from_json(name),
                "payee": i.payee, "bank": i.bank, "account_number": i.account_number,
                "amount_avos": i.amount_avos, "reference": i.reference,
            }))
            .collect::<Vec<_>>());
    }
    v
}

fn with_names(
    c: &mut crate::db::DbConn,
    items: Vec<PayoutItem>,
) -> Result<Vec<(PayoutItem, String)>, AppError> {
    use crate::db::schema::merchants;
    use diesel::prelude::*;
    items
        .into_iter()
        .map(|i| {
            let n: String = merchants::table
                .find(&i.merchant_id)
                .select(merchants::name)
                .first(c)?;
            Ok((i, n))
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/payouts", tag = "payouts", responses((status = 200, description = "payout batches, newest first")))]
pub async fn list_payouts(state: State, _who: Official) -> Result<HttpResponse, AppError> {
    let rows = state.db(payouts::list).await?;
    Ok(ok(&rows
        .iter()
        .map(|p| payout_view(p, None))
        .collect::<Vec<_>>()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PayoutBody {
    /// Approved statements, each of a merchant with a verified bank account.
    pub statement_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/payouts", tag = "payouts", request_body = PayoutBody,
    responses((status = 201, description = "the batch with its lines"), (status = 409, description = "invalid_state, already_in_batch or bank_account_not_verified (with statement_id)")))]
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
    let v = state
        .db(move |c| {
            let p = crate::service::payouts::create(c, &ids, &who.user_id.as_str().into())?;
            let (p, items) = payouts::find(c, &p.id)?;
            let items = with_names(c, items)?;
            let v = payout_view(&p, Some(&items));
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "create",
                "payout",
                &p.id,
                None,
                Some(&v),
            )?;
            Ok(v)
        })
        .await?;
    Ok(created(&v))
}

#[utoipa::path(get, path = "/api/v1/payouts/{id}", tag = "payouts", params(("id" = String, Path)), responses((status = 200, description = "the batch with its lines")))]
pub async fn get_payout(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let v = state
        .db(move |c| {
            let (p, items) = payouts::find(c, &id)?;
            let items = with_names(c, items)?;
            Ok(payout_view(&p, Some(&items)))
        })
        .await?;
    Ok(ok(&v))
}

#[utoipa::path(get, path = "/api/v1/payouts/{id}.csv", tag = "payouts", params(("id" = String, Path)),
    responses((status = 200, description = "the bank's bulk-transfer file: payee, bank, account, amount (MOP), reference; the amounts add up to the batch")))]
pub async fn payout_csv(
    state: State,
    _who: Official,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (p, items) = state.db(move |c| payouts::find(c, &id)).await?;
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
    responses((status = 200, description = "the bank made the transfer: the batch and each of its statements are paid"), (status = 403, description = "four_eyes_required: another official than the batch's maker confirms"), (status = 409, description = "invalid_state")))]
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
    let v = state
        .db(move |c| {
            let (before, _) = payouts::find(c, &id)?;
            crate::service::payouts::confirm(c, &id, &who.user_id, reference.as_deref())?;
            let (p, items) = payouts::find(c, &id)?;
            let items = with_names(c, items)?;
            let v = payout_view(&p, Some(&items));
            audit::record(
                c,
                &Actor::official(&who.user_id),
                "confirm",
                "payout",
                &id,
                Some(&payout_view(&before, None)),
                Some(&payout_view(&p, None)),
            )?;
            Ok(v)
        })
        .await?;
    Ok(ok(&v))
}
