//! Settlement use cases: statements generated per campaign and period, approved by a second
//! official (four eyes, `domain::four_eyes`), paid directly or through a payout batch.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::audit::Actor;
use crate::db::models::{Redemption, Settlement};
use crate::db::settlements as rows;
use crate::db::{self, catalog, write_tx, DbConn};
use crate::domain::four_eyes::{self, Step};
use crate::domain::merchant_no::short_no;
use crate::domain::time::now;
use crate::error::{AppError, Code};
use crate::types::{
    AuditAction, AuditEntity, LedgerKind, MerchantId, SettlementId, SettlementStatus, UserId,
};
use crate::views::settlements::{Line, Statement, StatementWithLines};

/// Adds the merchant's short number and address to each statement (officials' lists).
fn with_cards(conn: &mut DbConn, mut out: Vec<Statement>) -> Result<Vec<Statement>, AppError> {
    let mut ids: Vec<String> = out.iter().map(|s| s.merchant_id.to_string()).collect();
    ids.sort();
    ids.dedup();
    let addr = db::merchant_cards::addresses(conn, &ids)?;
    for s in &mut out {
        s.merchant_no = Some(short_no(&s.merchant_id));
        s.merchant_address = Some(
            addr.get(s.merchant_id.as_str())
                .cloned()
                .unwrap_or_default(),
        );
    }
    Ok(out)
}

/// Generates one draft statement per merchant with unsettled e-cash redemptions in the
/// period of the campaign (by id or slug), each with its ledger entry and audit row.
pub fn generate(
    conn: &mut DbConn,
    official: &UserId,
    campaign_key: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Statement>, AppError> {
    let campaign_id = catalog::find_campaign(conn, campaign_key)?.id;
    let t = now();
    let out = write_tx(conn, |conn| {
        // One run per campaign at a time: a second run waits, then finds what is left.
        db::locks::xact(conn, &format!("settlement-run:{campaign_id}"))?;
        let mut out = Vec::new();
        for merchant_id in rows::merchants_due(conn, &campaign_id, from, to)? {
            let sid = SettlementId::generate();
            let amounts = rows::claim(conn, &campaign_id, &merchant_id, from, to, &sid)?;
            if amounts.is_empty() {
                // Everything due was voided meanwhile: never an empty statement.
                continue;
            }
            let s = Settlement {
                id: sid.clone(),
                campaign_id: campaign_id.clone(),
                merchant_id: merchant_id.clone(),
                period_from: from,
                period_to: to,
                amount_avos: amounts.iter().sum(),
                redemptions_count: amounts.len() as i32,
                status: SettlementStatus::Draft,
                created_by: official.clone(),
                created_at: t,
                approved_by: None,
                approved_at: None,
                paid_by: None,
                paid_at: None,
            };
            rows::insert(conn, &s)?;
            db::ledger::append(
                conn,
                &campaign_id,
                LedgerKind::Settle,
                db::ledger::Refs {
                    merchant: Some(&merchant_id),
                    settlement: Some(&sid),
                    ..Default::default()
                },
                s.amount_avos,
                t,
            )?;
            super::audit_change::<(), _>(
                conn,
                &Actor::official(official),
                AuditAction::Generate,
                AuditEntity::Settlement,
                &s.id,
                None,
                Some(&Statement::new(&s, None)),
            )?;
            let name = rows::merchant_name(conn, &merchant_id)?;
            out.push(Statement::new(&s, Some(&name)));
        }
        Ok(out)
    })?;
    with_cards(conn, out)
}

/// Approves a draft statement: four eyes, its maker cannot.
pub fn approve(conn: &mut DbConn, id: &SettlementId, official: &UserId) -> Result<(), AppError> {
    let (s, _) = rows::find(conn, id)?;
    if !four_eyes::allowed(Step::ApproveStatement, &s.created_by, official) {
        return Err(AppError::rule(
            Code::FourEyesRequired,
            Step::ApproveStatement.refusal(),
        ));
    }
    if !rows::set_approved(conn, &s.id, official, now())? {
        return Err(AppError::rule(
            Code::InvalidState,
            format!("The statement is {}, not draft.", s.status),
        ));
    }
    Ok(())
}

/// Pays an approved statement directly (not when it waits in a payout batch).
pub fn pay(conn: &mut DbConn, id: &SettlementId, official: &UserId) -> Result<(), AppError> {
    rows::find(conn, id)?;
    if db::payouts::in_open_batch(conn, id)? {
        return Err(AppError::rule(
            Code::InPayoutBatch,
            "The statement is in a payout batch: it is paid when that batch's transfer is confirmed.",
        ));
    }
    let t = now();
    write_tx(conn, |conn| mark_paid(conn, id, official, t))
}

/// Marks an approved statement paid, with its ledger entry (inside the caller's transaction).
pub fn mark_paid(
    conn: &mut DbConn,
    id: &SettlementId,
    official: &UserId,
    t: NaiveDateTime,
) -> Result<(), AppError> {
    let (s, _) = rows::find(conn, id)?;
    if !rows::set_paid(conn, id, official, t)? {
        return Err(AppError::rule(
            Code::InvalidState,
            format!("The statement is {}, not approved.", s.status),
        ));
    }
    db::ledger::append(
        conn,
        &s.campaign_id,
        LedgerKind::Pay,
        db::ledger::Refs {
            merchant: Some(&s.merchant_id),
            settlement: Some(&s.id),
            ..Default::default()
        },
        s.amount_avos,
        t,
    )
}

/// A move of a statement by an official.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    Approve,
    Pay,
}

impl Advance {
    pub fn action(self) -> AuditAction {
        match self {
            Advance::Approve => AuditAction::Approve,
            Advance::Pay => AuditAction::Pay,
        }
    }
}

/// Approves or pays a statement and records the change with its before and after. Returns
/// the statement as it is now, with its merchant's name.
pub fn advance(
    conn: &mut DbConn,
    official: &UserId,
    id: &SettlementId,
    step: Advance,
) -> Result<Statement, AppError> {
    let (before, _) = rows::find(conn, id)?;
    match step {
        Advance::Approve => approve(conn, id, official)?,
        Advance::Pay => pay(conn, id, official)?,
    }
    let (after, name) = rows::find(conn, id)?;
    super::audit_change(
        conn,
        &Actor::official(official),
        step.action(),
        AuditEntity::Settlement,
        id,
        Some(&Statement::new(&before, None)),
        Some(&Statement::new(&after, None)),
    )?;
    Ok(Statement::new(&after, Some(&name)))
}

/// Statements for officials, newest first, optionally of one campaign.
pub fn list(conn: &mut DbConn, campaign: Option<&str>) -> Result<Vec<Statement>, AppError> {
    let out = rows::list(conn, campaign, None)?
        .iter()
        .map(|(s, n)| Statement::new(s, Some(n)))
        .collect();
    with_cards(conn, out)
}

/// A merchant's own statements, newest first.
pub fn of_merchant(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
) -> Result<Vec<Statement>, AppError> {
    Ok(rows::list(conn, None, Some(merchant_id))?
        .iter()
        .map(|(s, n)| Statement::new(s, Some(n)))
        .collect())
}

/// A statement with its merchant's name (JSON names) and its lines with coupon codes.
pub type Full = (Settlement, String, Vec<(Redemption, String)>);

pub fn find_full(conn: &mut DbConn, id: &SettlementId) -> Result<Full, AppError> {
    let (s, n) = rows::find(conn, id)?;
    let lines = rows::lines(conn, id)?;
    Ok((s, n, lines))
}

/// The answer for a statement with its lines.
pub fn with_lines((s, name, lines): &Full) -> StatementWithLines {
    StatementWithLines {
        statement: Statement::new(s, Some(name)),
        lines: lines.iter().map(|(r, code)| Line::new(r, code)).collect(),
    }
}
