//! Work in bulk: importing the bureau's merchant spreadsheet (all or nothing, with a dry run
//! listing every bad row), deciding many enrolments, and approving or paying many statements
//! (four-eyes still per statement). Each item is audited as if done one by one.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use crate::db::audit::Actor;
use crate::db::catalog::{self, new_id};
use crate::db::models::*;
use crate::db::{write_tx, DbConn};
use crate::domain::catalog::CATEGORIES;
use crate::domain::names::Names;
use crate::domain::time::now;
use crate::error::{AppError, Code, FieldError};
use crate::types::{
    AuditAction, AuditEntity, EnrolmentId, EnrolmentStatus, MerchantId, SettlementId, UserId,
};

use super::merchants::check_login;
use super::passwords;

/// The import's columns, in the bureau's spreadsheet order.
pub const IMPORT_COLUMNS: [&str; 11] = [
    "username",
    "password",
    "name_zh_hant",
    "name_zh_hans",
    "name_pt",
    "name_en",
    "category",
    "address",
    "lat",
    "lng",
    "m_mark",
];

/// At most this many rows in one import.
const MAX_ROWS: usize = 5000;

pub use crate::views::bulk::RowError;
use crate::views::bulk::{EnrolmentOutcome, ImportResult, ImportedMerchant, SettlementOutcome};

/// One good row, ready to insert (password not hashed yet).
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub row: usize,
    pub merchant: Merchant,
    pub username: String,
    pub password: String,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "n" | "否" => Some(false),
        "1" | "true" | "yes" | "y" | "是" => Some(true),
        _ => None,
    }
}

/// Reads and checks every row; the rows are the spreadsheet's (the header is row 1).
/// `taken` holds the usernames already in use (lower case).
pub fn parse_import(body: &[u8], taken: &HashSet<String>) -> (Vec<ImportRow>, Vec<RowError>) {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let header: Vec<String> = match rd.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            errors.push(RowError {
                row: 1,
                field: "header".into(),
                message: format!("cannot read the header: {e}"),
            });
            return (rows, errors);
        }
    };
    if header.iter().all(|h| h.is_empty()) {
        return (rows, errors);
    }
    let col: HashMap<&str, usize> = IMPORT_COLUMNS
        .iter()
        .filter_map(|c| header.iter().position(|h| h == c).map(|i| (*c, i)))
        .collect();
    let missing: Vec<&str> = IMPORT_COLUMNS
        .iter()
        .filter(|c| **c != "name_zh_hans" && !col.contains_key(*c))
        .copied()
        .collect();
    for m in &missing {
        errors.push(RowError {
            row: 1,
            field: (*m).into(),
            message: "column missing from the header".into(),
        });
    }
    if !missing.is_empty() {
        return (rows, errors);
    }
    let mut seen_users: HashMap<String, usize> = HashMap::new();
    let mut seen_shops: HashMap<(String, String), usize> = HashMap::new();
    let t = now();
    for (i, rec) in rd.records().enumerate() {
        let row = i + 2;
        if i >= MAX_ROWS {
            errors.push(RowError {
                row,
                field: "row".into(),
                message: format!("at most {MAX_ROWS} rows in one import"),
            });
            break;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row,
                    field: "row".into(),
                    message: format!("cannot read this row: {e}"),
                });
                continue;
            }
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| -> String {
            col.get(c)
                .and_then(|i| rec.get(*i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let mut errs: Vec<FieldError> = Vec::new();
        let username = get("username");
        let password = get("password");
        check_login(&username, &password, &mut errs);
        let lower = username.to_lowercase();
        if !username.is_empty() {
            if taken.contains(&lower) {
                errs.push(FieldError {
                    field: "username".into(),
                    message: "this username is already taken".into(),
                });
            } else if let Some(first) = seen_users.get(&lower) {
                errs.push(FieldError {
                    field: "username".into(),
                    message: format!("duplicate of row {first}"),
                });
            } else {
                seen_users.insert(lower, row);
            }
        }
        let zh_hans = get("name_zh_hans");
        let names = Names {
            zh_hant: get("name_zh_hant"),
            pt: get("name_pt"),
            en: get("name_en"),
            zh_hans: (!zh_hans.is_empty()).then_some(zh_hans),
        }
        .trimmed();
        for e in names.problems("name") {
            errs.push(FieldError {
                field: e
                    .field
                    .replace("name.", "name_")
                    .replace('-', "_")
                    .to_lowercase(),
                message: e.message,
            });
        }
        let category = get("category").to_lowercase();
        if !CATEGORIES.contains(&category.as_str()) {
            errs.push(FieldError {
                field: "category".into(),
                message: format!("unknown category; one of {}", CATEGORIES.join(", ")),
            });
        }
        let address = get("address");
        if address.is_empty() || address.chars().count() > 300 {
            errs.push(FieldError {
                field: "address".into(),
                message: "required, at most 300 characters".into(),
            });
        }
        let shop_key = (names.zh_hant.clone(), address.to_lowercase());
        if !names.zh_hant.is_empty() && !address.is_empty() {
            if let Some(first) = seen_shops.get(&shop_key) {
                errs.push(FieldError {
                    field: "name_zh_hant".into(),
                    message: format!("the same shop and address as row {first}"),
                });
            } else {
                seen_shops.insert(shop_key, row);
            }
        }
        let lat = get("lat").parse::<f64>().ok();
        let lng = get("lng").parse::<f64>().ok();
        match (lat, lng) {
            (Some(a), Some(b)) if crate::domain::geo::valid_coordinates(a, b) => {}
            (Some(a), _) if !(-90.0..=90.0).contains(&a) || !a.is_finite() => {
                errs.push(FieldError {
                    field: "lat".into(),
                    message: "a latitude between −90 and 90".into(),
                })
            }
            (None, _) => errs.push(FieldError {
                field: "lat".into(),
                message: "a latitude between −90 and 90".into(),
            }),
            _ => errs.push(FieldError {
                field: "lng".into(),
                message: "a longitude between −180 and 180".into(),
            }),
        }
        let m_mark = parse_bool(&get("m_mark"));
        if m_mark.is_none() {
            errs.push(FieldError {
                field: "m_mark".into(),
                message: "true or false (yes/no, 1/0)".into(),
            });
        }
        if !errs.is_empty() {
            errors.extend(errs.into_iter().map(|e| RowError {
                row,
                field: e.field,
                message: e.message,
            }));
            continue;
        }
        rows.push(ImportRow {
            row,
            merchant: Merchant {
                id: MerchantId::generate(),
                name: names.to_json(),
                category,
                address,
                lat: lat.unwrap_or_default(),
                lng: lng.unwrap_or_default(),
                m_mark: m_mark.unwrap_or(false),
                created_at: t,
            },
            username,
            password,
        });
    }
    (rows, errors)
}

/// Checks an import; with errors nothing is created (`import_invalid` lists every bad row).
pub fn check_import(conn: &mut DbConn, body: &[u8]) -> Result<Vec<ImportRow>, AppError> {
    let taken: HashSet<String> = catalog::usernames(conn)?
        .into_iter()
        .map(|u| u.to_lowercase())
        .collect();
    let (rows, errors) = parse_import(body, &taken);
    if !errors.is_empty() {
        let bad_rows: HashSet<usize> = errors.iter().map(|e| e.row).collect();
        return Err(AppError::rule_with(
            Code::ImportInvalid,
            format!(
                "{} of the rows have problems; nothing was created.",
                bad_rows.len()
            ),
            json!({"errors": errors, "rows": rows.len() + bad_rows.len(), "created": 0}),
        ));
    }
    Ok(rows)
}

/// What a dry run answers: the merchants an import would create.
pub fn dry_run(rows: &[ImportRow]) -> ImportResult {
    ImportResult {
        dry_run: true,
        created: 0,
        would_create: Some(rows.len()),
        errors: Vec::new(),
        merchants: rows
            .iter()
            .map(|r| ImportedMerchant::would_create(r.row, &r.username, &r.merchant))
            .collect(),
    }
}

/// Hashes the rows' passwords, spread over the cores (hashing is deliberately slow). Runs on
/// a blocking thread, holding no database connection.
pub fn hash_passwords(rows: Vec<ImportRow>) -> Vec<(ImportRow, String)> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    let chunk = rows.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|r| (r.clone(), passwords::hash(&r.password)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("hashing thread"))
            .collect()
    })
}

/// Creates every checked merchant with its owner login, in one transaction: a username taken
/// meanwhile undoes the whole import.
pub fn import(
    conn: &mut DbConn,
    actor: &Actor,
    hashed: Vec<(ImportRow, String)>,
) -> Result<ImportResult, AppError> {
    let created = write_tx(conn, |c| {
        let t = now();
        let mut out = Vec::new();
        for (r, hash) in &hashed {
            let owner = User {
                id: new_id().into(),
                username: r.username.clone(),
                password_hash: hash.clone(),
                role: crate::types::UserRole::Merchant,
                merchant_id: Some(r.merchant.id.clone()),
                merchant_role: Some(crate::types::MerchantRole::Owner),
                active: true,
                created_at: t,
            };
            catalog::insert_merchant_with_owner(c, &r.merchant, &owner).map_err(|e| match e {
                AppError::Validation(_)
                | AppError::Conflict(_)
                | AppError::Rule {
                    code: Code::UsernameTaken,
                    ..
                } => AppError::rule_with(
                    Code::ImportInvalid,
                    "A username was taken meanwhile; nothing was created.",
                    json!({"errors": [RowError { row: r.row, field: "username".into(),
                        message: "this username is already taken".into() }], "created": 0}),
                ),
                other => other,
            })?;
            let v = ImportedMerchant::created(r.row, &r.username, &r.merchant);
            super::audit_change(
                c,
                actor,
                AuditAction::Import,
                AuditEntity::Merchant,
                &r.merchant.id,
                None::<&Value>,
                Some(&v),
            )?;
            out.push(v);
        }
        Ok(out)
    })?;
    Ok(ImportResult {
        dry_run: false,
        created: created.len(),
        would_create: None,
        errors: Vec::new(),
        merchants: created,
    })
}

fn too_many<T>(ids: &[T]) -> Result<(), AppError> {
    if ids.len() > 1000 {
        return Err(AppError::field("ids", "at most 1000 at once"));
    }
    Ok(())
}

/// The error's `code` and `detail` of an item left as it was.
fn failure(e: &AppError) -> (Option<String>, Option<String>) {
    (Some(e.code().to_string()), Some(e.to_string()))
}

/// Approves or rejects many enrolments (`decision`: approve or reject), each on its own as
/// `service::campaigns::decide_one` does: one outcome per id.
pub fn decide_enrolments(
    conn: &mut DbConn,
    user_id: &UserId,
    ids: &[EnrolmentId],
    decision: &str,
    reason: Option<String>,
) -> Result<Vec<EnrolmentOutcome>, AppError> {
    too_many(ids)?;
    let status = match decision {
        "approve" => EnrolmentStatus::Approved,
        "reject" => EnrolmentStatus::Rejected,
        _ => return Err(AppError::field("decision", "approve or reject")),
    };
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::field("reason", "at most 1000 characters"));
    }
    Ok(ids
        .iter()
        .map(|id| {
            let r = super::campaigns::decide_one(conn, user_id, id, status, reason.clone());
            match r {
                Ok(e) => EnrolmentOutcome {
                    id: id.to_string(),
                    status: Some(e.status.to_string()),
                    code: None,
                    detail: None,
                },
                Err(e) => {
                    let (code, detail) = failure(&e);
                    EnrolmentOutcome {
                        id: id.to_string(),
                        status: None,
                        code,
                        detail,
                    }
                }
            }
        })
        .collect())
}

/// Approves (`approve`) or pays (`pay`) many statements, four-eyes still per statement: one
/// outcome per id.
pub fn advance_settlements(
    conn: &mut DbConn,
    user_id: &UserId,
    ids: &[SettlementId],
    action: &str,
) -> Result<Vec<SettlementOutcome>, AppError> {
    use crate::service::settlements::{advance, Advance};
    too_many(ids)?;
    let mut out = Vec::new();
    for id in ids {
        let step = if action == "approve" {
            Advance::Approve
        } else {
            Advance::Pay
        };
        out.push(match advance(conn, user_id, id, step) {
            Ok(after) => SettlementOutcome {
                id: id.to_string(),
                status: Some(after.status),
                amount_avos: Some(after.amount_avos),
                code: None,
                detail: None,
            },
            Err(e) => {
                let (code, detail) = failure(&e);
                SettlementOutcome {
                    id: id.to_string(),
                    status: None,
                    amount_avos: None,
                    code,
                    detail,
                }
            }
        });
    }
    Ok(out)
}
